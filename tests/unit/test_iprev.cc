// test_iprev.cc — the iprev check and the shared ReverseDns, from a table of
// DNS situations served by the fake resolver (milter/checks/iprev.cc, milter/core/rdns.cc).
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace {

struct Row {
  const char* name;
  const char* ip;
  std::function<void(FakeResolver&)> zone;
  const char* result;
};

const CheckInfo* iprev_info() {
  for (const auto& c : check_registry())
    if (c.name == "iprev") return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("iprev: results per DNS situation") {
  const Row rows[] = {
      {"pass", "192.0.2.1", [](FakeResolver& f) {
         f.add("1.2.0.192.in-addr.arpa", DnsType::PTR, {"mail.example.com"});
         f.add("mail.example.com", DnsType::A, {"192.0.2.1"});
       }, "pass"},
      {"pass with second of two names", "192.0.2.1", [](FakeResolver& f) {
         f.add("1.2.0.192.in-addr.arpa", DnsType::PTR, {"other.example.com", "mail.example.com"});
         f.add("other.example.com", DnsType::A, {"192.0.2.99"});
         f.add("mail.example.com", DnsType::A, {"192.0.2.1"});
       }, "pass"},
      {"pass IPv6", "2001:db8::25", [](FakeResolver& f) {
         f.add(IpAddress::parse("2001:db8::25")->reverse_name(), DnsType::PTR, {"mail6.example.com"});
         f.add("mail6.example.com", DnsType::AAAA, {"2001:db8::25"});
       }, "pass"},
      {"no PTR (NXDOMAIN)", "192.0.2.2", [](FakeResolver&) {}, "fail"},
      {"PTR NODATA", "192.0.2.3", [](FakeResolver& f) {
         f.add("3.2.0.192.in-addr.arpa", DnsType::TXT, {"x"});
       }, "fail"},
      {"PTR does not resolve back", "192.0.2.4", [](FakeResolver& f) {
         f.add("4.2.0.192.in-addr.arpa", DnsType::PTR, {"liar.example.com"});
         f.add("liar.example.com", DnsType::A, {"198.51.100.1"});
       }, "fail"},
      {"PTR name NXDOMAIN", "192.0.2.5", [](FakeResolver& f) {
         f.add("5.2.0.192.in-addr.arpa", DnsType::PTR, {"gone.example.com"});
       }, "fail"},
      {"PTR timeout", "192.0.2.6", [](FakeResolver& f) {
         f.set("6.2.0.192.in-addr.arpa", DnsType::PTR, DnsStatus::temperror, "timeout");
       }, "temperror"},
      {"forward timeout", "192.0.2.7", [](FakeResolver& f) {
         f.add("7.2.0.192.in-addr.arpa", DnsType::PTR, {"slow.example.com"});
         f.set("slow.example.com", DnsType::A, DnsStatus::temperror, "timeout");
       }, "temperror"},
      {"forward timeout but another name confirms", "192.0.2.8", [](FakeResolver& f) {
         f.add("8.2.0.192.in-addr.arpa", DnsType::PTR, {"slow.example.com", "ok.example.com"});
         f.set("slow.example.com", DnsType::A, DnsStatus::temperror, "timeout");
         f.add("ok.example.com", DnsType::A, {"192.0.2.8"});
       }, "pass"},
      {"only garbage names", "192.0.2.9", [](FakeResolver& f) {
         f.add("9.2.0.192.in-addr.arpa", DnsType::PTR, {"bad name", "evil\\000.example", "-x-.example"});
       }, "permerror"},
      {"malformed answer", "192.0.2.10", [](FakeResolver& f) {
         f.set("10.2.0.192.in-addr.arpa", DnsType::PTR, DnsStatus::malformed);
       }, "permerror"},
      {"trailing dot and upper case", "192.0.2.11", [](FakeResolver& f) {
         f.add("11.2.0.192.in-addr.arpa", DnsType::PTR, {"MAIL.Example.COM."});
         f.add("mail.example.com", DnsType::A, {"192.0.2.11"});
       }, "pass"},
      {"255-char PTR name", "192.0.2.12", [](FakeResolver& f) {
         f.add("12.2.0.192.in-addr.arpa", DnsType::PTR, {std::string(255, 'a')});
       }, "permerror"},
  };
  Config cfg = make_config();
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      FakeResolver dns;
      r.zone(dns);
      Engine engine(cfg, dns, {iprev_info()});
      Msg m;
      m.ip = r.ip;
      Outcome o = run_message(engine, m);
      CHECK(result_of(o, "iprev") == r.result);
      CHECK(o.verdict.items.front().points == cfg.points("iprev", r.result));
      std::string ar = o.adds.at(1).second;
      CHECK(ar.find(std::string("iprev=") + r.result) != std::string::npos);
      CHECK(ar.find("policy.iprev=") != std::string::npos);
    }
  }
}

TEST_CASE("iprev: forward lookups start before end-of-data") {
  FakeResolver dns;
  dns.add("1.2.0.192.in-addr.arpa", DnsType::PTR, {"mail.example.com"});
  dns.add("mail.example.com", DnsType::A, {"192.0.2.1"});
  Config cfg = make_config();
  Engine engine(cfg, dns, {iprev_info()});
  auto d = engine.open();
  d->connect("unknown", "192.0.2.1");
  CHECK(dns.was_asked("1.2.0.192.in-addr.arpa", DnsType::PTR));
  CHECK_FALSE(dns.was_asked("mail.example.com", DnsType::A));
  d->helo("mail.example.com");
  CHECK(dns.was_asked("mail.example.com", DnsType::A));
}

TEST_CASE("iprev: no finding without a client IP, no lookups for trusted clients") {
  FakeResolver dns;
  Config cfg = make_config();
  Engine engine(cfg, dns, {iprev_info()});
  Msg m;
  m.ip = "";
  CHECK(result_of(run_message(engine, m), "iprev") == "");
  m.ip = "127.0.0.1";
  run_message(engine, m);
  CHECK(dns.asked().empty());
}
