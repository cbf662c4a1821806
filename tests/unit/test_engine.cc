// test_engine.cc — the engine: thresholds and actions, dry-run, temperror
// never rejecting, forged header removal, trusted and authenticated clients,
// several messages per connection, a throwing check (milter/core/engine.cc,
// milter/core/verdict.cc).
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace {

// A check that reports whatever the test put in `results`, counting calls.
struct Scripted : Check {
  static inline std::vector<std::string> results;
  static inline int mails = 0;
  void on_mail(Session&) override { ++mails; }
  std::vector<Finding> finish(Session&) override {
    std::vector<Finding> out;
    for (const auto& r : results) {
      if (r == "throw") throw std::runtime_error("boom\r\nX-Injected: 1");
      out.push_back({"fake", r, "scripted", {{"fake", r, "", {}}}});
    }
    return out;
  }
};

const CheckInfo fake_info{"fake", "scripted", {}, {}, [](const Config&) { return std::make_unique<Scripted>(); }};

Config fake_config(std::map<std::string, std::string> o = {}) {
  o.emplace("quarantine-below", "-4");
  o.emplace("reject-below", "-8");
  Config c = make_config(o);
  c.point_table["fake.good"] = 3;
  c.point_table["fake.meh"] = -5;
  c.point_table["fake.bad"] = -9;
  c.point_table["fake.temperror"] = 0;
  c.point_table["fake.pass"] = 2;
  return c;
}

Outcome run(const Config& c, std::vector<std::string> results, Msg m = {}) {
  FakeResolver dns;
  Scripted::results = std::move(results);
  Engine engine(c, dns, {&fake_info});
  if (m.ip.empty()) m.ip = "192.0.2.1";
  return run_message(engine, m);
}

}  // namespace

TEST_CASE("engine: score and thresholds") {
  struct Row { std::vector<std::string> results; double score; Action action; };
  const Row rows[] = {
      {{"good"}, 3, Action::accept},
      {{}, 0, Action::accept},
      {{"meh"}, -5, Action::quarantine},
      {{"good", "meh"}, -2, Action::accept},
      {{"bad"}, -9, Action::reject},
      {{"unknown-result"}, 0, Action::accept},
      {{"temperror"}, 0, Action::accept},
  };
  Config c = fake_config();
  for (const auto& r : rows) {
    SUBCASE(("score " + format_points(r.score)).c_str()) {
      Outcome o = run(c, r.results);
      CHECK(o.verdict.score == doctest::Approx(r.score));
      CHECK(o.verdict.action == r.action);
      CHECK(o.action == r.action);
      REQUIRE(o.adds.size() == 2);
      CHECK(o.adds[0].first == "X-Legit-Score");
      CHECK(o.adds[0].second.rfind(format_points(r.score) + " (" + to_string(r.action) + ")", 0) == 0);
      CHECK(o.adds[1].first == "Authentication-Results");
      CHECK(o.adds[1].second.rfind("mx.example.net;", 0) == 0);
    }
  }
}

TEST_CASE("engine: reject reply and quarantine reason") {
  Config c = fake_config({{"reject-reply", "Go away (score %s)"}});
  Outcome o = run(c, {"bad"});
  CHECK(o.reply_code == "550");
  CHECK(o.reply_xcode == "5.7.1");
  CHECK(o.reply_text == "Go away (score -9)");
  Outcome q = run(c, {"meh"});
  CHECK(q.quarantine_reason.find("-5") != std::string::npos);
}

TEST_CASE("engine: a reject resting on a temperror is never a reject") {
  // bad(-9) + temperror: had the failed lookup passed (+3 best row), the
  // score would be -6, above reject-below: soften per on-error.
  Config accept_policy = fake_config();
  accept_policy.point_table["fake.good"] = 3;
  Outcome a = run(accept_policy, {"bad", "temperror"});
  CHECK(a.verdict.action == Action::quarantine);
  Config tempfail_policy = fake_config({{"on-error", "tempfail"}});
  Outcome t = run(tempfail_policy, {"bad", "temperror"});
  CHECK(t.action == Action::tempfail);
  CHECK(t.reply_code == "451");
  // A reject that even the best outcome could not lift stays a reject.
  Outcome r = run(accept_policy, {"bad", "bad", "temperror"});
  CHECK(r.action == Action::reject);
}

TEST_CASE("engine: dry-run delivers and says what it would have done") {
  Config c = fake_config({{"mode", "dry-run"}});
  Outcome o = run(c, {"bad"});
  CHECK(o.verdict.action == Action::reject);
  CHECK(o.action == Action::accept);
  CHECK(o.reply_code.empty());
  CHECK(o.adds[0].second.find("dry-run would reject") != std::string::npos);
  CHECK(o.log_line.find(" action=accept dry-run=reject checks=") != std::string::npos);
}

TEST_CASE("engine: forged headers are removed, highest index first; others kept") {
  Config c = fake_config();
  Msg m;
  m.headers = {{"X-Legit-Score", "100 (accept)"},
               {"Authentication-Results", "other.example; spf=pass"},
               {"Authentication-Results", "mx.example.net; iprev=pass"},
               {"x-legit-score", "99"},
               {"Authentication-Results", "MX.EXAMPLE.NET; dkim=pass"}};
  Outcome o = run(c, {"good"}, m);
  REQUIRE(o.deletes.size() == 4);
  CHECK(o.deletes[0].name == "Authentication-Results");
  CHECK(o.deletes[0].index == 3);
  CHECK(o.deletes[1].index == 2);
  CHECK(o.deletes[2].index == 2);  // "x-legit-score", the 2nd of that name
  CHECK(o.deletes[3].index == 1);
}

TEST_CASE("engine: trusted clients are not scored and keep their headers") {
  Config c = fake_config();
  Msg m;
  m.ip = "127.0.0.1";
  m.helo = "OEMCOMPUTER";
  m.headers = {{"X-Legit-Score", "-5 (quarantine)"}, {"Authentication-Results", "mx.example.net; iprev=fail"}};
  Scripted::mails = 0;
  Outcome o = run(c, {"bad"}, m);
  CHECK(o.kind == Outcome::Kind::trusted);
  CHECK(o.action == Action::accept);
  CHECK(o.adds.empty());
  CHECK(o.deletes.empty());
  CHECK(Scripted::mails == 0);
  CHECK(o.log_line.ends_with(" action=accept reason=trusted"));
}

TEST_CASE("engine: authenticated clients are not scored, forged headers still go") {
  Config c = fake_config();
  Msg m;
  m.auth = "alice";
  m.headers = {{"X-Legit-Score", "100 (accept)"}};
  Outcome o = run(c, {"bad"}, m);
  CHECK(o.kind == Outcome::Kind::authenticated);
  CHECK(o.action == Action::accept);
  REQUIRE(o.deletes.size() == 1);
  REQUIRE(o.adds.size() == 1);
  CHECK(o.adds[0].second == "mx.example.net; auth=pass smtp.auth=alice");
  CHECK(o.log_line.ends_with(" action=accept reason=authenticated auth=<alice> forged-removed=1"));
  SUBCASE("unless skip-authenticated is off") {
    Config scored = fake_config({{"skip-authenticated", "no"}});
    CHECK(run(scored, {"bad"}, m).action == Action::reject);
  }
}

TEST_CASE("engine: each message on a connection is scored on its own") {
  Config c = fake_config();
  FakeResolver dns;
  Engine engine(c, dns, {&fake_info});
  auto d = engine.open();
  d->connect("unknown", "192.0.2.1");
  d->helo("mail.example.com");
  Scripted::results = {"bad"};
  d->mail_from("<a@example.com>", "");
  d->header("X-Legit-Score", "1");
  Outcome first = d->end_of_message("Q1");
  Scripted::results = {"good"};
  d->mail_from("<b@example.com>", "");
  Outcome second = d->end_of_message("Q2");
  CHECK(first.action == Action::reject);
  CHECK(second.action == Action::accept);
  CHECK(second.deletes.empty());
  CHECK(first.log_line.rfind("Q1: ", 0) == 0);
  CHECK(second.log_line.rfind("Q2: ", 0) == 0);
  CHECK(second.log_line.find("from=<b@example.com>") != std::string::npos);
}

TEST_CASE("engine: a check that throws is reported, not fatal") {
  Config c = fake_config();
  Outcome o = run(c, {"throw"});
  REQUIRE(o.verdict.items.size() == 1);
  CHECK(o.verdict.items[0].finding.result == "error");
  CHECK(o.verdict.items[0].finding.detail.find('\r') == std::string::npos);
  CHECK(o.action == Action::accept);
}

TEST_CASE("engine: log line fields are key=value, each key once") {
  Config c = fake_config({{"mode", "dry-run"}});
  Msg m;
  m.helo = "helo.example";
  Outcome o = run(c, {"temperror", "bad", "good"}, m);
  CHECK(o.log_line.find(" helo=<helo.example> from=<") != std::string::npos);
  CHECK(o.log_line.find(" score=-6 action=accept dry-run=quarantine "
                        "checks=fake:temperror(0),fake:bad(-9),fake:good(3)") != std::string::npos);
  std::vector<std::string> keys;
  std::string rest = o.log_line.substr(o.log_line.find(": ") + 2);
  for (std::size_t pos = 0; pos < rest.size();) {
    auto end = rest.find(' ', pos);
    if (end == std::string::npos) end = rest.size();
    std::string tok = rest.substr(pos, end - pos);
    REQUIRE_MESSAGE(tok.find('=') != std::string::npos, tok);
    keys.push_back(tok.substr(0, tok.find('=')));
    pos = end + 1;
  }
  CHECK(keys == std::vector<std::string>{"client", "helo", "from", "score", "action", "dry-run", "checks",
                                        "margin", "eom-ms", "dns-lookups"});
}

TEST_CASE("engine: log line quotes untrusted text") {
  Config c = fake_config();
  Msg m;
  m.helo = std::string("evil\r\nhelo\0x", 12);
  m.from = "<" + std::string(500, 'a') + "@example.com>";
  Outcome o = run(c, {"good"}, m);
  CHECK(o.log_line.find('\r') == std::string::npos);
  CHECK(o.log_line.find('\n') == std::string::npos);
  CHECK(o.log_line.find("helo=<evil\\x0d\\x0ahelo\\x00x>") != std::string::npos);
  CHECK(o.log_line.size() < 400);
  CHECK(o.log_line.find("score=3 action=accept checks=fake:good(3)") != std::string::npos);
}
