// test_anonymous.cc — the anonymous check (milter/checks/anonymous.cc)
// through the engine with the checks whose results it reads (ptr, helo,
// spf, spf-helo, dkim), DNS from the fake resolver.
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace {

struct Row {
  const char* name;
  const char* ip;
  const char* helo;
  std::function<void(FakeResolver&)> zone;
  const char* result;  // "" = no finding
};

std::vector<const CheckInfo*> checks() {
  std::vector<const CheckInfo*> out;
  for (const char* n : {"iprev", "ptr", "helo", "spf", "spf-helo", "dkim", "allowlist", "anonymous"})
    out.push_back(check_info(n));
  return out;
}

void fcrdns(FakeResolver& f, const char* ip, const char* name) {
  auto a = IpAddress::parse(ip);
  f.add(a->reverse_name(), DnsType::PTR, {name});
  f.add(name, DnsType::A, {ip});
}

}  // namespace

TEST_CASE("anonymous: a client named nowhere sending unauthenticated mail") {
  const char* ec2 = "ec2-3-121-200-14.eu-central-1.compute.amazonaws.com";
  const Row rows[] = {
      {"cloud default PTR, HELO = PTR, no SPF", "3.121.200.14", ec2,
       [&](FakeResolver& f) { fcrdns(f, "3.121.200.14", ec2); }, "unnamed-unauthenticated"},
      {"dynamic PTR, internal HELO, no SPF", "192.181.15.33", "ip-172-31-40-2.eu-central-1.compute.internal",
       [](FakeResolver& f) { fcrdns(f, "192.181.15.33", "cpe-192-181-15-33.kya.res.rr.com"); },
       "unnamed-unauthenticated"},
      {"no PTR, HELO does not resolve", "192.0.2.9", "mail.nowhere.example", [](FakeResolver&) {},
       "unnamed-unauthenticated"},
      {"hoster's static PTR, HELO generic", "46.161.27.133", "46-161-27-133.static.hostingline.example",
       [](FakeResolver& f) { fcrdns(f, "46.161.27.133", "46-161-27-133.static.hostingline.example"); },
       "unnamed-unauthenticated"},
      {"SPF pass that authorises everyone does not count", "3.121.200.14", ec2,
       [&](FakeResolver& f) {
         fcrdns(f, "3.121.200.14", ec2);
         f.add("example.com", DnsType::TXT, {"v=spf1 +all"});
       }, "unnamed-unauthenticated"},
      {"SPF of the MAIL FROM domain passes", "3.121.200.14", ec2,
       [&](FakeResolver& f) {
         fcrdns(f, "3.121.200.14", ec2);
         f.add("example.com", DnsType::TXT, {"v=spf1 ip4:3.121.200.14 -all"});
       }, ""},
      {"SPF of the HELO passes", "3.121.200.14", "app.example.net",
       [&](FakeResolver& f) {
         fcrdns(f, "3.121.200.14", ec2);
         f.add("app.example.net", DnsType::TXT, {"v=spf1 ip4:3.121.200.14 -all"});
       }, ""},
      {"HELO is its own name resolving to it", "94.130.55.21", "mail.club.example",
       [](FakeResolver& f) {
         fcrdns(f, "94.130.55.21", "static.21.55.130.94.clients.your-server.de");
         f.add("mail.club.example", DnsType::A, {"94.130.55.21"});
       }, ""},
      {"a name of its own in the PTR", "192.0.2.10", "mail.example.com",
       [](FakeResolver& f) { fcrdns(f, "192.0.2.10", "mail.example.com"); }, ""},
      {"PTR not confirmed is a name, if a weak one", "192.0.2.11", "x.nowhere.example",
       [](FakeResolver& f) { f.add("11.2.0.192.in-addr.arpa", DnsType::PTR, {"mail.example.org"}); }, ""},
      {"PTR lookup timed out", "192.0.2.12", "x.nowhere.example",
       [](FakeResolver& f) { f.set("12.2.0.192.in-addr.arpa", DnsType::PTR, DnsStatus::temperror, "timeout"); },
       ""},
      {"SPF lookup timed out", "192.0.2.13", "x.nowhere.example",
       [](FakeResolver& f) { f.set("example.com", DnsType::TXT, DnsStatus::temperror, "timeout"); }, ""},
  };
  Config cfg = make_config();
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      FakeResolver dns;
      r.zone(dns);
      Engine engine(cfg, dns, checks());
      Msg m;
      m.ip = r.ip;
      m.helo = r.helo;
      m.from = "<alice@example.com>";
      Outcome o = run_message(engine, m);
      CHECK(result_of(o, "anonymous") == r.result);
      if (*r.result) {
        CHECK(o.verdict.action == Action::quarantine);  // at least: the floor
        for (const auto& it : o.verdict.items)
          if (it.finding.check == "anonymous") CHECK(it.finding.floor == "quarantine");
        CHECK(cfg.points("anonymous", r.result) == 0);
      }
    }
  }
}

// A bot on a cable line with its generic PTR as HELO and no authentication.
Outcome cable_bot(const Config& cfg) {
  FakeResolver dns;
  fcrdns(dns, "192.181.15.33", "cpe-192-181-15-33.kya.res.rr.com");
  Engine engine(cfg, dns, checks());
  Msg m;
  m.ip = "192.181.15.33";
  m.helo = "cpe-192-181-15-33.kya.res.rr.com";
  return run_message(engine, m);
}

TEST_CASE("anonymous: anonymous-action = none keeps the finding, sets no floor") {
  Config cfg = make_config({{"anonymous-action", "none"}});
  Outcome o = cable_bot(cfg);
  CHECK(result_of(o, "anonymous") == "unnamed-unauthenticated");
  CHECK(o.verdict.floor_by.empty());
  CHECK(o.verdict.score >= cfg.quarantine_below);  // -2.5: the floor alone would quarantine
  CHECK(o.verdict.action == Action::accept);
  CHECK(cable_bot(make_config()).verdict.floor_by == "anonymous:unnamed-unauthenticated");
}

TEST_CASE("anonymous: a listed forwarder is judged by what it adds, not named here") {
  CHECK(result_of(cable_bot(make_config({{"forwarders", "192.181.15.0/24"}})), "anonymous") == "");
}

TEST_CASE("anonymous: the postmaster's allowlist wins (a device listed because it cannot authenticate)") {
  Outcome o = cable_bot(make_config({{"allowlist-clients", "192.181.15.33"}}));
  CHECK(result_of(o, "allowlist") == "client");
  CHECK(result_of(o, "anonymous") == "");
  CHECK(o.verdict.action == Action::accept);
  // a listed sender that does not authenticate vouches for nothing
  Outcome u = cable_bot(make_config({{"allowlist-senders", "example.com"}}));
  CHECK(result_of(u, "allowlist") == "sender-unverified");
  CHECK(result_of(u, "anonymous") == "unnamed-unauthenticated");
  CHECK(u.verdict.action == Action::quarantine);
}

namespace {

// What ptr, helo, spf and dkim would have published, set directly.
class FactsCheck : public Check {
 public:
  explicit FactsCheck(AuthFacts f) : f_(std::move(f)) {}
  std::vector<Finding> finish(Session& s) override {
    s.msg.auth = f_;
    return {};
  }

 private:
  AuthFacts f_;
};

std::string anonymous_with(const AuthFacts& facts) {
  CheckInfo stub{"facts", "", {}, {}, [facts](const Config&) { return std::make_unique<FactsCheck>(facts); }};
  Config cfg = make_config();
  FakeResolver dns;
  Engine engine(cfg, dns, {&stub, check_info("anonymous")});
  Msg m;
  m.ip = "91.64.12.34";
  return result_of(run_message(engine, m), "anonymous");
}

}  // namespace

// DKIM replay: a message once sent through a free-mail provider (its
// signature intact) resent by a bot on a cable line. The provider signs only
// on its own named servers and its SPF says this client is not one of them:
// that DKIM pass authenticates nothing here (old code: no finding, +1 in the
// corpus). Any other DKIM pass still counts.
TEST_CASE("anonymous: a free-mail provider's DKIM pass for its own envelope domain, SPF not passing, is a replay") {
  struct Row { const char* name; const char* spf; const char* spf_domain; const char* d; const char* want; };
  const Row rows[] = {
      {"gmail.com signature, MAIL FROM gmail.com softfail", "softfail", "gmail.com", "gmail.com", "unnamed-unauthenticated"},
      {"gmail.com signature, MAIL FROM gmail.com fail", "fail", "gmail.com", "gmail.com", "unnamed-unauthenticated"},
      {"trial tenant signature, its own envelope", "softfail", "contoso7731.onmicrosoft.com",
       "contoso7731.onmicrosoft.com", "unnamed-unauthenticated"},
      {"gmail.com signature, a list's own envelope (no SPF)", "none", "lists.example.org", "gmail.com", ""},
      {"a company's own signature, its SPF forgot the VM", "softfail", "corp-app.example", "corp-app.example", ""},
      {"gmail.com signature, gmail.com SPF temperror", "temperror", "gmail.com", "gmail.com", ""},
  };
  for (const auto& r : rows) {
    CAPTURE(std::string(r.name));
    AuthFacts a;
    a.ptr = "generic";
    a.helo = "not-fqdn";
    a.spf_mailfrom = r.spf;
    a.spf_mailfrom_domain = r.spf_domain;
    a.dkim = {{r.d, "s1", "pass"}};
    CHECK(anonymous_with(a) == r.want);
  }
}
