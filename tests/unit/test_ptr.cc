// test_ptr.cc — the ptr check (milter/checks/ptr.cc) from a table of reverse
// DNS situations served by the fake resolver, through the engine.
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace legit {
CheckInfo ptr_check_info();
CheckInfo iprev_check_info();
}  // namespace legit

namespace {

const CheckInfo kCheck = ptr_check_info();

struct Row {
  const char* name;
  const char* ip;
  std::function<void(FakeResolver&)> zone;
  const char* result;
};

// PTR `ptr` for `ip`, and (when `fwd` is set) the name's A/AAAA back to `fwd`.
void ptr_of(FakeResolver& f, const char* ip, std::vector<std::string> names, const char* fwd = nullptr) {
  auto a = IpAddress::parse(ip);
  f.add(a->reverse_name(), DnsType::PTR, names);
  if (fwd) f.add(names.front(), a->is_v4() ? DnsType::A : DnsType::AAAA, {fwd});
}

}  // namespace

TEST_CASE("ptr: results per reverse DNS situation") {
  const Row rows[] = {
      {"good", "192.0.2.1", [](FakeResolver& f) { ptr_of(f, "192.0.2.1", {"mail.example.com"}, "192.0.2.1"); },
       "good"},
      {"good IPv6", "2001:db8:a1::25", [](FakeResolver& f) {
         ptr_of(f, "2001:db8:a1::25", {"mail6.example.com"}, "2001:db8:a1::25");
       }, "good"},
      {"no PTR", "192.0.2.2", [](FakeResolver&) {}, "none"},
      {"PTR NODATA", "192.0.2.3", [](FakeResolver& f) { f.add("3.2.0.192.in-addr.arpa", DnsType::TXT, {"x"}); },
       "none"},
      {"only garbage names", "192.0.2.4", [](FakeResolver& f) {
         ptr_of(f, "192.0.2.4", {"bad name", std::string(255, 'a'), "x_y.example.com"});
       }, "none"},
      {"unconfirmed", "192.0.2.5", [](FakeResolver& f) { ptr_of(f, "192.0.2.5", {"liar.example.com"}, "198.51.100.1"); },
       "unconfirmed"},
      {"generic confirmed", "192.181.15.33", [](FakeResolver& f) {
         ptr_of(f, "192.181.15.33", {"cpe-192-181-15-33.kya.res.rr.com"}, "192.181.15.33");
       }, "generic"},
      {"generic unconfirmed", "192.0.2.6", [](FakeResolver& f) { ptr_of(f, "192.0.2.6", {"192-0-2-6.dsl.example.net"}); },
       "generic"},
      {"generic-static (seed 001)", "72.38.252.2", [](FakeResolver& f) {
         ptr_of(f, "72.38.252.2", {"s72-38-252-2.static.datacom.cgocable.net"}, "72.38.252.2");
       }, "generic-static"},
      {"the least generic confirmed name wins", "192.0.2.7", [](FakeResolver& f) {
         ptr_of(f, "192.0.2.7", {"192-0-2-7.pool.example.net", "mx.example.net"});
         f.add("192-0-2-7.pool.example.net", DnsType::A, {"192.0.2.7"});
         f.add("mx.example.net", DnsType::A, {"192.0.2.7"});
       }, "good"},
      {"confirmed generic beats unconfirmed plain", "192.0.2.8", [](FakeResolver& f) {
         ptr_of(f, "192.0.2.8", {"192-0-2-8.pool.example.net", "mx.example.net"});
         f.add("192-0-2-8.pool.example.net", DnsType::A, {"192.0.2.8"});
       }, "generic"},
      {"generic IPv6 nibbles", "2001:db8:a1::5", [](FakeResolver& f) {
         ptr_of(f, "2001:db8:a1::5", {"2001-db8-a1--5.pool.example.net"});
       }, "generic"},
      {"uppercase with trailing dot", "192.0.2.9", [](FakeResolver& f) {
         ptr_of(f, "192.0.2.9", {"MAIL.Example.COM."});
         f.add("mail.example.com", DnsType::A, {"192.0.2.9"});
       }, "good"},
      {"PTR timeout", "192.0.2.10", [](FakeResolver& f) {
         f.set("10.2.0.192.in-addr.arpa", DnsType::PTR, DnsStatus::temperror, "timeout");
       }, "temperror"},
      {"forward timeout", "192.0.2.11", [](FakeResolver& f) {
         ptr_of(f, "192.0.2.11", {"slow.example.com"});
         f.set("slow.example.com", DnsType::A, DnsStatus::temperror, "timeout");
       }, "temperror"},
      {"a cloud instance's default name is generic (not hidden by the PSL's private section)",
       "3.120.45.67", [](FakeResolver& f) {
         ptr_of(f, "3.120.45.67", {"ec2-3-120-45-67.eu-central-1.compute.amazonaws.com"}, "3.120.45.67");
       }, "generic"},
      {"a name the customer gave its cloud host stays good", "3.120.45.68", [](FakeResolver& f) {
         ptr_of(f, "3.120.45.68", {"mail.taskpilot.example"}, "3.120.45.68");
       }, "good"},
      {"dyn.com is not generic", "192.0.2.12", [](FakeResolver& f) { ptr_of(f, "192.0.2.12", {"dyn.com"}, "192.0.2.12"); },
       "good"},
  };
  Config cfg = make_config();
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      FakeResolver dns;
      r.zone(dns);
      Engine engine(cfg, dns, {&kCheck});
      Msg m;
      m.ip = r.ip;
      Outcome o = run_message(engine, m);
      CHECK(result_of(o, "ptr") == r.result);
      REQUIRE(o.verdict.items.size() == 1);
      CHECK(o.verdict.items.front().points == cfg.points("ptr", r.result));
      std::string detail = o.verdict.items.front().finding.detail;
      CHECK(detail.find('\n') == std::string::npos);
      CHECK(detail.find('\0') == std::string::npos);
    }
  }
}

TEST_CASE("ptr: shares iprev's lookups, asks nothing of its own") {
  FakeResolver dns;
  ptr_of(dns, "192.0.2.1", {"mail.example.com"}, "192.0.2.1");
  Config cfg = make_config();
  const CheckInfo iprev = iprev_check_info();
  Engine engine(cfg, dns, {&iprev, &kCheck});
  Msg m;
  m.ip = "192.0.2.1";
  Outcome o = run_message(engine, m);
  CHECK(result_of(o, "ptr") == "good");
  CHECK(dns.asked().size() == 2);  // PTR + A, once
}

TEST_CASE("ptr: no finding without a client IP; every result has points") {
  FakeResolver dns;
  Config cfg = make_config();
  Engine engine(cfg, dns, {&kCheck});
  Msg m;
  m.ip = "";
  CHECK(result_of(run_message(engine, m), "ptr") == "");
  for (const auto& p : kCheck.points) CHECK(cfg.point_table.count("ptr." + p.result) == 1);
}
