// test_relay.cc — the open-relay guard (milter/checks/relay.cc) through the
// engine with the fake resolver: ok / open-relay / unknown / temperror, the
// backup-MX, filtering-service and NAT guards, clients that may relay, the
// floor (relay-action).
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace legit {
CheckInfo relay_check_info();
}  // namespace legit

namespace {

const CheckInfo kCheck = relay_check_info();

// Our public address 198.51.100.77 ({daemon_addr}), our name mx.site.example
// ($myhostname). site.example: MX is us by address; backup.example lists us
// by name as its backup; other.example is somebody else's.
void zone(FakeResolver& dns) {
  dns.add("site.example", DnsType::MX, {"10 in.site.example"});
  dns.add("in.site.example", DnsType::A, {"198.51.100.77"});
  dns.add("backup.example", DnsType::MX, {"10 mx.primary.example", "20 mx.site.example"});
  dns.add("mx.primary.example", DnsType::A, {"203.0.113.8"});
  dns.add("other.example", DnsType::MX, {"10 mx.other.example"});
  dns.add("mx.other.example", DnsType::A, {"203.0.113.5"});
  dns.add("mx.other.example", DnsType::AAAA, {"2001:db8::5"});
  dns.add("filtered.example", DnsType::MX, {"10 mx.filter-cloud.example"});
  dns.add("mx.filter-cloud.example", DnsType::A, {"203.0.113.9"});
  dns.add("bare.example", DnsType::A, {"203.0.113.6"});  // no MX: implicit
  dns.add("nullmx.example", DnsType::MX, {"0 ."});
}

struct Rcpt {
  Rcpt(std::string a, std::string m = "smtp", std::string h = "")
      : addr(std::move(a)), mailer(std::move(m)), host(std::move(h)) {}
  std::string addr;
  std::string mailer;  // Postfix {rcpt_mailer}
  std::string host;    // {rcpt_host}; "" with a mailer = the recipient domain (delivered by MX)
};

struct Run {
  std::vector<Rcpt> rcpts;
  std::string ip = "203.0.113.50";
  std::string daemon = "198.51.100.77";  // {daemon_addr}
  std::string auth;
};

// A message to these recipients, from IP, to our DAEMON address.
Run to(std::vector<Rcpt> rcpts, std::string ip = "203.0.113.50", std::string daemon = "198.51.100.77") {
  Run r;
  r.rcpts = std::move(rcpts);
  r.ip = std::move(ip);
  r.daemon = std::move(daemon);
  return r;
}

Outcome run(const Engine& engine, const Run& r) {
  auto d = engine.open();
  d->server("mx.site.example", r.daemon);
  d->connect("unknown", r.ip);
  d->helo("mail.sender.example");
  d->mail_from("<a@sender.example>", r.auth);
  for (const auto& rc : r.rcpts) {
    std::string host = rc.host;
    if (host.empty() && !rc.mailer.empty()) host = rc.addr.substr(rc.addr.rfind('@') + 1);
    d->rcpt("<" + rc.addr + ">", rc.mailer, host);
  }
  d->header("From", "a@sender.example");
  d->end_of_headers();
  d->body("hi\r\n");
  return d->end_of_message("Q1");
}

std::string detail_of(const Outcome& o) {
  for (const auto& it : o.verdict.items)
    if (it.finding.check == "relay") return it.finding.detail;
  return "";
}

}  // namespace

TEST_CASE("relay: ok for our domains, open-relay for somebody else's") {
  FakeResolver dns;
  zone(dns);
  // open-relay worth 0 points here: the floor alone rejects
  Config cfg = make_config({{"our-domains", "hosted.example"}, {"points.relay.open-relay", "0"}});
  Engine engine(cfg, dns, {&kCheck});
  struct Row { std::vector<Rcpt> rcpts; const char* want; };
  const Row rows[] = {
      {{{"bob@site.example"}}, "ok"},                      // MX resolves to {daemon_addr}
      {{{"bob@backup.example"}}, "ok"},                    // backup MX lists our name
      {{{"bob@mx.site.example"}}, "ok"},                   // our own name
      {{{"bob@hosted.example"}}, "ok"},                    // our-domains, no DNS needed
      {{{"bob@filtered.example", "lmtp"}}, "ok"},          // Postfix delivers it itself
      {{{"bob@filtered.example", "relay", "filtered.example"}}, "ok"},  // relay_domains
      {{{"bob@other.example"}}, "open-relay"},
      {{{"bob@bare.example"}}, "open-relay"},              // no MX, its address is not ours
      {{{"bob@nullmx.example"}}, "open-relay"},
      {{{"bob@site.example"}, {"eve@other.example"}}, "open-relay"},  // one foreign is enough
      {{{"bob@OTHER.example.", "SMTP", "Other.Example:25"}}, "open-relay"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.rcpts.back().addr);
    Outcome o = run(engine, to(r.rcpts));
    CHECK(result_of(o, "relay") == r.want);
    if (std::string(r.want) == "open-relay") {
      CHECK(o.action == Action::reject);
      CHECK(o.verdict.floor_by == "relay:open-relay");
      CHECK(o.log_line.find(" floor=relay:open-relay") != std::string::npos);
      // the reply names the cause, as Postfix's reject_unauth_destination would
      CHECK(o.reply_text.rfind("Relay access denied: recipient domain ", 0) == 0);
      CHECK(o.reply_text.find("legitimacy") == std::string::npos);
    } else {
      CHECK(o.action == Action::accept);
    }
  }
}

// SMTPUTF8 (RFC 6531): a recipient may write our domain in UTF-8 while
// our-domains and DNS hold its A-labels, or the other way round. Both sides
// are compared by their A-labels (on the old code each row below was
// open-relay, and a UTF-8 our-domains entry was refused).
TEST_CASE("relay: a UTF-8 recipient domain is ours by its A-labels") {
  FakeResolver dns;
  zone(dns);
  dns.add("xn--mller-kva.example", DnsType::MX, {"10 in.site.example"});  // müller.example: MX is us
  dns.add("xn--bro-hoa.example", DnsType::MX, {"10 mx.other.example"});    // büro.example: not ours
  struct Row { const char* our_domains; const char* rcpt; const char* host; const char* want; };
  const Row rows[] = {
      {"xn--bckerei-5wa.example", "j\xc3\xb6rg@b\xc3\xa4" "ckerei.example", "", "ok"},
      {"b\xc3\xa4" "ckerei.example", "jorg@xn--bckerei-5wa.example", "", "ok"},
      {"B\xc3\xa4" "ckerei.Example.", "j\xc3\xb6rg@b\xc3\xa4" "ckerei.example", "", "ok"},
      {"", "j\xc3\xb6rg@m\xc3\xbcller.example", "", "ok"},                      // by its MX
      {"", "j\xc3\xb6rg@b\xc3\xbcro.example", "", "open-relay"},                // somebody else's
      {"", "j\xc3\xb6rg@b\xc3\xbcro.example", "b\xc3\xbcro.example:25", "open-relay"},  // {rcpt_host} in UTF-8: by MX
  };
  for (const auto& r : rows) {
    std::string rcpt = r.rcpt, ours = r.our_domains;
    CAPTURE(rcpt);
    CAPTURE(ours);
    std::string err;
    auto cfg = config_from({{"our-domains", r.our_domains}, {"points.relay.open-relay", "0"}}, &err);
    REQUIRE_MESSAGE(cfg, err);
    Engine engine(*cfg, dns, {&kCheck});
    Rcpt rc(r.rcpt);
    if (*r.host) rc.host = r.host;
    CHECK(result_of(run(engine, to({rc})), "relay") == r.want);
  }
  std::string err;
  CHECK_FALSE(config_from({{"our-domains", "b\xc3\xa4" "ckerei_x.example"}}, &err));  // still refused
}

TEST_CASE("relay: unknown when we cannot tell, never evidence") {
  FakeResolver dns;
  zone(dns);
  Config cfg = make_config();
  Engine engine(cfg, dns, {&kCheck});
  struct Row { Run run; std::string why; };
  const Row rows[] = {
      // behind NAT: {daemon_addr} private, no helo-our-addresses, no name matched
      {to({{"bob@other.example"}}, "203.0.113.50", "10.0.0.5"), "no public address of ours"},
      {to({{"bob@other.example"}}, "203.0.113.50", ""), "no public address of ours"},
      // the MTA did not say how it routes the domain (no {rcpt_mailer})
      {to({{"bob@other.example", "", ""}}), "did not say"},
      // smtp to a fixed next hop: relayhost or transport_maps
      {to({{"bob@other.example", "smtp", "[192.0.2.1]:25"}}), "fixed next hop"},
      {to({{"bob@other.example", "smtp", "smarthost.example"}}), "fixed next hop"},
      // a LAN client Postfix may relay for by mynetworks
      {to({{"bob@other.example"}}, "192.168.1.20"), "private network"},
      {to({{"bob@other.example"}}, "fd00::20"), "private network"},
      {to({{"bob@nowhere.example"}}), "does not resolve"},
      {to({{"bob"}}), "no recipient with a domain"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    Outcome o = run(engine, r.run);
    CHECK(result_of(o, "relay") == "unknown");
    CHECK(detail_of(o).find(r.why) != std::string::npos);
    CHECK(o.action == Action::accept);
  }
  // helo-our-addresses makes a NATed MX able to tell
  Config nat = make_config({{"helo-our-addresses", "198.51.100.77"}});
  Engine e2(nat, dns, {&kCheck});
  CHECK(result_of(run(e2, to({{"bob@site.example"}}, "203.0.113.50", "10.0.0.5")), "relay") == "ok");
  CHECK(result_of(run(e2, to({{"bob@other.example"}}, "203.0.113.50", "10.0.0.5")), "relay") == "open-relay");
}

TEST_CASE("relay: temperror when a lookup fails") {
  FakeResolver dns;
  zone(dns);
  dns.set("slow.example", DnsType::MX, DnsStatus::temperror, "timeout");
  dns.add("half.example", DnsType::MX, {"10 mx.half.example"});
  dns.set("mx.half.example", DnsType::A, DnsStatus::temperror, "timeout");
  Config cfg = make_config();
  Engine engine(cfg, dns, {&kCheck});
  for (const char* rcpt : {"bob@slow.example", "bob@half.example"}) {
    CAPTURE(rcpt);
    Outcome o = run(engine, to({{rcpt}}));
    CHECK(result_of(o, "relay") == "temperror");
    CHECK(o.action == Action::accept);
  }
}

TEST_CASE("relay: clients that may relay are never judged") {
  FakeResolver dns;
  zone(dns);
  const std::vector<Rcpt> foreign = {{"bob@other.example"}};
  SUBCASE("SMTP AUTH (scored when skip-authenticated = no)") {
    Config cfg = make_config({{"skip-authenticated", "no"}});
    Engine engine(cfg, dns, {&kCheck});
    Run r = to(foreign);
    r.auth = "alice";
    Outcome o = run(engine, r);
    CHECK(result_of(o, "relay") == "ok");
    CHECK(o.action == Action::accept);
  }
  SUBCASE("allowlist-clients") {
    Config cfg = make_config({{"allowlist-clients", "203.0.113.0/24"}});
    Engine engine(cfg, dns, {&kCheck});
    CHECK(result_of(run(engine, to(foreign)), "relay") == "ok");
  }
  SUBCASE("trusted-networks: not scored at all") {
    Config cfg = make_config({{"trusted-networks", "203.0.113.0/24"}});
    Engine engine(cfg, dns, {&kCheck});
    Outcome o = run(engine, to(foreign));
    CHECK(result_of(o, "relay") == "");
    CHECK(o.action == Action::accept);
  }
}

TEST_CASE("relay: relay-action sets the floor") {
  FakeResolver dns;
  zone(dns);
  const Run foreign = to({{"bob@other.example"}});
  Config def = make_config();
  Engine ed(def, dns, {&kCheck});
  CHECK(run(ed, foreign).action == Action::reject);  // -10 points and the floor
  Config q = make_config({{"relay-action", "quarantine"}, {"points.relay.open-relay", "0"}});
  Engine eq(q, dns, {&kCheck});
  Outcome oq = run(eq, foreign);
  CHECK(oq.action == Action::quarantine);
  CHECK(oq.quarantine_reason.find("relay:open-relay") != std::string::npos);
  Config none = make_config({{"relay-action", "none"}});
  Engine en(none, dns, {&kCheck});
  Outcome o = run(en, foreign);
  CHECK(result_of(o, "relay") == "open-relay");
  CHECK(o.verdict.floor_by == "");
  CHECK(o.verdict.score == doctest::Approx(-10));  // the points alone decide (reject-below -8)
}
