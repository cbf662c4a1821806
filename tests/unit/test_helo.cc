// test_helo.cc — the helo check (milter/checks/helo.cc) from a table of
// HELO arguments, client addresses and DNS answers served by the fake
// resolver, through the engine; hostile input included.
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace legit {
CheckInfo helo_check_info();
}  // namespace legit

namespace {

struct Row {
  const char* name;
  const char* ip;
  std::string helo;
  std::function<void(FakeResolver&)> zone;
  const char* results;  // space-separated, in order
};

const CheckInfo kCheck = helo_check_info();

// One row through the engine: the row's zone, client IP and HELO.
Outcome run_row(const Row& r, const Config& cfg) {
  Msg m;
  m.helo = r.helo;
  m.ip = r.ip;
  FakeResolver dns;
  r.zone(dns);
  return run_message(Engine(cfg, dns, {&kCheck}), m);
}


std::string results(const Outcome& o) {
  std::string out;
  for (const auto& it : o.verdict.items)
    if (it.finding.check == "helo") out += (out.empty() ? "" : " ") + it.finding.result;
  return out;
}

// Forward-confirmed PTR `name` for `ip`.
void fcrdns(FakeResolver& f, const char* ip, const char* name) {
  auto a = IpAddress::parse(ip);
  f.add(a->reverse_name(), DnsType::PTR, {name});
  f.add(name, a->is_v4() ? DnsType::A : DnsType::AAAA, {ip});
}

void none(FakeResolver&) {}

}  // namespace

TEST_CASE("helo: results per HELO and DNS situation") {
  const Row rows[] = {
      {"bare IP (seed 003)", "203.0.113.3", "37.215.63.185", none, "bare-ip"},
      {"bare IP of the client", "203.0.113.3", "203.0.113.3", none, "bare-ip"},
      {"bare IPv6", "2001:db8:a1::9", "2001:db8:a1::9", none, "bare-ip"},
      {"literal match", "203.0.113.4", "[203.0.113.4]", none, "literal-match"},
      {"literal mismatch", "203.0.113.4", "[203.0.113.5]", none, "literal-mismatch"},
      {"IPv6 literal match", "2001:db8:a1::9", "[IPv6:2001:db8:a1::9]", none, "literal-match"},
      {"IPv6 literal without tag", "2001:db8:a1::9", "[2001:db8:a1::9]", none, "invalid"},
      {"broken literal", "203.0.113.4", "[203.0.113.4", none, "invalid"},
      {"literal garbage", "203.0.113.4", "[not-an-ip]", none, "invalid"},
      {"empty literal", "203.0.113.4", "[]", none, "invalid"},
      {"single label (seed 001)", "72.38.252.2", "User", none, "not-fqdn"},
      {"OEMCOMPUTER", "203.0.113.6", "OEMCOMPUTER", none, "not-fqdn"},
      {"localhost", "203.0.113.6", "localhost", none, "localhost"},
      {"localhost.localdomain", "203.0.113.6", "LocalHost.LocalDomain", none, "localhost"},
      {"localhost.<domain>", "203.0.113.6", "localhost.example.com", none, "localhost"},
      {"ip6-localhost", "203.0.113.6", "ip6-localhost", none, "localhost"},
      {"Windows default name", "203.0.113.6", "WIN-7T2K4J9QH3L", none, "random-label"},
      {"DESKTOP- default name", "203.0.113.6", "DESKTOP-4F9K2LQ", none, "random-label"},
      {"no vowels", "203.0.113.6", "xkqzjwpv", none, "random-label"},
      {"letters and digits shuffled", "203.0.113.6", "a8f3k2q9", none, "random-label"},
      {"internal short name", "203.0.113.6", "exch01", none, "not-fqdn"},
      {"internal name with a hyphen", "203.0.113.6", "SRV-MAIL", none, "not-fqdn"},
      {"local suffix", "203.0.113.6", "mail.corp.local", none, "internal-name"},
      {"EC2 instance's default name", "203.0.113.6", "ip-172-31-12-34.eu-central-1.compute.internal", none,
       "internal-name"},
      {"on-premises Exchange, upper case", "203.0.113.6", "EXCH01.Kessler.LOCAL", none, "internal-name"},
      {"numeric TLD", "203.0.113.6", "1.2.3", none, "not-fqdn"},
      {"public suffix", "203.0.113.6", "co.uk", none, "not-fqdn"},
      {"underscore", "203.0.113.6", "my_host.example.com", none, "invalid"},
      {"space", "203.0.113.6", "my host.example.com", none, "invalid"},
      {"non-ASCII", "203.0.113.6", "caf\xc3\xa9.example.com", none, "invalid"},
      {"NUL", "203.0.113.6", std::string("mail\0.example.com", 17), none, "invalid"},
      {"CRLF", "203.0.113.6", "mail.example.com\r\nX: y", none, "invalid"},
      {"empty label", "203.0.113.6", "mail..example.com", none, "invalid"},
      {"255 chars", "203.0.113.6", std::string(250, 'a') + ".com", none, "invalid"},
      {"empty argument", "203.0.113.6", "", none, "missing"},
      {"our hostname", "203.0.113.6", "MX.Example.NET.", none, "claims-us"},
      {"our name from the list", "203.0.113.6", "mail.example.net", none, "claims-us"},
      {"our address literal", "203.0.113.6", "[198.51.100.25]", none, "claims-us"},
      {"our address bare", "203.0.113.6", "198.51.100.25", none, "claims-us"},
      {"our own server is not a forger", "198.51.100.26", "mx.example.net", none, "no-resolve"},
      {"matches PTR", "203.0.113.10", "mail.good.example",
       [](FakeResolver& f) { fcrdns(f, "203.0.113.10", "mail.good.example"); }, "matches-ptr"},
      {"matches PTR, trailing dot, upper case", "203.0.113.10", "MAIL.good.example.",
       [](FakeResolver& f) { fcrdns(f, "203.0.113.10", "mail.good.example"); }, "matches-ptr"},
      {"matches PTR IPv6", "2001:db8:a1::10", "mail6.good.example",
       [](FakeResolver& f) { fcrdns(f, "2001:db8:a1::10", "mail6.good.example"); }, "matches-ptr"},
      {"resolves to client", "203.0.113.11", "out.other.example",
       [](FakeResolver& f) { f.add("out.other.example", DnsType::A, {"203.0.113.11"}); }, "resolves-to-client"},
      {"resolves to client via AAAA", "2001:db8:a1::11", "out6.other.example",
       [](FakeResolver& f) { f.add("out6.other.example", DnsType::AAAA, {"2001:db8:a1::11"}); },
       "resolves-to-client"},
      {"same domain as PTR", "203.0.113.12", "relay.good.example",
       [](FakeResolver& f) {
         fcrdns(f, "203.0.113.12", "mx12.good.example");
         f.add("relay.good.example", DnsType::A, {"203.0.113.99"});
       }, "same-domain-as-ptr"},
      {"no resolve", "203.0.113.13", "made.up.example", none, "no-resolve"},
      {"resolves elsewhere", "203.0.113.14", "www.other.example",
       [](FakeResolver& f) { f.add("www.other.example", DnsType::A, {"198.51.100.7"}); }, "resolves-elsewhere"},
      {"A timeout", "203.0.113.15", "slow.other.example",
       [](FakeResolver& f) { f.set("slow.other.example", DnsType::A, DnsStatus::temperror, "timeout"); },
       "temperror"},
      {"AAAA timeout, A elsewhere, IPv4 client", "203.0.113.15", "half.other.example",
       [](FakeResolver& f) {
         f.add("half.other.example", DnsType::A, {"198.51.100.7"});
         f.set("half.other.example", DnsType::AAAA, DnsStatus::temperror, "timeout");
       }, "resolves-elsewhere"},
      {"AAAA timeout, no A", "203.0.113.15", "half.other.example",
       [](FakeResolver& f) { f.set("half.other.example", DnsType::AAAA, DnsStatus::temperror, "timeout"); },
       "temperror"},
      {"timeout but matches PTR", "203.0.113.16", "mail16.good.example",
       [](FakeResolver& f) {
         fcrdns(f, "203.0.113.16", "mail16.good.example");
         f.set("mail16.good.example", DnsType::AAAA, DnsStatus::temperror, "timeout");
       }, "matches-ptr"},
      {"generic HELO that does not resolve", "203.0.113.17", "203-0-113-17.dsl.isp.example", none,
       "no-resolve generic"},
      {"generic HELO equal to a generic PTR", "203.0.113.18", "203-0-113-18.dsl.isp.example",
       [](FakeResolver& f) { fcrdns(f, "203.0.113.18", "203-0-113-18.dsl.isp.example"); }, "generic"},
      {"generic-static HELO resolving to client", "203.0.113.19", "static-203-0-113-19.isp.example",
       [](FakeResolver& f) { f.add("static-203-0-113-19.isp.example", DnsType::A, {"203.0.113.19"}); },
       "generic"},
  };
  Config cfg = make_config({{"helo-our-names", "mail.example.net"},
                            {"helo-our-addresses", "198.51.100.24/30"}});
  for (const auto& r : rows) {
    SUBCASE(r.name) {
      Outcome o = run_row(r, cfg);
      CHECK(results(o) == r.results);
      for (const auto& it : o.verdict.items) {
        CHECK(it.points == cfg.points("helo", it.finding.result));
        CHECK(it.finding.detail.find_first_of(std::string("\r\n\0", 3)) == std::string::npos);
      }
    }
  }
}

TEST_CASE("helo: claims-us with no configuration: authserv-id, $myhostname, daemon_addr, recipient MX and domain") {
  FakeResolver dns;
  dns.add("example.net", DnsType::MX, {"10 mx1.example.net", "20 backup.other.example"});
  dns.add("mx1.example.net", DnsType::A, {"198.51.100.30"});
  dns.add("backup.other.example", DnsType::A, {"192.0.2.40"});
  dns.add("example.net", DnsType::A, {"198.51.100.80"});  // the recipient domain's web server
  dns.add("www.example.net", DnsType::A, {"192.0.2.60"});
  dns.add("61.113.0.203.in-addr.arpa", DnsType::PTR, {"gw.dept.example.net"});
  dns.add("gw.dept.example.net", DnsType::A, {"203.0.113.61"});
  dns.set("62.113.0.203.in-addr.arpa", DnsType::PTR, DnsStatus::temperror, "timeout");
  Config cfg = make_config({{"hostname", "box.internal"}, {"authserv-id", "mx.site.example"},
                            {"our-domains", "ours.example"}});
  Engine engine(cfg, dns, {&kCheck});
  struct Row { const char* ip; const char* helo; const char* want; };
  const Row rows[] = {
      {"203.0.113.50", "mx.site.example", "claims-us"},        // authserv-id
      {"203.0.113.50", "smtp.site.example", "claims-us"},      // macro j
      {"203.0.113.50", "[198.51.100.77]", "claims-us"},        // {daemon_addr}
      {"203.0.113.50", "198.51.100.77", "claims-us"},
      {"203.0.113.50", "mx1.example.net", "claims-us"},        // MX of the recipient domain
      {"198.51.100.30", "mx1.example.net", "resolves-to-client"},  // that MX host itself
      {"192.0.2.40", "backup.other.example", "resolves-to-client"},  // backup MX relaying to us
      {"198.51.100.77", "smtp.site.example", "no-resolve"},    // from our own address
      {"203.0.113.50", "example.net", "claims-us"},            // the recipient domain itself
      {"203.0.113.50", "EXAMPLE.net.", "claims-us"},
      {"198.51.100.80", "example.net", "resolves-to-client"},  // the web server it names
      {"203.0.113.50", "ours.example", "claims-us"},           // our-domains
      {"203.0.113.50", "mail.example.net", "claims-us"},       // a made-up name in it
      {"203.0.113.50", "www.ours.example", "claims-us"},
      {"192.0.2.60", "www.example.net", "resolves-to-client"}, // a real host of it
      {"203.0.113.61", "srv.dept.example.net", "same-domain-as-ptr"},  // PTR in the domain: its own host
      {"203.0.113.62", "srv.dept.example.net", "no-resolve"},  // PTR timed out: unknown
      {"203.0.113.50", "example.net.evil.test", "no-resolve"}, // not under it
      {"203.0.113.50", "net", "not-fqdn"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.helo);
    CAPTURE(r.ip);
    auto d = engine.open();
    d->server("smtp.site.example", "198.51.100.77");
    d->connect("unknown", r.ip);
    d->helo(r.helo);
    d->mail_from("<a@example.com>", "");
    d->rcpt("<bob@example.net>");
    CHECK(result_of(d->end_of_message("Q1"), "helo") == r.want);
  }
}

// SMTPUTF8: our domain in UTF-8 in our-domains or a recipient address, the
// HELO in its A-labels: the same domain (old code: no-resolve in both rows).
TEST_CASE("helo: claims-us for a HELO under a UTF-8 recipient domain or our-domains entry") {
  FakeResolver dns;
  Config cfg = make_config({{"our-domains", "b\xc3\xa4" "ckerei.example"}});
  Engine engine(cfg, dns, {&kCheck});
  struct Row { const char* rcpt; const char* helo; const char* want; };
  const Row rows[] = {
      {"<bob@example.net>", "mail.xn--bckerei-5wa.example", "claims-us"},            // our-domains in UTF-8
      {"<j\xc3\xb6rg@m\xc3\xbcller.example>", "xn--mller-kva.example", "claims-us"},  // recipient in UTF-8
      {"<j\xc3\xb6rg@m\xc3\xbcller.example>", "xn--mller-kva.example.evil.test", "no-resolve"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.helo);
    auto d = engine.open();
    d->server("smtp.site.example", "198.51.100.77");
    d->connect("unknown", "203.0.113.50");
    d->helo(r.helo);
    d->mail_from("<a@example.com>", "");
    d->rcpt(r.rcpt);
    CHECK(result_of(d->end_of_message("Q1"), "helo") == r.want);
  }
}

TEST_CASE("helo: no HELO at all is missing; lookups start at HELO") {
  FakeResolver dns;
  Config cfg = make_config();
  Engine engine(cfg, dns, {&kCheck});
  auto d = engine.open();
  d->connect("unknown", "203.0.113.20");
  d->mail_from("<a@example.com>", "");
  CHECK(result_of(d->end_of_message("Q1"), "helo") == "missing");

  auto d2 = engine.open();
  d2->connect("unknown", "203.0.113.20");
  d2->helo("mail.other.example");
  CHECK(dns.was_asked("mail.other.example", DnsType::A));
  CHECK(dns.was_asked("mail.other.example", DnsType::AAAA));
  CHECK_FALSE(dns.was_asked("user", DnsType::A));
}

TEST_CASE("helo: no lookup for names judged on syntax alone") {
  FakeResolver dns;
  Config cfg = make_config();
  Engine engine(cfg, dns, {&kCheck});
  for (const char* h : {"User", "37.215.63.185", "[203.0.113.20]", "bad_name.example", "mx.example.net"}) {
    auto d = engine.open();
    d->connect("unknown", "203.0.113.20");
    d->helo(h);
  }
  for (const auto& q : dns.asked()) CHECK(q.second == DnsType::PTR);
}

TEST_CASE("helo: authenticated clients are not judged, even with skip-authenticated = no") {
  FakeResolver dns;
  Config cfg = make_config({{"skip-authenticated", "no"}});
  Engine engine(cfg, dns, {&kCheck});
  Msg m;
  m.ip = "203.0.113.21";
  m.helo = "User";
  m.auth = "alice";
  CHECK(result_of(run_message(engine, m), "helo") == "");
}

TEST_CASE("helo: no client IP judges syntax only") {
  FakeResolver dns;
  dns.add("www.other.example", DnsType::A, {"198.51.100.7"});
  Config cfg = make_config();
  Engine engine(cfg, dns, {&kCheck});
  Msg m;
  m.ip = "";
  m.helo = "User";
  CHECK(result_of(run_message(engine, m), "helo") == "not-fqdn");
  m.helo = "www.other.example";
  CHECK(result_of(run_message(engine, m), "helo") == "");
}

TEST_CASE("helo: helo-our-addresses is validated") {
  std::string err;
  CHECK_FALSE(config_from({{"helo-our-addresses", "not-a-net"}}, &err));
  CHECK(err.find("helo-our-addresses") != std::string::npos);
}
