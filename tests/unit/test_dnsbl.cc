// test_dnsbl.cc — the dnsbl check (milter/checks/dnsbl.cc) and its list
// syntax (milter/checks/dnsbl_list.cc), from tables served by the fake resolver.
#include <algorithm>
#include <functional>

#include "../../milter/checks/dnsbl_list.h"
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace {

const CheckInfo* dnsbl_info() {
  for (const auto& c : check_registry())
    if (c.name == "dnsbl") return &c;
  return nullptr;
}

constexpr const char* kZen = "zen.test=127.0.0.2-127.0.0.9:listed-strong;127.0.0.10-127.0.0.11:listed-weak";

// Sorted result words of every dnsbl finding.
std::string results(const Outcome& o) {
  std::vector<std::string> r;
  for (const auto& it : o.verdict.items)
    if (it.finding.check == "dnsbl") r.push_back(it.finding.result);
  std::sort(r.begin(), r.end());
  std::string out;
  for (const auto& w : r) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

TEST_CASE("dnsbl: list item syntax") {
  struct Row { const char* item; dnsbl::Kind kind; const char* error; };  // error "" = valid
  const Row rows[] = {
      {"zen.spamhaus.org", dnsbl::Kind::block, ""},
      {"ZEN.Spamhaus.ORG.", dnsbl::Kind::block, ""},
      {"zen.spamhaus.org:ip4", dnsbl::Kind::block, ""},
      {"dbl.spamhaus.org:sender=127.0.1.2-127.0.1.99:listed-strong", dnsbl::Kind::block, ""},
      {kZen, dnsbl::Kind::block, ""},
      {"bl.spamcop.net=127.0.0.2", dnsbl::Kind::block, ""},
      {"list.dnswl.org=127.0.0.255:temperror;127.0.0.0-127.0.255.255:allowed-weak", dnsbl::Kind::allow, ""},
      {"", dnsbl::Kind::block, "DNS zone"},
      {"localhost", dnsbl::Kind::block, "DNS zone"},
      {"bad_zone.example", dnsbl::Kind::block, "DNS zone"},
      {"zen.spamhaus.org:foo", dnsbl::Kind::block, "unknown source 'foo'"},
      {"zen.spamhaus.org:", dnsbl::Kind::block, "unknown source"},
      {"zen.spamhaus.org=", dnsbl::Kind::block, "empty return-code mapping"},
      {"zen.spamhaus.org=127.0.0.2:evil", dnsbl::Kind::block, "unknown result 'evil'"},
      {"zen.spamhaus.org=127.0.0.2:allowed", dnsbl::Kind::block, "unknown result 'allowed'"},
      {"list.dnswl.org=127.0.0.2:listed", dnsbl::Kind::allow, "unknown result 'listed'"},
      {"zen.spamhaus.org=127.0.0.999", dnsbl::Kind::block, "not an IPv4 address"},
      {"zen.spamhaus.org=::1", dnsbl::Kind::block, "unknown result"},
      {"zen.spamhaus.org=2001:db8::1", dnsbl::Kind::block, "unknown result"},
      {"zen.spamhaus.org=127.0.0.9-127.0.0.2", dnsbl::Kind::block, "below its start"},
      {"zen.spamhaus.org=127.0.0.2;", dnsbl::Kind::block, "not an IPv4"},
      {"zen\r\n.org", dnsbl::Kind::block, "DNS zone"},
  };
  for (const auto& r : rows) {
    SUBCASE(r.item) {
      dnsbl::ListSpec l;
      std::string why = dnsbl::parse_list(r.item, r.kind, &l);
      if (*r.error == 0) CHECK(why == "");
      else CHECK(why.find(r.error) != std::string::npos);
    }
  }
  std::string long_zone;
  for (int i = 0; i < 40; ++i) long_zone += "abcde.";
  long_zone += "test";
  dnsbl::ListSpec l;
  CHECK(dnsbl::parse_list(long_zone, dnsbl::Kind::block, &l).find("longer") != std::string::npos);
}

TEST_CASE("dnsbl: a bad item is refused at config load, naming the option and the item") {
  std::string err;
  CHECK_FALSE(config_from({{"dnsbl-lists", "zen.spamhaus.org:foo"}}, &err));
  CHECK(err.find("option 'dnsbl-lists'") != std::string::npos);
  CHECK(err.find("zen.spamhaus.org:foo") != std::string::npos);
  CHECK_FALSE(config_from({{"dnsbl-allow-lists", "list.dnswl.org=127.0.0.2:listed"}}, &err));
  CHECK(err.find("option 'dnsbl-allow-lists'") != std::string::npos);
  // The factory refuses the same item on its own (a Config filled by hand).
  Config cfg = make_config();
  cfg.lists["dnsbl-lists"] = {"bad zone"};
  CHECK_THROWS_AS(dnsbl_info()->make(cfg), std::invalid_argument);
}

TEST_CASE("dnsbl: return codes") {
  dnsbl::ListSpec zen, any, allow;
  REQUIRE(dnsbl::parse_list(kZen, dnsbl::Kind::block, &zen) == "");
  REQUIRE(dnsbl::parse_list("bl.test", dnsbl::Kind::block, &any) == "");
  REQUIRE(dnsbl::parse_list("wl.test", dnsbl::Kind::allow, &allow) == "");
  struct Row { const dnsbl::ListSpec* list; const char* code; const char* word; };
  const Row rows[] = {
      {&zen, "127.0.0.2", "listed-strong"}, {&zen, "127.0.0.9", "listed-strong"},
      {&zen, "127.0.0.10", "listed-weak"},  {&zen, "127.0.0.12", ""},
      {&zen, "127.255.255.254", "temperror"}, {&zen, "127.255.255.252", "temperror"},
      {&any, "127.0.0.2", "listed"},        {&any, "127.0.0.1", "listed"},
      {&any, "192.0.2.1", ""},              {&any, "127.255.255.255", "temperror"},
      {&any, "garbage", ""},                {&any, "", ""},
      {&any, "::1", ""},                    {&allow, "127.0.10.2", "allowed"},
  };
  for (const auto& r : rows) {
    SUBCASE(r.code) { CHECK(dnsbl::classify(*r.list, r.code) == std::string(r.word)); }
  }
}

TEST_CASE("dnsbl: findings per list situation") {
  struct Row {
    const char* name;
    const char* ip;
    std::map<std::string, std::string> opts;
    std::function<void(FakeResolver&)> zone;
    const char* results;
  };
  const auto a = [](FakeResolver& f, const char* n, std::vector<std::string> r) { f.add(n, DnsType::A, r); };
  const Row rows[] = {
      {"SBL hit", "203.0.113.66", {{"dnsbl-lists", kZen}},
       [&](FakeResolver& f) { a(f, "66.113.0.203.zen.test", {"127.0.0.2"}); }, "listed-strong"},
      {"SBL + PBL", "203.0.113.67", {{"dnsbl-lists", kZen}},
       [&](FakeResolver& f) { a(f, "67.113.0.203.zen.test", {"127.0.0.4", "127.0.0.10", "127.0.0.3"}); },
       "listed-strong listed-weak"},
      {"not listed", "203.0.113.68", {{"dnsbl-lists", kZen}}, [](FakeResolver&) {}, "clean"},
      {"unmapped code ignored", "203.0.113.69", {{"dnsbl-lists", kZen}},
       [&](FakeResolver& f) { a(f, "69.113.0.203.zen.test", {"127.0.0.77"}); }, "clean"},
      {"public-resolver error code", "203.0.113.70", {{"dnsbl-lists", kZen}},
       [&](FakeResolver& f) { a(f, "70.113.0.203.zen.test", {"127.255.255.254"}); }, "temperror"},
      {"error code beside a listing", "203.0.113.70", {{"dnsbl-lists", kZen}},
       [&](FakeResolver& f) { a(f, "70.113.0.203.zen.test", {"127.0.0.2", "127.255.255.254"}); }, "temperror"},
      {"timeout", "203.0.113.71", {{"dnsbl-lists", kZen}},
       [](FakeResolver& f) { f.set("71.113.0.203.zen.test", DnsType::A, DnsStatus::temperror, "timeout"); },
       "temperror"},
      {"IPv6 nibbles", "2001:db8:a2::2", {{"dnsbl-lists", "bl.test"}},
       [&](FakeResolver& f) {
         a(f, "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.a.0.0.8.b.d.0.1.0.0.2.bl.test", {"127.0.0.2"});
       }, "listed"},
      {"ip4-only list skips IPv6", "2001:db8:a2::2", {{"dnsbl-lists", "bl.test:ip4"}},
       [](FakeResolver&) {}, "clean"},
      {"allowlist", "203.0.113.72", {{"dnsbl-allow-lists", "wl.test=127.0.10.3:allowed-strong"}},
       [&](FakeResolver& f) { a(f, "72.113.0.203.wl.test", {"127.0.10.3"}); }, "allowed-strong"},
      {"sender domain list", "203.0.113.73", {{"dnsbl-lists", "dbl.test:sender=127.0.1.2:listed-strong"}},
       [&](FakeResolver& f) { a(f, "example.com.dbl.test", {"127.0.1.2"}); }, "listed-strong"},
      {"HELO list, registrable domain", "203.0.113.74", {{"dnsbl-lists", "dbl.test:helo"}},
       [&](FakeResolver& f) { a(f, "example.org.dbl.test", {"127.0.1.2"}); }, "listed"},
      {"PTR list", "203.0.113.75", {{"dnsbl-lists", "dbl.test:ptr"}},
       [&](FakeResolver& f) {
         f.add("75.113.0.203.in-addr.arpa", DnsType::PTR, {"host.bad.example"});
         a(f, "bad.example.dbl.test", {"127.0.1.2"});
       }, "listed"},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      FakeResolver dns;
      r.zone(dns);
      Config cfg = make_config(r.opts);
      Engine engine(cfg, dns, {dnsbl_info()});
      Msg m;
      m.ip = r.ip;
      m.helo = "mail.Example.ORG.";
      m.from = "<a@example.com>";
      Outcome o = run_message(engine, m);
      CHECK(results(o) == r.results);
      double sum = 0;
      for (const auto& it : o.verdict.items) sum += cfg.points("dnsbl", it.finding.result);
      CHECK(o.verdict.score == doctest::Approx(sum));
    }
  }
}

TEST_CASE("dnsbl: a hit's detail names the list, the code and the TXT reason") {
  FakeResolver dns;
  dns.add("66.113.0.203.zen.test", DnsType::A, {"127.0.0.2"});
  dns.add("66.113.0.203.zen.test", DnsType::TXT, {"Listed\r\nby test: https://example.test/q?66"});
  Config cfg = make_config({{"dnsbl-lists", kZen}});
  Engine engine(cfg, dns, {dnsbl_info()});
  Msg m;
  m.ip = "203.0.113.66";
  Outcome o = run_message(engine, m);
  REQUIRE(o.verdict.items.size() == 1);
  const auto& d = o.verdict.items.front().finding.detail;
  CHECK(d.find("203.0.113.66 listed on zen.test (127.0.0.2)") != std::string::npos);
  CHECK(d.find("https://example.test/q?66") != std::string::npos);
  CHECK(d.find('\n') == std::string::npos);
  CHECK(o.verdict.score == cfg.points("dnsbl", "listed-strong"));
}

TEST_CASE("dnsbl: a listed-strong hit is a floor (dnsbl-strong-action); other words are points only") {
  FakeResolver dns;
  dns.add("66.113.0.203.zen.test", DnsType::A, {"127.0.0.2"});
  dns.add("67.113.0.203.zen.test", DnsType::A, {"127.0.0.10"});
  // A snowshoe sender authenticates its own domain: make the score clearly positive.
  const auto run = [&](const char* ip, std::map<std::string, std::string> opts) {
    opts["dnsbl-lists"] = kZen;
    opts["points.dnsbl.listed-strong"] = "-1";
    opts["points.dnsbl.listed-weak"] = "-1";
    Config cfg = make_config(opts);
    Engine engine(cfg, dns, {dnsbl_info()});
    Msg m;
    m.ip = ip;
    return run_message(engine, m).verdict;
  };
  Verdict v = run("203.0.113.66", {});
  CHECK(v.score == -4.5);  // -1 by points; the floor's finding carries the rest (verdict.h)
  CHECK(v.action == Action::quarantine);
  CHECK(v.floor_by == "dnsbl:listed-strong");
  CHECK(run("203.0.113.66", {{"dnsbl-strong-action", "reject"}}).action == Action::reject);
  CHECK(run("203.0.113.66", {{"dnsbl-strong-action", "none"}}).action == Action::accept);
  v = run("203.0.113.67", {});  // PBL (listed-weak): points only
  CHECK(v.action == Action::accept);
  CHECK(v.floor_by.empty());
  std::string err;
  CHECK_FALSE(config_from({{"dnsbl-strong-action", "tempfail"}}, &err));
}

TEST_CASE("dnsbl: no list configured, nothing looked up and no finding") {
  FakeResolver dns;
  Config cfg = make_config();
  Engine engine(cfg, dns, {dnsbl_info()});
  Msg m;
  m.ip = "203.0.113.66";
  Outcome o = run_message(engine, m);
  CHECK(o.verdict.items.empty());
  // Only the engine's shared reverse DNS of the client was asked.
  for (const auto& q : dns.asked()) CHECK(q.first == "66.113.0.203.in-addr.arpa");
}

TEST_CASE("dnsbl: queries start at connect, HELO and MAIL FROM; IP lists once per connection") {
  FakeResolver dns;
  Config cfg = make_config({{"dnsbl-lists", "bl.test dbl.test:helo dbl.test:sender"}});
  Engine engine(cfg, dns, {dnsbl_info()});
  auto d = engine.open();
  d->connect("unknown", "203.0.113.80");
  CHECK(dns.was_asked("80.113.0.203.bl.test", DnsType::A));
  CHECK(dns.asked().size() == 2);  // + the shared PTR lookup
  d->helo("mx.helo.example");
  CHECK(dns.was_asked("helo.example.dbl.test", DnsType::A));
  d->mail_from("<a@sender.example>", "");
  CHECK(dns.was_asked("sender.example.dbl.test", DnsType::A));
  auto n = dns.asked().size();
  CHECK(results(d->end_of_message("Q1")) == "clean");
  d->mail_from("<>", "");  // null sender: nothing to look up on sender lists
  CHECK(results(d->end_of_message("Q2")) == "clean");
  CHECK(dns.asked().size() == n);
}

TEST_CASE("dnsbl: hostile HELO and sender names are not looked up") {
  FakeResolver dns;
  Config cfg = make_config({{"dnsbl-lists", "dbl.test:helo dbl.test:sender"}});
  Engine engine(cfg, dns, {dnsbl_info()});
  const char* bad[] = {"", "User", "[192.0.2.1]", "192.0.2.1", "a b.example", "x\r\n.example",
                       "b\xc3\xbcro.example", "b\xfcro.example", "com"};
  for (const char* name : bad) {
    SUBCASE(name) {
      Msg m;
      m.ip = "203.0.113.81";
      m.helo = name;
      m.from = std::string("<a@") + name + ">";
      CHECK(results(run_message(engine, m)) == "clean");
      for (const auto& q : dns.asked())
        if (q.first != "xn--bro-hoa.example.dbl.test") CHECK(q.second == DnsType::PTR);
    }
  }
  // A UTF-8 HELO is no host name; an SMTPUTF8 sender domain is listed by its A-labels.
  Msg m;
  m.ip = "203.0.113.81";
  m.helo = "b\xc3\xbcro.example";
  m.from = "<a@b\xc3\xbcro.example>";
  run_message(engine, m);
  CHECK(dns.was_asked("xn--bro-hoa.example.dbl.test", DnsType::A));
  CHECK_FALSE(dns.was_asked("b\xc3\xbcro.example.dbl.test", DnsType::A));
}
