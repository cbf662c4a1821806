// test_sender_domain.cc — the sender-domain check (milter/checks/sender_domain.cc)
// from a table of MAIL FROM addresses and DNS situations served by the fake resolver.
#include <functional>

#include "../../milter/core/names.h"
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace {

struct Row {
  const char* name;
  std::string from;
  std::function<void(FakeResolver&)> zone;
  const char* result;
};

void mx(FakeResolver& f, const std::string& d, std::vector<std::string> recs) { f.add(d, DnsType::MX, std::move(recs)); }

}  // namespace

TEST_CASE("sender-domain: results per address and DNS situation") {
  const Row rows[] = {
      {"MX", "<a@example.com>", [](FakeResolver& f) { mx(f, "example.com", {"10 mx.example.com"}); }, "ok"},
      {"implicit MX via A", "<a@a-only.example>", [](FakeResolver& f) {
         f.add("a-only.example", DnsType::A, {"192.0.2.7"});
       }, "implicit-mx"},
      {"implicit MX via AAAA", "<a@v6.example>", [](FakeResolver& f) {
         f.add("v6.example", DnsType::AAAA, {"2001:db8::7"});
       }, "implicit-mx"},
      {"NXDOMAIN (seed 004)", "<x@tbg4-finance.org>", [](FakeResolver&) {}, "nxdomain"},
      {"exists, no MX, no address", "<a@txt-only.example>", [](FakeResolver& f) {
         f.add("txt-only.example", DnsType::TXT, {"v=spf1 -all"});
       }, "no-mail"},
      {"null MX", "<a@nomail.example>", [](FakeResolver& f) {
         mx(f, "nomail.example", {"0 "});
         f.add("nomail.example", DnsType::A, {"192.0.2.8"});
       }, "null-mx"},
      {"null MX among others is ignored", "<a@mixed.example>", [](FakeResolver& f) {
         mx(f, "mixed.example", {"0 ", "10 mx.mixed.example"});
       }, "ok"},
      {"MX to localhost", "<a@lh.example>", [](FakeResolver& f) { mx(f, "lh.example", {"10 localhost"}); }, "bogus-mx"},
      {"MX to IP literal", "<a@lit.example>", [](FakeResolver& f) { mx(f, "lit.example", {"10 192.0.2.1"}); }, "bogus-mx"},
      {"MX to garbage", "<a@bad.example>", [](FakeResolver& f) { mx(f, "bad.example", {"10 bad_name\r\nx"}); }, "bogus-mx"},
      {"one bogus, one good MX", "<a@half.example>", [](FakeResolver& f) {
         mx(f, "half.example", {"5 localhost", "10 mx.half.example"});
       }, "ok"},
      {"implicit MX to loopback", "<a@loop.example>", [](FakeResolver& f) {
         f.add("loop.example", DnsType::A, {"127.0.0.1"});
         f.add("loop.example", DnsType::AAAA, {"::1"});
       }, "bogus-mx"},
      {"MX host resolves to loopback", "<a@lo.example>", [](FakeResolver& f) {
         mx(f, "lo.example", {"10 mail.lo.example"});
         f.add("mail.lo.example", DnsType::A, {"127.0.0.1"});
       }, "bogus-mx"},
      {"MX hosts resolve only to private addresses", "<a@priv.example>", [](FakeResolver& f) {
         mx(f, "priv.example", {"10 a.priv.example", "20 b.priv.example"});
         f.add("a.priv.example", DnsType::A, {"10.0.0.5"});
         f.add("b.priv.example", DnsType::A, {"192.168.1.1"});
         f.add("b.priv.example", DnsType::AAAA, {"fd00::1"});
       }, "private-mx"},
      {"MX hosts on loopback and a private address: a private view could be right", "<a@lopriv.example>",
       [](FakeResolver& f) {
         mx(f, "lopriv.example", {"10 a.lopriv.example", "20 b.lopriv.example"});
         f.add("a.lopriv.example", DnsType::A, {"127.0.0.1"});
         f.add("b.lopriv.example", DnsType::A, {"100.64.3.4"});
       }, "private-mx"},
      {"MX host on link-local and multicast only: no network's view", "<a@ll.example>", [](FakeResolver& f) {
         mx(f, "ll.example", {"10 mx.ll.example"});
         f.add("mx.ll.example", DnsType::A, {"169.254.0.25"});
         f.add("mx.ll.example", DnsType::AAAA, {"ff02::1"});
       }, "bogus-mx"},
      {"one MX host private, one public", "<a@mix.example>", [](FakeResolver& f) {
         mx(f, "mix.example", {"10 a.mix.example", "20 b.mix.example"});
         f.add("a.mix.example", DnsType::A, {"10.0.0.5"});
         f.add("b.mix.example", DnsType::A, {"198.51.100.9"});
       }, "ok"},
      {"public IPv6 only", "<a@six.example>", [](FakeResolver& f) {
         mx(f, "six.example", {"10 mx.six.example"});
         f.add("mx.six.example", DnsType::A, {"127.0.0.1"});
         f.add("mx.six.example", DnsType::AAAA, {"2a01:4f8::25"});
       }, "ok"},
      {"MX host without address proves nothing", "<a@dangling.example>", [](FakeResolver& f) {
         mx(f, "dangling.example", {"10 gone.dangling.example"});
       }, "ok"},
      {"MX host lookup fails: no evidence", "<a@slowhost.example>", [](FakeResolver& f) {
         mx(f, "slowhost.example", {"10 mx.slowhost.example"});
         f.add("mx.slowhost.example", DnsType::A, {"127.0.0.1"});
         f.set("mx.slowhost.example", DnsType::AAAA, DnsStatus::temperror, "timeout");
       }, "ok"},
      {"our own domain, split DNS: private MX is fine", "<a@example.net>", [](FakeResolver& f) {
         mx(f, "example.net", {"10 mx.example.net"});
         f.add("mx.example.net", DnsType::A, {"10.1.2.3"});
       }, "ok"},
      {"our own domain: loopback MX still bogus", "<a@sub.example.net>", [](FakeResolver& f) {
         mx(f, "sub.example.net", {"10 mx.sub.example.net"});
         f.add("mx.sub.example.net", DnsType::A, {"127.0.0.1"});
       }, "bogus-mx"},
      {"implicit MX to a private address", "<a@privimp.example>", [](FakeResolver& f) {
         f.add("privimp.example", DnsType::A, {"172.16.0.9"});
       }, "private-mx"},
      {"implicit MX to loopback and link-local", "<a@loopimp.example>", [](FakeResolver& f) {
         f.add("loopimp.example", DnsType::A, {"127.0.0.2"});
         f.add("loopimp.example", DnsType::AAAA, {"fe80::1"});
       }, "bogus-mx"},
      {"our own domain: ULA and CGNAT are fine", "<a@v6.example.net>", [](FakeResolver& f) {
         mx(f, "v6.example.net", {"10 mx.v6.example.net"});
         f.add("mx.v6.example.net", DnsType::A, {"100.64.0.25"});
         f.add("mx.v6.example.net", DnsType::AAAA, {"fd12:3456::25"});
       }, "ok"},
      {"MX timeout", "<a@slow.example>", [](FakeResolver& f) {
         f.set("slow.example", DnsType::MX, DnsStatus::temperror, "timeout");
       }, "temperror"},
      {"MX malformed", "<a@mal.example>", [](FakeResolver& f) {
         f.set("mal.example", DnsType::MX, DnsStatus::malformed);
       }, "temperror"},
      {"no MX, A timeout", "<a@slowa.example>", [](FakeResolver& f) {
         f.add("slowa.example", DnsType::TXT, {"x"});
         f.set("slowa.example", DnsType::A, DnsStatus::temperror, "SERVFAIL");
       }, "temperror"},
      {"no MX, A timeout, AAAA ok", "<a@slowa6.example>", [](FakeResolver& f) {
         f.set("slowa6.example", DnsType::A, DnsStatus::temperror, "SERVFAIL");
         f.add("slowa6.example", DnsType::AAAA, {"2001:db8::9"});
       }, "implicit-mx"},
      {"null sender", "<>", [](FakeResolver&) {}, "null-sender"},
      {"no domain part", "<postmaster>", [](FakeResolver&) {}, "invalid"},
      {"empty domain part", "<a@>", [](FakeResolver&) {}, "invalid"},
      {"address literal", "<a@[192.0.2.1]>", [](FakeResolver&) {}, "invalid"},
      {"bare IP", "<a@192.0.2.1>", [](FakeResolver&) {}, "invalid"},
      {"single label", "<a@localhost>", [](FakeResolver&) {}, "invalid"},
      {"255-char domain", "<a@" + std::string(251, 'a') + ".com>", [](FakeResolver&) {}, "invalid"},
      {"SMTPUTF8 domain: looked up by its A-labels", "<j\xc3\xb6rg@b\xc3\xbcro.example>", [](FakeResolver& f) {
         mx(f, "xn--bro-hoa.example", {"10 mx.xn--bro-hoa.example"});
       }, "ok"},
      {"non-ASCII that is no UTF-8", "<a@b\xfcro.example>", [](FakeResolver&) {}, "invalid"},
      {"non-ASCII IDNA refuses", "<a@b\xc3\xbc_ro.example>", [](FakeResolver&) {}, "invalid"},
      {"embedded NUL", std::string("<a@ex\0ample.com>", sizeof("<a@ex\0ample.com>") - 1), [](FakeResolver&) {}, "invalid"},
      {"embedded CRLF", "<a@example.com\r\nRCPT TO:<x@y>>", [](FakeResolver&) {}, "invalid"},
      {"trailing dot, upper case", "<A@EXAMPLE.COM.>", [](FakeResolver& f) {
         mx(f, "example.com", {"10 MX.Example.COM"});
       }, "ok"},
      {"quoted local part with @", "<\"a@b\"@example.com>", [](FakeResolver& f) {
         mx(f, "example.com", {"10 mx.example.com"});
       }, "ok"},
  };
  Config cfg = make_config();
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      FakeResolver dns;
      r.zone(dns);
      Engine engine(cfg, dns, {check_info("sender-domain")});
      Msg m;
      m.ip = "192.0.2.200";
      m.from = r.from;
      Outcome o = run_message(engine, m);
      CHECK(result_of(o, "sender-domain") == r.result);
      REQUIRE(o.verdict.items.size() == 1);
      CHECK(o.verdict.items.front().points == cfg.points("sender-domain", r.result));
      const std::string& d = o.verdict.items.front().finding.detail;
      CHECK(d.find('\n') == std::string::npos);
      CHECK(d.find('\0') == std::string::npos);
    }
  }
}

TEST_CASE("dns_domain: SMTPUTF8 domains become A-labels, the rest is only normalized") {
  const std::pair<std::string, const char*> rows[] = {
      {"Example.COM.", "example.com"},
      {"b\xc3\xa4" "ckerei-m\xc3\xbcller.de", "xn--bckerei-mller-bfb28a.de"},
      {"\xc3\x84PPLE.se", "xn--pple-koa.se"},                        // case-mapped
      {"stra\xc3\x9f" "e.de", "xn--strae-oqa.de"},                    // IDNA2008: sharp s stays
      {"\xd0\xbc\xd1\x83\xd0\xb7\xd0\xb5\xd0\xb9.\xd1\x80\xd1\x84", "xn--e1adhj9a.xn--p1ai"},  // музей.рф
      {"xn--pple-koa.se", "xn--pple-koa.se"},
      {"b\xfcro.example", "b\xfcro.example"},                          // Latin-1: unchanged
      {"b\xc3\xbc ro.example", "b\xc3\xbc ro.example"},
      {std::string("b\xc3\xbc\0ro.example", 12), std::string("b\xc3\xbc\0ro.example", 12).c_str()},
      {"", ""},
  };
  for (const auto& [in, want] : rows) {
    CAPTURE(in);
    if (in.find('\0') != std::string::npos) CHECK(dns_domain(in) == in);
    else CHECK(dns_domain(in) == want);
  }
}

TEST_CASE("sender-domain: MX, A, AAAA start in parallel at MAIL FROM; nothing for <> or bad syntax") {
  FakeResolver dns;
  Config cfg = make_config();
  Engine engine(cfg, dns, {check_info("sender-domain")});
  auto d = engine.open();
  d->connect("unknown", "192.0.2.200");
  d->helo("mail.example.com");
  d->mail_from("<a@example.org>", "");
  CHECK(dns.was_asked("example.org", DnsType::MX));
  CHECK(dns.was_asked("example.org", DnsType::A));
  CHECK(dns.was_asked("example.org", DnsType::AAAA));
  auto before = dns.asked().size();
  d->mail_from("<>", "");
  d->mail_from("<a@[192.0.2.1]>", "");
  CHECK(dns.asked().size() == before);
}

TEST_CASE("sender-domain: each message on a connection is judged on its own") {
  FakeResolver dns;
  dns.add("example.com", DnsType::MX, {"10 mx.example.com"});
  Config cfg = make_config();
  Engine engine(cfg, dns, {check_info("sender-domain")});
  auto d = engine.open();
  d->connect("unknown", "192.0.2.200");
  d->helo("mail.example.com");
  d->mail_from("<a@gone.example>", "");
  CHECK(result_of(d->end_of_message("Q1"), "sender-domain") == "nxdomain");
  d->mail_from("<>", "");
  Outcome o = d->end_of_message("Q2");
  CHECK(result_of(o, "sender-domain") == "null-sender");
  CHECK(o.verdict.items.front().finding.detail.find("RFC 7208") != std::string::npos);
  d->mail_from("<a@example.com>", "");
  CHECK(result_of(d->end_of_message("Q3"), "sender-domain") == "ok");
}

TEST_CASE("sender-domain: MX host addresses are looked up once the MX answer is in, at most 3 hosts") {
  FakeResolver dns;
  dns.add("many.example", DnsType::MX, {"10 a.many.example", "20 b.many.example", "30 c.many.example",
                                        "40 d.many.example", "50 localhost"});
  Config cfg = make_config();
  Engine engine(cfg, dns, {check_info("sender-domain")});
  auto d = engine.open();
  d->connect("unknown", "192.0.2.200");
  d->helo("mail.example.com");
  d->mail_from("<a@many.example>", "");
  d->rcpt("<bob@example.net>");
  CHECK(dns.was_asked("a.many.example", DnsType::A));
  CHECK(dns.was_asked("c.many.example", DnsType::AAAA));
  CHECK_FALSE(dns.was_asked("d.many.example", DnsType::A));
  CHECK_FALSE(dns.was_asked("localhost", DnsType::A));
  CHECK(result_of(d->end_of_message("Q1"), "sender-domain") == "ok");
}

TEST_CASE("unroutable: the one notion of an address the Internet cannot reach") {
  for (const char* a : {"0.0.0.0", "127.0.0.1", "10.1.1.1", "172.16.0.1", "172.31.255.255", "192.168.0.1",
                        "169.254.1.1", "100.64.0.1", "224.0.0.1", "::", "::1", "fe80::1", "fd00::1",
                        "::ffff:10.0.0.1", "ff02::1"})
    CHECK_MESSAGE(unroutable(*IpAddress::parse(a)), a);
  for (const char* a : {"8.8.8.8", "172.32.0.1", "100.128.0.1", "192.0.2.1", "203.0.113.25",
                        "2a00:1450::1", "2001:db8::1", "::ffff:8.8.8.8"})
    CHECK_MESSAGE(!unroutable(*IpAddress::parse(a)), a);
}

TEST_CASE("private_use: what a private network's own view may give its hosts") {
  for (const char* a : {"10.1.1.1", "172.16.0.1", "172.31.255.255", "192.168.0.1", "100.64.0.1",
                        "100.127.255.255", "fc00::1", "fd00::1", "::ffff:192.168.1.1"})
    CHECK_MESSAGE(private_use(*IpAddress::parse(a)), a);
  for (const char* a : {"0.0.0.0", "127.0.0.1", "169.254.1.1", "224.0.0.1", "255.255.255.255", "::", "::1",
                        "fe80::1", "ff02::1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2a00:1450::1"})
    CHECK_MESSAGE(!private_use(*IpAddress::parse(a)), a);
}

// A partner whose zone our resolver sees in its internal view (split DNS, a
// conditional forwarder over a VPN) is otherwise honest: private-mx alone is
// points only; with another negative finding it is the floor
// private-mx-action (a throw-away domain on a VPS with a generic PTR).
TEST_CASE("sender-domain: private-mx is a floor only together with another negative finding") {
  auto zone = [](FakeResolver& f) {
    f.add("partner.example", DnsType::MX, {"10 mail.partner.example"});
    f.add("mail.partner.example", DnsType::A, {"10.20.0.25"});
    f.add("200.2.0.192.in-addr.arpa", DnsType::PTR, {"static-192-0-2-200.vps.example"});
  };
  Msg m;
  m.ip = "192.0.2.200";
  m.from = "<a@partner.example>";
  SUBCASE("alone: accepted, -2") {
    FakeResolver dns;
    zone(dns);
    Config cfg = make_config();
    Engine engine(cfg, dns, {check_info("sender-domain")});
    Outcome o = run_message(engine, m);
    CHECK(result_of(o, "sender-domain") == "private-mx");
    CHECK(o.verdict.score == -2);
    CHECK(o.verdict.action == Action::accept);
    CHECK(o.verdict.floor_by.empty());
  }
  SUBCASE("with a generic PTR: quarantined by the floor") {
    FakeResolver dns;
    zone(dns);
    Config cfg = make_config();
    Engine engine(cfg, dns, {check_info("sender-domain"), check_info("ptr")});
    Outcome o = run_message(engine, m);
    CHECK(result_of(o, "sender-domain") == "private-mx");
    CHECK(o.verdict.score == cfg.quarantine_below - 0.5);  // the floor's finding carries the difference
    CHECK(o.verdict.action == Action::quarantine);
    CHECK(o.verdict.floor_by == "sender-domain:private-mx");
  }
  SUBCASE("private-mx-action = none: points only") {
    FakeResolver dns;
    zone(dns);
    Config cfg = make_config({{"private-mx-action", "none"}});
    Engine engine(cfg, dns, {check_info("sender-domain"), check_info("ptr")});
    Outcome o = run_message(engine, m);
    CHECK(result_of(o, "sender-domain") == "private-mx");
    CHECK(o.verdict.action == Action::accept);
  }
  SUBCASE("a domain in our-domains (our sister domain, not a recipient here): ok") {
    FakeResolver dns;
    zone(dns);
    Config cfg = make_config({{"our-domains", "corp.example partner.example"}});
    Engine engine(cfg, dns, {check_info("sender-domain")});
    Outcome o = run_message(engine, m);
    CHECK(result_of(o, "sender-domain") == "ok");
  }
  SUBCASE("our-domains in UTF-8, the sender in A-labels (SMTPUTF8 config): ok") {
    FakeResolver dns;
    dns.add("xn--bckerei-5wa.example", DnsType::MX, {"10 mail.xn--bckerei-5wa.example"});
    dns.add("mail.xn--bckerei-5wa.example", DnsType::A, {"10.20.0.25"});
    Config cfg = make_config({{"our-domains", "b\xc3\xa4" "ckerei.example"}});
    Engine engine(cfg, dns, {check_info("sender-domain")});
    Msg own = m;
    own.from = "<a@xn--bckerei-5wa.example>";
    CHECK(result_of(run_message(engine, own), "sender-domain") == "ok");
  }
  SUBCASE("loopback only stays bogus-mx at -5") {
    FakeResolver dns;
    dns.add("partner.example", DnsType::MX, {"10 mail.partner.example"});
    dns.add("mail.partner.example", DnsType::A, {"127.0.0.1"});
    Config cfg = make_config();
    Engine engine(cfg, dns, {check_info("sender-domain")});
    Outcome o = run_message(engine, m);
    CHECK(result_of(o, "sender-domain") == "bogus-mx");
    CHECK(o.verdict.score == -5);
  }
}

TEST_CASE("sender-domain: NXDOMAIN alone is strong, temperror is worth nothing") {
  Config cfg = make_config();
  CHECK(cfg.points("sender-domain", "nxdomain") <= -6);
  CHECK(cfg.points("sender-domain", "temperror") == 0);
  CHECK(cfg.points("sender-domain", "null-sender") == 0);
}
