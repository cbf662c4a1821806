// test_dmarc.cc — the DMARC record and From parsers (milter/checks/
// dmarc_record.cc) and the dmarc check (milter/checks/dmarc.cc) with
// FakeResolver and SPF/DKIM results filled in by hand through a stub check
// registered before dmarc, as spf and dkim are in the real registry.
#include "../../milter/checks/dmarc_record.h"
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

TEST_CASE("dmarc: is_dmarc_record") {
  const std::pair<const char*, bool> rows[] = {
      {"v=DMARC1; p=none", true},       {"v = DMARC1 ;p=reject", true}, {"v=DMARC1", true},
      {" v=DMARC1; p=none", true},      {"v=dmarc1; p=none", false},    {"p=none; v=DMARC1", false},
      {"v=DMARC10; p=none", false},     {"v=spf1 -all", false},         {"", false},
      {"v=DMARC1x", false},             {"vv=DMARC1", false},
  };
  for (const auto& [txt, want] : rows) {
    SUBCASE(txt) { CHECK(dmarc::is_dmarc_record(txt) == want); }
  }
}

TEST_CASE("dmarc: parse_record") {
  using dmarc::Policy;
  struct Row {
    const char* txt;
    bool ok;
    Policy p, sp;  // sp == p when no sp= tag is expected
    bool strict_dkim, strict_spf;
    int pct;
  };
  const Row rows[] = {
      {"v=DMARC1; p=reject", true, Policy::reject, Policy::reject, false, false, 100},
      {"v=DMARC1;p=Quarantine;sp=none;adkim=s;aspf=S;pct=20", true, Policy::quarantine, Policy::none, true, true, 20},
      {"v=DMARC1; P=NONE; ADKIM=r; rua=mailto:a@b.test; x-unknown=1;", true, Policy::none, Policy::none, false, false, 100},
      {"v=DMARC1; rua=mailto:a@b.test", true, Policy::none, Policy::none, false, false, 100},
      {"v=DMARC1; p=bogus; rua=mailto:a@b.test", true, Policy::none, Policy::none, false, false, 100},
      {"v=DMARC1; p=reject; junk", true, Policy::reject, Policy::reject, false, false, 100},
      {"v=DMARC1", false, {}, {}, false, false, 0},
      {"v=DMARC1; p=bogus", false, {}, {}, false, false, 0},
      {"v=DMARC1; p=reject; sp=maybe", false, {}, {}, false, false, 0},
      {"v=DMARC1; p=reject; adkim=x", false, {}, {}, false, false, 0},
      {"v=DMARC1; p=reject; pct=101", false, {}, {}, false, false, 0},
      {"v=DMARC1; p=reject; pct=-1", false, {}, {}, false, false, 0},
      {"v=DMARC1; p=reject; pct=", false, {}, {}, false, false, 0},
      {"v=spf1 -all", false, {}, {}, false, false, 0},
  };
  for (const auto& r : rows) {
    SUBCASE(r.txt) {
      auto got = dmarc::parse_record(r.txt);
      REQUIRE(got.record.has_value() == r.ok);
      CHECK(got.error.empty() == r.ok);
      if (!r.ok) continue;
      CHECK(got.record->p == r.p);
      CHECK(got.record->sp.value_or(got.record->p) == r.sp);
      CHECK(got.record->strict_dkim == r.strict_dkim);
      CHECK(got.record->strict_spf == r.strict_spf);
      CHECK(got.record->pct == r.pct);
    }
  }
}

TEST_CASE("dmarc: From domain (RFC 7489 §6.6.1)") {
  const std::pair<std::vector<std::string>, const char*> rows[] = {
      {{"alice@Example.ORG"}, "example.org"},
      {{"Alice <alice@example.org>"}, "example.org"},
      {{"\"Doe, Alice\" <alice@example.org> (work)"}, "example.org"},
      {{"\"a@evil.test\" <alice@example.org>"}, "example.org"},
      {{"alice@example.org (comment, with @ and <x@y.test>)"}, "example.org"},
      {{"Alice\n\t<alice@mail.example.org.>"}, "mail.example.org"},
      {{"Friends: alice@example.org;"}, "example.org"},
      {{"\"quoted@local\"@example.org"}, "example.org"},
      {{}, ""},
      {{"a@example.org", "b@example.org"}, ""},
      {{"a@example.org, b@example.org"}, ""},
      {{"\"PayPal\" <service@paypal.com> <x@evil.test>"}, ""},  // two angle addresses: two addresses
      {{"undisclosed-recipients:;"}, ""},
      {{""}, ""},
      {{"alice"}, ""},
      {{"alice@localhost"}, ""},
      {{"alice@[192.0.2.1]"}, ""},
      {{"alice@ex ample.org"}, ""},
      // SMTPUTF8 (RFC 6532): a U-label From domain is judged by its A-labels (RFC 8616 §5)
      {{"alice@\xc3\xa9xample.org"}, "xn--xample-9ua.org"},
      {{"J\xc3\xb6rg M\xc3\xbcller <j\xc3\xb6rg@b\xc3\xa4" "ckerei-m\xc3\xbcller.de>"}, "xn--bckerei-mller-bfb28a.de"},
      {{"alice@\xc3\x84PPLE.SE"}, "xn--pple-koa.se"},
      // full-width letters map to the ASCII name they show: a spoof of it, judged as it
      {{"alice@\xef\xbd\x85\xef\xbd\x98" "ample.org"}, "example.org"},
      {{"alice@\xe9xample.org"}, ""},                  // Latin-1, not UTF-8
      {{"alice@b\xc3\xbc ro.example"}, ""},
      {{"alice@\xe2\x80\xae" "example.org"}, ""},       // a bidi control character
      {{std::string("alice@example.org\0.evil.test", 28)}, ""},
      {{"alice@" + std::string(300, 'a') + ".org"}, ""},
      {{"alice@example.org\r\nBcc: x@y.test"}, ""},
      {{"<<<>>>((("}, ""},
  };
  for (const auto& [values, want] : rows) {
    SUBCASE((values.empty() ? std::string("(none)") : values.front().substr(0, 40)).c_str()) {
      auto got = dmarc::from_domain(values);
      CHECK(got.domain == want);
      CHECK(got.error.empty() == (std::string(want) != ""));
    }
  }
}

namespace {

// Publishes SPF and DKIM results the way the spf and dkim checks do.
struct Facts {
  std::string spf = "", spf_domain = "";
  std::vector<AuthFacts::Dkim> dkim = {};
  bool spf_broad = false;
};

class FactsCheck : public Check {
 public:
  explicit FactsCheck(const Facts& f) : f_(f) {}
  std::vector<Finding> finish(Session& s) override {
    s.msg.auth.spf_mailfrom = f_.spf;
    s.msg.auth.spf_mailfrom_domain = f_.spf_domain;
    s.msg.auth.spf_mailfrom_broad = f_.spf_broad;
    s.msg.auth.dkim = f_.dkim;
    return {};
  }

 private:
  Facts f_;
};

const CheckInfo* dmarc_info() {
  for (const auto& c : check_registry())
    if (c.name == "dmarc") return &c;
  return nullptr;
}

struct Got {
  std::string result, detail, ar;
  Action action = Action::accept;
  std::string floor_by;
};

Got run(FakeResolver& dns, const Facts& facts, std::vector<std::pair<std::string, std::string>> headers,
        std::map<std::string, std::string> options = {}) {
  CheckInfo stub{"facts", "", {}, {}, [facts](const Config&) { return std::make_unique<FactsCheck>(facts); }};
  Config cfg = make_config(std::move(options));
  Engine engine(cfg, dns, {&stub, dmarc_info()});
  Msg m;
  m.ip = "203.0.113.201";
  m.headers = std::move(headers);
  Outcome o = run_message(engine, m);
  Got g;
  g.action = o.verdict.action;
  g.floor_by = o.verdict.floor_by;
  for (const auto& it : o.verdict.items)
    if (it.finding.check == "dmarc") {
      g.result = it.finding.result;
      g.detail = it.finding.detail;
      // its table's points; more when its floor set the action (verdict.h)
      if (g.floor_by == "dmarc:" + g.result) CHECK(it.points <= cfg.points("dmarc", g.result));
      else CHECK(it.points == cfg.points("dmarc", g.result));
    }
  for (char c : o.adds.at(1).second)
    if (c != '\n') g.ar += c == '\t' ? ' ' : c;
  return g;
}

void zone(FakeResolver& f) {
  f.add("_dmarc.example.org", DnsType::TXT, {"v=DMARC1; p=reject; sp=quarantine", "some-verification=1"});
  f.add("_dmarc.q.example.org", DnsType::TXT, {"v=DMARC1; p=quarantine"});
  f.add("_dmarc.n.example.org", DnsType::TXT, {"v=DMARC1; p=none"});
  f.add("_dmarc.strict.example.org", DnsType::TXT, {"v=DMARC1; p=reject; adkim=s; aspf=s"});
  f.add("_dmarc.multi.example.org", DnsType::TXT, {"v=DMARC1; p=reject", "v=DMARC1; p=none"});
  f.add("_dmarc.bad.example.org", DnsType::TXT, {"v=DMARC1; p=bogus"});
  f.set("_dmarc.slow.example.org", DnsType::TXT, DnsStatus::temperror, "timeout");
  f.set("_dmarc.slow-org.test", DnsType::TXT, DnsStatus::temperror, "timeout");
  f.add("_dmarc.other.test", DnsType::TXT, {"v=spf1 -all"});
  // roll-out records (pct=, t=)
  for (const auto& [domain, rec] : std::initializer_list<std::pair<const char*, const char*>>{
           {"q0.test", "p=quarantine; pct=0"}, {"r0.test", "p=reject; pct=0"}, {"r49.test", "p=reject; pct=49"},
           {"r50.test", "p=reject; pct=50"}, {"rt.test", "p=reject; t=Y"}, {"rtn.test", "p=reject; t=n"},
           {"sp0.test", "p=none; sp=reject; pct=0"}})
    f.add(std::string("_dmarc.") + domain, DnsType::TXT, {std::string("v=DMARC1; ") + rec});
}

AuthFacts::Dkim pass(const char* d) { return {d, "sel", "pass"}; }

}  // namespace

TEST_CASE("dmarc: results") {
  struct Row {
    const char* name;
    const char* from;
    Facts facts;
    const char* result;
    const char* ar;
  };
  const Row rows[] = {
      {"pass via DKIM", "a@example.org", {"", "", {pass("example.org")}}, "pass",
       "dmarc=pass (p=reject sp=quarantine) header.from=example.org"},
      {"pass via relaxed DKIM", "a@mail.example.org", {"", "", {pass("example.org")}}, "pass", "dmarc=pass"},
      {"pass via relaxed SPF", "a@example.org", {"pass", "bounce.example.org"}, "pass", "dmarc=pass"},
      {"SPF fail does not align", "a@example.org", {"fail", "example.org"}, "fail-reject", "dmarc=fail (p=reject"},
      {"DKIM fail does not align", "a@example.org", {"", "", {{"example.org", "s", "fail"}}}, "fail-reject",
       "dmarc=fail"},
      {"unaligned DKIM pass", "a@example.org", {"pass", "other.test", {pass("other.test")}}, "fail-reject",
       "dmarc=fail"},
      {"quarantine", "a@q.example.org", {}, "fail-quarantine", "dmarc=fail (p=quarantine) header.from=q.example.org"},
      {"none", "a@n.example.org", {}, "fail-none", "dmarc=fail (p=none)"},
      {"subdomain: org record's sp=", "a@sub.example.org", {}, "fail-quarantine", "header.from=sub.example.org"},
      {"strict DKIM", "a@strict.example.org", {"", "", {pass("example.org")}}, "fail-reject", "dmarc=fail"},
      {"strict DKIM exact", "a@strict.example.org", {"", "", {pass("STRICT.example.org.")}}, "pass", "dmarc=pass"},
      {"strict SPF", "a@strict.example.org", {"pass", "example.org"}, "fail-reject", "dmarc=fail"},
      {"no record", "a@nothing.test", {}, "none", "dmarc=none header.from=nothing.test"},
      {"TXT but not DMARC", "a@other.test", {}, "none", "dmarc=none"},
      {"multiple records", "a@multi.example.org", {}, "none", "dmarc=none"},
      {"invalid record", "a@bad.example.org", {}, "permerror", "dmarc=permerror"},
      {"timeout", "a@slow.example.org", {}, "temperror", "dmarc=temperror"},
      {"timeout at the org domain", "a@x.slow-org.test", {}, "temperror", "dmarc=temperror"},
      // several author domains (§6.6.1): the most strict policy among those that fail
      {"two addresses, both fail", "a@example.org, b@example.org", {}, "fail-reject", "dmarc=fail (p=reject"},
      {"a brand next to our own aligned domain", "me@other.test, PayPal <a@example.org>",
       {"pass", "other.test", {pass("other.test")}}, "fail-reject", "header.from=example.org"},
      {"the most strict of the failing ones", "a@n.example.org, b@q.example.org", {}, "fail-quarantine",
       "header.from=q.example.org"},
      {"one passes, one p=none fails", "a@example.org, b@q0.test", {"", "", {pass("example.org")}},
       "fail-none", "header.from=q0.test"},
      {"every author passes: still bad-from", "a@example.org, b@mail.example.org", {"", "", {pass("example.org")}},
       "bad-from", "dmarc=permerror"},
      {"no policy anywhere: bad-from", "a@nothing.test, b@other.test", {}, "bad-from", "dmarc=permerror"},
      {"a second angle address", "\"PayPal\" <service@example.org> <me@other.test>",
       {"pass", "other.test", {pass("other.test")}}, "fail-reject", "header.from=example.org"},
      // pct= under 50 and t=y: the milder policy the owner asks for most of its mail (RFC 7489 §6.6.4)
      {"pct=0 quarantine: none", "a@q0.test", {}, "fail-none", "dmarc=fail (p=quarantine pct=0)"},
      {"pct=0 reject: quarantine", "a@r0.test", {}, "fail-quarantine", "dmarc=fail (p=reject pct=0)"},
      {"pct=49 reject: quarantine", "a@r49.test", {}, "fail-quarantine", "dmarc=fail"},
      {"pct=50 reject: reject", "a@r50.test", {}, "fail-reject", "dmarc=fail"},
      {"t=y reject: quarantine", "a@rt.test", {}, "fail-quarantine", "dmarc=fail (p=reject t=y)"},
      {"t=n reject: reject", "a@rtn.test", {}, "fail-reject", "dmarc=fail"},
      {"pct=0 on sp=reject: quarantine", "a@x.sp0.test", {}, "fail-quarantine", "header.from=x.sp0.test"},
  };
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      FakeResolver dns;
      zone(dns);
      Got g = run(dns, r.facts, {{"From", r.from}, {"Subject", "x"}});
      INFO(g.detail);
      INFO(g.ar);
      CHECK(g.result == r.result);
      CHECK(g.ar.find(r.ar) != std::string::npos);
    }
  }
}

TEST_CASE("dmarc: From field count; no header section at all is bad-from; no message, no finding") {
  FakeResolver dns;
  zone(dns);
  CHECK(run(dns, {}, {{"From", "a@nothing.test"}, {"from", "b@nothing.test"}}).result == "bad-from");
  // a second From field naming a p=reject domain (clients show either): its policy applies, with its floor
  Got two = run(dns, {"pass", "other.test", {pass("other.test")}},
                {{"From", "me@other.test"}, {"From", "PayPal <service@example.org>"}});
  CHECK(two.result == "fail-reject");
  CHECK(two.action == Action::quarantine);
  CHECK(two.detail.find("2 From headers") != std::string::npos);
  CHECK(run(dns, {}, {{"From", "a@n.example.org"}, {"From", "b@example.org"}}).result == "fail-reject");
  // the first four author domains are looked up, no more
  FakeResolver many;
  zone(many);
  run(many, {}, {{"From", "a@d1.test, a@d2.test, a@d3.test"}, {"From", "a@d4.test, a@example.org"}});
  CHECK(many.was_asked("_dmarc.d4.test", DnsType::TXT));
  CHECK_FALSE(many.was_asked("_dmarc.example.org", DnsType::TXT));
  // ... of the first eight From fields: a flood costs nothing more
  FakeResolver flood;
  zone(flood);
  std::vector<std::pair<std::string, std::string>> fields(8, {"From", "a@nothing.test"});
  fields.push_back({"From", "a@example.org"});
  CHECK(run(flood, {}, fields).result == "bad-from");
  CHECK_FALSE(flood.was_asked("_dmarc.example.org", DnsType::TXT));
  CHECK(run(dns, {}, {{"Subject", "no from"}}).result == "bad-from");
  Got none = run(dns, {}, {});
  CHECK(none.result == "bad-from");  // issue 9 item 8: was skipped
  CHECK(none.detail.find("no header section") != std::string::npos);
  Config cfg = make_config();
  Engine engine(cfg, dns, {dmarc_info()});
  auto d = engine.open();  // over the milter protocol: DATA with no header and no body
  d->connect("unknown", "203.0.113.202");
  d->mail_from("<a@example.org>", "");
  d->end_of_headers();
  CHECK(result_of(d->end_of_message("Q1"), "dmarc") == "bad-from");  // issue 9 item 8: was skipped
  d->mail_from("<a@example.org>", "");  // the check command without --message: no message at all
  d->no_message();
  d->end_of_headers();
  CHECK(result_of(d->end_of_message("Q2"), "dmarc") == "");
}

TEST_CASE("dmarc: the owner's policy is a floor; forwarders; unauthenticated") {
  FakeResolver dns;
  zone(dns);
  Facts spf_other{"pass", "other.test", {}};  // SPF pass for an unaligned envelope domain
  // Points too mild to quarantine by themselves: the floor alone must do it.
  const std::pair<std::string, std::string> mild{"points.dmarc.fail-reject", "-2"};
  Got g = run(dns, spf_other, {{"From", "a@example.org"}}, {mild});
  CHECK(g.result == "fail-reject");
  CHECK(g.action == Action::quarantine);  // alone, whatever else passed
  CHECK(g.floor_by == "dmarc:fail-reject");
  g = run(dns, spf_other, {{"From", "a@example.org"}}, {{"dmarc-reject-action", "reject"}});
  CHECK(g.action == Action::reject);
  Facts dkim_timeout{"pass", "other.test", {{"example.org", "s", "temperror"}}};
  g = run(dns, dkim_timeout, {{"From", "a@example.org"}}, {{"dmarc-reject-action", "reject"}});
  CHECK(g.action == Action::quarantine);  // DKIM might have aligned: never reject on that
  g = run(dns, spf_other, {{"From", "a@example.org"}}, {{"dmarc-reject-action", "none"}, mild});
  CHECK(g.action == Action::accept);
  // p=quarantine: only together with another negative finding (none here).
  g = run(dns, spf_other, {{"From", "a@q.example.org"}});
  CHECK(g.result == "fail-quarantine");
  CHECK(g.action == Action::accept);
  // pct=0 (a roll-out step): the owner asks for none, no floor even with another negative finding
  Facts spf_fail_other{"fail", "other.test", {}};
  g = run(dns, spf_fail_other, {{"From", "a@q0.test"}});
  CHECK(g.result == "fail-none");
  CHECK(g.floor_by == "");
  g = run(dns, spf_other, {{"From", "a@r0.test"}}, {mild});
  CHECK(g.result == "fail-quarantine");
  CHECK(g.action == Action::accept);  // quarantine's floor needs another negative
  // A listed forwarder: judged by its own DKIM, no floor.
  for (const char* fwd : {"203.0.113.0/24", "203.0.113.201"}) {
    g = run(dns, spf_other, {{"From", "a@example.org"}}, {{"forwarders", fwd}});
    CHECK(g.result == "forwarded");
    CHECK(g.action == Action::accept);
    CHECK(g.ar.find("dmarc=fail") != std::string::npos);
  }
  g = run(dns, spf_other, {{"From", "a@example.org"}}, {{"forwarders", "198.51.100.0/24"}});
  CHECK(g.result == "fail-reject");
  // Nothing authenticates the sender: no SPF record, no DKIM signature, no DMARC record.
  CHECK(run(dns, {"none", "nodmarc.test", {}}, {{"From", "a@nodmarc.test"}}).result == "unauthenticated");
  CHECK(run(dns, {"fail", "nodmarc.test", {}}, {{"From", "a@nodmarc.test"}}).result == "none");
  CHECK(run(dns, {"none", "nodmarc.test", {{"nodmarc.test", "s", "fail"}}}, {{"From", "a@nodmarc.test"}}).result ==
        "none");
  // An SPF record that authorises everyone (+all, ?all only) authenticates no one.
  Facts broad_pass{"pass", "nodmarc.test", {}};
  broad_pass.spf_broad = true;
  CHECK(run(dns, broad_pass, {{"From", "a@nodmarc.test"}}).result == "unauthenticated");
  Facts broad_neutral{"neutral", "nodmarc.test", {}};
  broad_neutral.spf_broad = true;
  CHECK(run(dns, broad_neutral, {{"From", "a@nodmarc.test"}}).result == "unauthenticated");
  CHECK(run(dns, {"pass", "nodmarc.test", {}}, {{"From", "a@nodmarc.test"}}).result == "none");
  CHECK(run(dns, {"neutral", "nodmarc.test", {}}, {{"From", "a@nodmarc.test"}}).result == "none");
  std::string err;
  CHECK_FALSE(config_from({{"forwarders", "not a domain"}}, &err));
  CHECK(config_from({{"forwarders", ".lists.example.org"}}, &err));
}

TEST_CASE("dmarc: policy lookups start when the From field arrives") {
  FakeResolver dns;
  zone(dns);
  Config cfg = make_config();
  Engine engine(cfg, dns, {dmarc_info()});
  auto d = engine.open();
  d->connect("unknown", "203.0.113.202");
  d->helo("mail.example.org");
  d->mail_from("<a@example.org>", "");
  d->header("Subject", "x");
  for (const auto& q : dns.asked()) CHECK(q.first.find("_dmarc") == std::string::npos);
  d->header("From", "Alice <a@Mail.Example.ORG>");
  CHECK(dns.was_asked("_dmarc.mail.example.org", DnsType::TXT));
  CHECK(dns.was_asked("_dmarc.example.org", DnsType::TXT));
  d->end_of_headers();
  CHECK(result_of(d->end_of_message("Q1"), "dmarc") == "fail-quarantine");  // sp=
}
