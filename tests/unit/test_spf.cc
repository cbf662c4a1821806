// test_spf.cc — SPF: record syntax and rewrite (spf_record.cc), identity
// validation and check_host() through libspf2 with the DNS layer answering
// from the fake resolver (spf_eval.cc, spf_dns.cc), the worker job, and the
// spf / spf-helo checks in the engine (spf.cc, spf_helo.cc).
#include <chrono>
#include <thread>

#include "../../milter/checks/spf_dns.h"
#include "../../milter/checks/spf_eval.h"
#include "../../milter/checks/spf_record.h"
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;
using namespace std::chrono_literals;

TEST_CASE("spf: record syntax (RFC 7208 §12) and the rewrite for libspf2") {
  struct Row { const char* rec; bool v6; bool ok; const char* rewritten; };
  const Row rows[] = {
      {"v=spf1", false, true, "v=spf1"},
      {"V=SPF1 -ALL", false, true, "v=spf1 -all"},
      {"v=spf1  ip4:192.0.2.0/24   mx -all ", false, true, "v=spf1 ip4:192.0.2.0/24 mx -all"},
      {"v=spf1 redirect=x.example ip4:192.0.2.1", false, true, "v=spf1 ip4:192.0.2.1 redirect=x.example"},
      {"v=spf1 redirect=x.example ~all", false, true, "v=spf1 ~all"},
      {"v=spf1 moo.cow-far_out=man:dog/cat -all", false, true, "v=spf1 -all"},
      {"v=spf1 a:x.example/24//64 -all", false, true, "v=spf1 a:x.example/24 -all"},
      {"v=spf1 a:x.example/24//64 -all", true, true, "v=spf1 a:x.example//64 -all"},
      {"v=spf1 -ip4:1.2.3.4/0", false, true, "v=spf1 -ip4:0.0.0.0/1 -ip4:128.0.0.0/1"},
      {"v=spf1 ip6:2001:db8::/0", true, true, "v=spf1 ip6:::/1 ip6:8000::/1"},
      {"v=spf1 a/0 -all", false, true, "v=spf1 exists:%{d}.a0-4.legit-milter.invalid -all"},
      {"v=spf1 -mx:x.example.//0", true, true, "v=spf1 -exists:x.example.mx0-6.legit-milter.invalid"},
      {"v=spf1 a:x.example/0 -all", true, true, "v=spf1 a:x.example -all"},
      {"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all", false, true, nullptr},
      {"v=spf1 include:%{d}", false, true, nullptr},
      {"v=spf1x", false, false, nullptr},
      {"v=spf1 moo", false, false, nullptr},
      {"v=spf1 redirect:x.example", false, false, nullptr},
      {"v=spf1 a:foo-bar -all", false, false, nullptr},
      {"v=spf1 a:example.123 -all", false, false, nullptr},
      {"v=spf1 a: -all", false, false, nullptr},
      {"v=spf1 a:x.example/33", false, false, nullptr},
      {"v=spf1 ip4:1.2.3.4/032", false, false, nullptr},
      {"v=spf1 ip4:1.2.3.04", false, false, nullptr},
      {"v=spf1 ip4:1.2.3", false, false, nullptr},
      {"v=spf1 ip6:2001:db8::zz", false, false, nullptr},
      {"v=spf1 exists:x.example/24", false, false, nullptr},
      {"v=spf1 exp=a.example exp=b.example -all", false, false, nullptr},
      {"v=spf1 redirect=a.example redirect=b.example", false, false, nullptr},
      {"v=spf1 exists:%{c}.example", false, false, nullptr},
      {"v=spf1 exists:%x.example", false, false, nullptr},
      {"v=spf1 exists:x.example%", false, false, nullptr},
      {"v=spf1 a:ctrl.example\rptr -all", false, false, nullptr},
      {"v=spf1 a:caf\xc3\xa9.example -all", false, false, nullptr},
      {"v=spf1 all.", false, false, nullptr},
      {"v=spf1 foo=%{q}", false, false, nullptr},
  };
  for (const auto& r : rows) {
    SUBCASE(r.rec) {
      auto c = spf::check_record(r.rec, r.v6);
      INFO(c.why);
      CHECK(c.ok == r.ok);
      if (r.ok && r.rewritten) CHECK(c.rewritten == r.rewritten);
      if (!r.ok) CHECK(!c.why.empty());
    }
  }
  SUBCASE("embedded NUL and a 10 kB record never crash") {
    CHECK_FALSE(spf::check_record(std::string("v=spf1 a:x\0y.example", 20), false).ok);
    CHECK(spf::check_record("v=spf1 " + std::string(10000, 'a'), false).ok == false);
  }
}

TEST_CASE("spf: pruning for the client, broad records, the /0 markers") {
  auto v4 = *IpAddress::parse("192.0.2.9");
  auto v6 = *IpAddress::parse("2001:db8::9");
  struct Row { const char* rec; bool six; const char* rewritten; int pruned; bool broad; bool neutral_only; };
  const Row rows[] = {
      {"v=spf1 ip4:10.0.0.1 ip4:10.0.0.2 -all", false, "v=spf1 -all", 2, false, false},
      {"v=spf1 ip4:10.0.0.1 ~ip4:192.0.2.0/24 a -all", false, "v=spf1 ~all", 1, false, false},
      {"v=spf1 ip4:192.0.2.0/24 redirect=x.example", false, "v=spf1 all", 0, false, false},
      {"v=spf1 ip4:10.0.0.1 redirect=x.example", false, "v=spf1 redirect=x.example", 1, false, false},
      {"v=spf1 include:a.example ip4:192.0.0.0/8 -all", false, "v=spf1 include:a.example all", 0, true, false},
      {"v=spf1 -ip4:192.0.0.0/8 +all", false, "v=spf1 -all", 0, false, false},
      {"v=spf1 ip4:192.0.2.0/9 -all", false, "v=spf1 all", 0, false, false},
      {"v=spf1 ip6:2001::/16 -all", true, "v=spf1 all", 0, true, false},
      {"v=spf1 ip6:2001:db8::/17 ip4:0.0.0.0/0 -all", true, "v=spf1 all", 1, false, false},
      {"v=spf1 +all", false, "v=spf1 +all", 0, true, false},
      {"v=spf1 mx a/8 -all", false, "v=spf1 mx a/8 -all", 0, true, false},
      {"v=spf1 ?all", false, "v=spf1 ?all", 0, false, true},
      {"v=spf1 ip4:10.0.0.1 ?all", false, "v=spf1 ?all", 1, false, false},
  };
  for (const auto& r : rows) {
    SUBCASE(r.rec) {
      auto c = spf::check_record(r.rec, r.six ? v6 : v4);
      INFO(c.why);
      REQUIRE(c.ok);
      CHECK(c.rewritten == r.rewritten);
      CHECK(c.pruned == r.pruned);
      CHECK(c.broad == r.broad);
      CHECK(c.neutral_only == r.neutral_only);
    }
  }
  SUBCASE("2000 ip4 mechanisms shrink to what libspf2 can hold") {
    std::string rec = "v=spf1";
    for (int i = 0; i < 2000; ++i) rec += " ip4:10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    auto c = spf::check_record(rec + " -all", v4);
    CHECK(c.rewritten == "v=spf1 -all");
    CHECK(c.mechanisms == 1);
    CHECK(c.pruned == 2000);
  }
  SUBCASE("markers round-trip") {
    std::string kind, domain;
    CHECK(spf::parse_a0_marker("x.example.mx0-6.legit-milter.invalid", &kind, &domain));
    CHECK(kind == "mx6");
    CHECK(domain == "x.example");
    CHECK_FALSE(spf::parse_a0_marker("legit-milter.invalid", &kind, &domain));
    CHECK_FALSE(spf::parse_a0_marker("x.example", &kind, &domain));
  }
}

TEST_CASE("spf: identities (RFC 7208 §2.3, §4.3)") {
  struct Row { std::string name; bool domain; bool helo; };
  const Row rows[] = {
      {"example.org", true, true},
      {"Mail.Example.ORG.", true, true},
      {"_spf.example.org", true, true},
      {"localhost", false, false},
      {"", false, false},
      {".", false, false},
      {"a..example", false, false},
      {std::string(64, 'a') + ".example", false, false},
      {std::string(63, 'a') + ".example", true, true},
      {std::string(250, 'a') + ".org", false, false},
      {"[192.0.2.1]", false, false},
      {"192.0.2.1", true, false},
      {"2001:db8::1", false, false},
      {"bad name.example", false, false},
      {"caf\xc3\xa9.example", false, false},
      {std::string("x\0y.example", 11), false, false},
      {"evil.example\r\n", false, false},
      {"user@example.org", false, false},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name.c_str()) {
      CHECK(spf::valid_spf_domain(r.name) == r.domain);
      CHECK(spf::valid_helo_domain(r.name) == r.helo);
    }
  }
}

namespace {

spf::SpfOutcome eval(FakeResolver& dns, const std::string& ip, const std::string& domain,
                     const std::string& local = "user") {
  spf::SpfQuery q{ip, "mail.example.net", local + "@" + domain, domain, "mx.example.net"};
  return spf::evaluate_spf(dns, q, 5s);
}

void many_a(FakeResolver& f, int n) {
  std::string rec = "v=spf1";
  for (int i = 1; i <= n; ++i) {
    rec += " a:n" + std::to_string(i) + ".example.org";
    f.add("n" + std::to_string(i) + ".example.org", DnsType::A, {"192.0.2.200"});
  }
  f.add("example.org", DnsType::TXT, {rec + " ip4:192.0.2.1 -all"});
}

}  // namespace

TEST_CASE("spf: check_host() results through the DNS layer") {
  struct Row { const char* name; const char* ip; std::function<void(FakeResolver&)> zone; const char* result; };
  const Row rows[] = {
      {"pass ip4", "192.0.2.1", [](FakeResolver& f) { f.add("example.org", DnsType::TXT, {"v=spf1 ip4:192.0.2.0/24 -all"}); }, "pass"},
      {"fail", "198.51.100.1", [](FakeResolver& f) { f.add("example.org", DnsType::TXT, {"v=spf1 ip4:192.0.2.0/24 -all"}); }, "fail"},
      {"softfail", "198.51.100.1", [](FakeResolver& f) { f.add("example.org", DnsType::TXT, {"v=spf1 ~all"}); }, "softfail"},
      {"neutral (empty record)", "198.51.100.1", [](FakeResolver& f) { f.add("example.org", DnsType::TXT, {"v=spf1"}); }, "neutral"},
      {"none: NXDOMAIN", "192.0.2.1", [](FakeResolver&) {}, "none"},
      {"none: other TXT only", "192.0.2.1", [](FakeResolver& f) { f.add("example.org", DnsType::TXT, {"v=spf10", "hello"}); }, "none"},
      {"temperror: TXT timeout", "192.0.2.1", [](FakeResolver& f) { f.set("example.org", DnsType::TXT, DnsStatus::temperror, "timeout"); }, "temperror"},
      {"temperror: include timeout", "192.0.2.1", [](FakeResolver& f) {
         f.add("example.org", DnsType::TXT, {"v=spf1 include:slow.example.org -all"});
         f.set("slow.example.org", DnsType::TXT, DnsStatus::temperror, "timeout"); }, "temperror"},
      {"permerror: two records", "192.0.2.1", [](FakeResolver& f) { f.add("example.org", DnsType::TXT, {"v=spf1 -all", "v=spf1 +all"}); }, "permerror"},
      {"permerror: syntax", "192.0.2.1", [](FakeResolver& f) { f.add("example.org", DnsType::TXT, {"v=spf1 ip4:192.0.2.300 +all"}); }, "permerror"},
      {"permerror: include of no record", "192.0.2.1", [](FakeResolver& f) { f.add("example.org", DnsType::TXT, {"v=spf1 include:none.example.org -all"}); }, "permerror"},
      {"10 lookups are fine", "192.0.2.1", [](FakeResolver& f) { many_a(f, 10); }, "pass"},
      {"11 lookups: permerror", "192.0.2.1", [](FakeResolver& f) { many_a(f, 11); }, "permerror"},
      {"3 void lookups: permerror", "192.0.2.1", [](FakeResolver& f) {
         f.add("example.org", DnsType::TXT, {"v=spf1 a:v1.example.org a:v2.example.org a:v3.example.org ip4:192.0.2.1"}); }, "permerror"},
      {"2 void lookups are fine", "192.0.2.1", [](FakeResolver& f) {
         f.add("example.org", DnsType::TXT, {"v=spf1 a:v1.example.org a:v2.example.org ip4:192.0.2.1"}); }, "pass"},
      {"mx pass, best preference first", "192.0.2.9", [](FakeResolver& f) {
         f.add("example.org", DnsType::TXT, {"v=spf1 mx -all"});
         f.add("example.org", DnsType::MX, {"20 b.example.org", "10 a.example.org"});
         f.add("b.example.org", DnsType::A, {"192.0.2.9"});
         f.add("a.example.org", DnsType::A, {"not-an-address", "192.0.2.8"}); }, "pass"},
      {"11 MX names: permerror", "192.0.2.9", [](FakeResolver& f) {
         f.add("example.org", DnsType::TXT, {"v=spf1 mx -all"});
         std::vector<std::string> mx;
         for (int i = 0; i < 11; ++i) mx.push_back(std::to_string(i) + " m" + std::to_string(i) + ".example.org");
         f.add("example.org", DnsType::MX, mx);
         f.add("m0.example.org", DnsType::A, {"192.0.2.9"}); }, "permerror"},
      {"ptr pass; a PTR name timing out is skipped", "192.0.2.7", [](FakeResolver& f) {
         f.add("example.org", DnsType::TXT, {"v=spf1 ptr -all"});
         f.add("7.2.0.192.in-addr.arpa", DnsType::PTR, {"slow.example.org", "h.example.org"});
         f.set("slow.example.org", DnsType::A, DnsStatus::temperror, "timeout");
         f.add("h.example.org", DnsType::A, {"192.0.2.7"}); }, "pass"},
      {"redirect", "192.0.2.1", [](FakeResolver& f) {
         f.add("example.org", DnsType::TXT, {"v=spf1 redirect=_spf.example.org"});
         f.add("_spf.example.org", DnsType::TXT, {"v=spf1 ip4:192.0.2.1 -all"}); }, "pass"},
      {"IPv6 a", "2001:db8::25", [](FakeResolver& f) {
         f.add("example.org", DnsType::TXT, {"v=spf1 a -all"});
         f.add("example.org", DnsType::AAAA, {"2001:db8::25"}); }, "pass"},
      {"IPv4-mapped IPv6 client matches ip4", "::ffff:192.0.2.1", [](FakeResolver& f) {
         f.add("example.org", DnsType::TXT, {"v=spf1 ip4:192.0.2.1 -all"}); }, "pass"},
      {"malformed TXT answer: none", "192.0.2.1", [](FakeResolver& f) { f.set("example.org", DnsType::TXT, DnsStatus::malformed); }, "none"},
      {"bad client IP: permerror", "999.1.1.1", [](FakeResolver& f) { f.add("example.org", DnsType::TXT, {"v=spf1 +all"}); }, "permerror"},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      FakeResolver dns;
      r.zone(dns);
      auto o = eval(dns, r.ip, "example.org");
      INFO(o.detail);
      CHECK(o.result == r.result);
      CHECK_FALSE(o.detail.empty());
      CHECK_FALSE(dns.was_asked("example.org", DnsType::SPF));  // RFC 7208 §3.1: TXT only
    }
  }
}

TEST_CASE("spf: hostile records and answers never crash") {
  const std::string recs[] = {
      "v=spf1 exists:%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.example.org -all",
      "v=spf1 a:" + std::string(300, 'x') + ".example.org -all",
      "v=spf1 include:example.org -all",  // loops to itself
      "v=spf1 " + std::string(400, ' ') + "-all",
      std::string("v=spf1 ip4:192.0.2.1\0 +all", 26),
  };
  for (const auto& rec : recs) {
    FakeResolver dns;
    dns.add("example.org", DnsType::TXT, {rec});
    auto o = eval(dns, "192.0.2.1", "example.org", std::string(200, 'L'));
    INFO(rec.substr(0, 60) << " -> " << o.result << ": " << o.detail);
    CHECK_FALSE(o.result.empty());
  }
}

TEST_CASE("spf: an exp= explanation is never fetched nor compiled (libspf2 overflows its stack on one)") {
  // The explanation text that smashed libspf2 1.2.10's stack in
  // SPF_record_compile_macro (tests/fuzz/regress/spf_eval/), shortened to
  // its shape: bytes over 0x7f and unterminated macros.
  std::string text = "u\xff\xff%{l}.:%%.{}l{d}&d.%{d}.of1 mx v=rpf1}l{d}&d." + std::string(200, '\xff') +
                     "%{i\xff\xd3\xd3" + std::string(60, '\xd3') + ":" + std::string(40, '\xff') + "@@@@";
  FakeResolver dns;
  dns.add("example.org", DnsType::TXT, {"v=spf1 -all exp=explain.example.org"});
  dns.add("explain.example.org", DnsType::TXT, {text});
  auto o = eval(dns, "192.0.2.1", "example.org");
  CHECK(o.result == "fail");
  CHECK_FALSE(dns.was_asked("explain.example.org", DnsType::TXT));
  CHECK(o.detail.find("explanation") == std::string::npos);
}

namespace {

// Answers only once release() is called: a lookup that hangs (asked any
// number of times: SpfJob asks once on the caller's thread, then again on
// the pool, as the real resolver joins a lookup in flight).
class GatedResolver : public Resolver {
 public:
  GatedResolver() : answer_(gate_.get_future().share()) {}
  DnsLookup lookup(std::string_view, DnsType) override { return DnsLookup(answer_); }
  void release() { gate_.set_value(DnsAnswer::of(DnsStatus::temperror, "released")); }

 private:
  std::promise<DnsAnswer> gate_;
  std::shared_future<DnsAnswer> answer_;
};

}  // namespace

TEST_CASE("spf: the worker is bounded and can be abandoned") {
  GatedResolver slow;
  spf::SpfQuery q{"192.0.2.1", "mail.example.net", "user@example.org", "example.org", "mx"};
  auto start = std::chrono::steady_clock::now();
  {
    auto job = spf::SpfJob::start(slow, q, 300ms);
    auto o = job.wait();
    CHECK(o.result == "temperror");
    CHECK(o.detail.find("longer than") != std::string::npos);
  }  // destroyed while the worker still waits: cancelled, not joined
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  slow.release();
  std::this_thread::sleep_for(100ms);  // let the worker finish before `slow` goes away

  FakeResolver dns;
  dns.add("example.org", DnsType::TXT, {"v=spf1 +all"});
  auto job = spf::SpfJob::start(dns, q, 5s);
  CHECK(job.wait().result == "pass");
  CHECK(job.wait().result == "pass");  // may be asked again
  spf::SpfJob none;
  CHECK(none.wait().result == "temperror");
}

namespace {

std::vector<const CheckInfo*> spf_checks() {
  std::vector<const CheckInfo*> out;
  for (const auto& c : check_registry())
    if (c.name == "spf" || c.name == "spf-helo") out.push_back(&c);
  return out;
}

}  // namespace

TEST_CASE("spf: the checks in the engine") {
  Config cfg = make_config();
  FakeResolver dns;
  dns.add("example.com", DnsType::TXT, {"v=spf1 ip4:192.0.2.0/24 -all"});
  dns.add("mail.example.com", DnsType::TXT, {"v=spf1 a -all"});
  dns.add("mail.example.com", DnsType::A, {"192.0.2.5"});
  Engine engine(cfg, dns, spf_checks());
  REQUIRE(spf_checks().size() == 2);

  SUBCASE("pass for both identities, facts for DMARC") {
    auto d = engine.open();
    d->connect("unknown", "192.0.2.5");
    d->helo("MAIL.example.com.");
    d->mail_from("<alice@Example.COM>", "");
    auto o = d->end_of_message("Q1");
    CHECK(result_of(o, "spf") == "pass");
    CHECK(result_of(o, "spf-helo") == "pass");
    const auto& auth = d->session().msg.auth;
    CHECK(auth.spf_mailfrom == "pass");
    CHECK(auth.spf_mailfrom_domain == "example.com");
    CHECK(auth.spf_helo == "pass");
    CHECK(auth.spf_helo_domain == "mail.example.com");
    // A second message on the connection is scored on its own.
    d->mail_from("<bob@nospf.example>", "");
    o = d->end_of_message("Q2");
    CHECK(result_of(o, "spf") == "none");
    CHECK(d->session().msg.auth.spf_mailfrom_domain == "nospf.example");
    // An SMTPUTF8 sender is evaluated for the A-labels of its domain (RFC 8616).
    dns.add("xn--bro-hoa.example", DnsType::TXT, {"v=spf1 ip4:192.0.2.0/24 -all"});
    d->mail_from("<j\xc3\xb6rg@B\xc3\xbcro.example>", "");
    CHECK(result_of(d->end_of_message("Q4"), "spf") == "pass");
    CHECK(d->session().msg.auth.spf_mailfrom_domain == "xn--bro-hoa.example");
  }
  SUBCASE("null sender: spf none, the HELO result stands for MAIL FROM") {
    Msg m;
    m.ip = "198.51.100.1";
    m.from = "<>";
    auto d = engine.open();
    d->connect("unknown", m.ip);
    d->helo(m.helo);
    d->mail_from(m.from, "");
    auto o = d->end_of_message("Q3");
    CHECK(result_of(o, "spf") == "none");
    CHECK(result_of(o, "spf-helo") == "fail");
    CHECK(d->session().msg.auth.spf_mailfrom == "fail");
    CHECK(d->session().msg.auth.spf_mailfrom_domain == "mail.example.com");
  }
  SUBCASE("hostile HELO and sender: none, no lookup") {
    Msg m;
    m.ip = "2001:db8::1";
    m.helo = "[2001:db8::1]";
    m.from = std::string("<x@bad\r\nname.example>");
    auto o = run_message(engine, m);
    CHECK(result_of(o, "spf") == "none");
    CHECK(result_of(o, "spf-helo") == "none");
  }
  SUBCASE("no client IP: no findings") {
    Msg m;
    auto o = run_message(engine, m);
    CHECK(result_of(o, "spf") == "");
  }
}
