// test_probe.cc — the probe line of a connection that completed no message
// (milter/core/probe.cc, Dialogue::unknown_command / close, and the
// non-blocking ReverseDns::ready in milter/core/rdns.cc): what the client
// did, iprev/PTR when the rDNS is in, nothing for trusted, authenticated or
// completed connections, hostile commands and HELOs quoted and cut, and a
// close that never waits longer than dns-timeout.
#include <chrono>
#include <future>
#include <list>
#include <set>

#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace {

const CheckInfo* iprev_info() {
  for (const auto& c : check_registry())
    if (c.name == "iprev") return &c;
  return nullptr;
}

// Answers from the table, except the listed types, which never answer.
class PartlySilent : public FakeResolver {
 public:
  std::set<DnsType> silent;
  DnsLookup lookup(std::string_view name, DnsType type) override {
    if (!silent.count(type)) return FakeResolver::lookup(name, type);
    pending_.emplace_back();
    return DnsLookup(pending_.back().get_future().share());
  }

 private:
  std::list<std::promise<DnsAnswer>> pending_;
};

void good_ptr(FakeResolver& f) {
  f.add("1.2.0.192.in-addr.arpa", DnsType::PTR, {"Mail.Example.COM."});
  f.add("mail.example.com", DnsType::A, {"192.0.2.1"});
}

using Script = std::function<void(Dialogue&)>;

struct Row {
  const char* name;
  const char* ip;
  Script script;  // after connect
  const char* line;  // "" = no line
};

std::optional<std::string> run_probe(FakeResolver& dns, const Config& cfg, const char* ip,
                                     const Script& script) {
  Engine engine(cfg, dns, {iprev_info()});
  auto d = engine.open();
  d->connect("unknown", ip);
  script(*d);
  return d->close();
}

void helo(Dialogue& d) { d.helo("User"); }

}  // namespace

TEST_CASE("probe: one line per connection without a message") {
  const std::string P = "NOQUEUE: client=unknown[192.0.2.1] helo=<";
  const Row rows[] = {
      {"ehlo then quit", "192.0.2.1", helo, "User> probe: ehlo-quit iprev=fail ptr=none"},
      {"no helo at all", "192.0.2.1", [](Dialogue&) {}, "> probe: no-helo iprev=fail ptr=none"},
      {"unknown command '.'", "192.0.2.1", [](Dialogue& d) { d.unknown_command("."); },
       "> probe: unknown-command \".\" iprev=fail ptr=none"},
      {"several unknown commands: first + count", "192.0.2.1",
       [](Dialogue& d) {
         d.helo("User");
         for (const char* c : {".", "GET / HTTP/1.0", "."}) d.unknown_command(c);
       },
       "User> probe: unknown-command \".\" count=3 iprev=fail ptr=none"},
      {"MAIL FROM, RCPT rejected, no message", "192.0.2.1",
       [](Dialogue& d) {
         d.helo("User");
         d.mail_from("<a@example.com>", "");
         d.abort_message();
         d.mail_from("<b@example.com>", "");
         d.abort_message();
       },
       "User> probe: no-message mail=2 iprev=fail ptr=none"},
      {"unknown command wins over no-message", "192.0.2.1",
       [](Dialogue& d) {
         d.mail_from("<a@example.com>", "");
         d.unknown_command(".");
       },
       "> probe: unknown-command \".\" mail=1 iprev=fail ptr=none"},
      {"completed message: its own line only", "192.0.2.1",
       [](Dialogue& d) {
         d.helo("mail.example.com");
         d.mail_from("<a@example.com>", "");
         d.rcpt("<b@example.net>");
         d.end_of_message("QID1");
         d.mail_from("<c@example.com>", "");  // a second, unfinished one
       },
       ""},
      {"trusted network", "127.0.0.1", helo, ""},
      {"SASL-authenticated", "192.0.2.1", [](Dialogue& d) { d.mail_from("<a@b.example>", "alice"); }, ""},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      FakeResolver dns;
      Config cfg = make_config();
      auto line = run_probe(dns, cfg, row.ip, row.script);
      if (std::string(row.line).empty()) {
        CHECK_FALSE(line.has_value());
      } else {
        REQUIRE(line.has_value());
        CHECK(*line == P + row.line);
      }
    }
  }
}

TEST_CASE("probe: iprev and PTR as the iprev check sees them") {
  struct DnsRow {
    const char* name;
    const char* ip;
    std::function<void(FakeResolver&)> zone;
    const char* tail;
  };
  const DnsRow rows[] = {
      {"forward-confirmed, upper case + trailing dot normalised", "192.0.2.1", good_ptr,
       " iprev=pass ptr=mail.example.com"},
      {"PTR does not resolve back", "192.0.2.1",
       [](FakeResolver& f) { f.add("1.2.0.192.in-addr.arpa", DnsType::PTR, {"liar.example.com"}); },
       " iprev=fail ptr=liar.example.com"},
      {"PTR SERVFAIL", "192.0.2.1",
       [](FakeResolver& f) { f.set("1.2.0.192.in-addr.arpa", DnsType::PTR, DnsStatus::temperror, "SERVFAIL"); },
       " iprev=temperror ptr=none"},
      {"PTR garbage only", "192.0.2.1",
       [](FakeResolver& f) { f.add("1.2.0.192.in-addr.arpa", DnsType::PTR, {"bad name\r\n.example"}); },
       " iprev=permerror ptr=none"},
      {"IPv6 client", "2001:db8::25",
       [](FakeResolver& f) {
         f.add(IpAddress::parse("2001:db8::25")->reverse_name(), DnsType::PTR, {"mail6.example.com"});
         f.add("mail6.example.com", DnsType::AAAA, {"2001:db8::25"});
       },
       " iprev=pass ptr=mail6.example.com"},
      {"no client IP: no iprev", "", [](FakeResolver&) {}, " ptr=none"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      FakeResolver dns;
      row.zone(dns);
      Config cfg = make_config();
      auto line = run_probe(dns, cfg, row.ip, helo);
      REQUIRE(line.has_value());
      CHECK(line->ends_with(std::string("probe: ehlo-quit") + row.tail));
    }
  }
}

TEST_CASE("probe: hostile commands and HELOs are quoted and cut") {
  struct HostileRow {
    const char* name;
    std::string helo, cmd;
    std::string want;  // expected substring
  };
  const HostileRow rows[] = {
      {"CRLF and NUL in the command", "x", std::string("QUIT\r\nX-Injected: 1\0z", 21),
       "unknown-command \"QUIT\\x0d\\x0aX-Injected: 1\\x00z\""},
      {"quote and backslash", "x", "say \"hi\" \\o/", "unknown-command \"say \\x22hi\\x22 \\\\o/\""},
      {"300-char command cut to 40", "x", std::string(300, 'A'),
       "unknown-command \"" + std::string(40, 'A') + "...\""},
      {"empty command", "x", "", "unknown-command \"\""},
      {"non-ASCII command", "x", "\xc3\xa9", "unknown-command \"\\xc3\\xa9\""},
      {"HELO with CRLF", "evil\r\nNOQUEUE: client=x[1.2.3.4] probe: x", ".",
       "helo=<evil\\x0d\\x0aNOQUEUE: client=x[1.2.3.4] probe: x>"},
      {"255+ char HELO truncated", std::string(300, 'h'), ".", "helo=<" + std::string(100, 'h') + "...>"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      FakeResolver dns;
      Config cfg = make_config();
      auto line = run_probe(dns, cfg, "192.0.2.1", [&](Dialogue& d) {
        d.helo(row.helo);
        d.unknown_command(row.cmd);
      });
      REQUIRE(line.has_value());
      CHECK(line->find(row.want) != std::string::npos);
      CHECK(line->find('\r') == std::string::npos);
      CHECK(line->find('\n') == std::string::npos);
      CHECK(line->starts_with("NOQUEUE: client=unknown[192.0.2.1] helo=<"));
    }
  }
}

TEST_CASE("probe: close waits at most dns-timeout (plus a short grace) for the rDNS") {
  struct WaitRow {
    const char* name;
    std::set<DnsType> silent;
    const char* tail;
  };
  const WaitRow rows[] = {
      {"PTR never answers", {DnsType::PTR}, " iprev=pending ptr=pending"},
      {"forward lookup never answers", {DnsType::A}, " iprev=pending ptr=pending"},
      {"everything answered: no wait", {}, " iprev=pass ptr=mail.example.com"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      PartlySilent dns;
      good_ptr(dns);
      dns.silent = row.silent;
      Config cfg = make_config();
      cfg.dns_timeout = 0.1;
      auto t0 = std::chrono::steady_clock::now();
      auto line = run_probe(dns, cfg, "192.0.2.1", helo);
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
      REQUIRE(line.has_value());
      CHECK(line->ends_with(std::string("probe: ehlo-quit") + row.tail));
      CHECK(ms < 1000);
      if (row.silent.empty()) CHECK(ms < 50);
      else CHECK(ms >= 100);
    }
  }
}

TEST_CASE("probe: close is logged once; ReverseDns::ready") {
  FakeResolver dns;
  good_ptr(dns);
  Config cfg = make_config();
  Engine engine(cfg, dns, {iprev_info()});
  auto d = engine.open();
  d->connect("unknown", "192.0.2.1");
  CHECK(d->close().has_value());
  CHECK_FALSE(d->close().has_value());

  ReverseDns idle;
  CHECK(idle.ready());  // nothing started: result() would not block
  PartlySilent slow;
  good_ptr(slow);
  slow.silent = {DnsType::A};
  ReverseDns r;
  r.start(slow, *IpAddress::parse("192.0.2.1"));
  CHECK_FALSE(r.ready());  // PTR in, forward lookups not started yet
  r.advance();
  CHECK_FALSE(r.ready());  // forward lookup pending
  ReverseDns fast;
  fast.start(dns, *IpAddress::parse("192.0.2.1"));
  fast.advance();
  CHECK(fast.ready());
  CHECK(fast.best_name() == "mail.example.com");
}
