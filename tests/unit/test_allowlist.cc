// test_allowlist.cc — the allowlist check (milter/checks/allowlist.cc) with
// spf and spf-helo in front of it, from a table of sessions served by the
// fake resolver; and the config-time refusal of unusable entries.
#include <map>
#include <string>
#include <vector>

#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace {

std::vector<const CheckInfo*> checks() {
  std::vector<const CheckInfo*> out;
  for (const auto& c : check_registry())
    if (c.name == "spf" || c.name == "spf-helo" || c.name == "allowlist") out.push_back(&c);
  return out;
}

// 192.0.2.1: FCrDNS mail.partner.example; example.com's SPF allows it.
// 192.0.2.2: PTR liar.partner.example, which does not resolve back.
void zone(FakeResolver& f) {
  f.add("1.2.0.192.in-addr.arpa", DnsType::PTR, {"mail.partner.example"});
  f.add("mail.partner.example", DnsType::A, {"192.0.2.1"});
  f.add("2.2.0.192.in-addr.arpa", DnsType::PTR, {"liar.partner.example"});
  f.add("liar.partner.example", DnsType::A, {"198.51.100.9"});
  f.add("example.com", DnsType::TXT, {"v=spf1 ip4:192.0.2.1 -all"});
  f.add("relay.helo.example", DnsType::TXT, {"v=spf1 ip4:192.0.2.2 -all"});
  f.add("xn--bckerei-5wa.example", DnsType::TXT, {"v=spf1 ip4:192.0.2.1 -all"});  // bäckerei.example
}

struct Row {
  const char* name;
  std::map<std::string, std::string> options;
  const char* ip;
  const char* helo;
  const char* from;
  std::vector<const char*> rcpts;
  const char* result;  // "" = no finding
};

std::string run(const Row& r) {
  FakeResolver dns;
  zone(dns);
  Config c = make_config(r.options);
  Engine engine(c, dns, checks());
  auto d = engine.open();
  d->connect("unknown", r.ip);
  d->helo(r.helo);
  d->mail_from(r.from, "");
  for (const char* rcpt : r.rcpts) d->rcpt(rcpt);
  d->header("From", "alice@example.com");
  d->end_of_headers();
  Outcome o = d->end_of_message("Q1");
  return result_of(o, "allowlist");
}

}  // namespace

TEST_CASE("allowlist: what matches, and what a forger cannot use") {
  const std::vector<const char*> bob = {"<bob@example.net>"};
  const Row rows[] = {
      {"nothing listed", {}, "192.0.2.1", "x.example", "<alice@example.com>", bob, ""},
      {"client network", {{"allowlist-clients", "192.0.2.0/28"}}, "192.0.2.1", "x", "<a@b.example>", bob, "client"},
      {"client IPv6 not in an IPv4 list", {{"allowlist-clients", "192.0.2.0/28"}}, "2001:db8::1", "x", "<a@b.example>", bob, ""},
      {"confirmed PTR under a listed domain", {{"allowlist-hosts", "partner.example"}}, "192.0.2.1", "x", "<a@b.example>", bob, "ptr"},
      {"unconfirmed PTR does not count", {{"allowlist-hosts", "partner.example"}}, "192.0.2.2", "x", "<a@b.example>", bob, ""},
      {"unverified HELO does not count", {{"allowlist-hosts", "partner.example"}}, "192.0.2.2", "liar.partner.example", "<a@b.example>", bob, ""},
      {"HELO verified by SPF", {{"allowlist-hosts", "helo.example"}}, "192.0.2.2", "relay.helo.example", "<a@b.example>", bob, "helo"},
      {"a look-alike domain is not a subdomain", {{"allowlist-hosts", "ner.example"}}, "192.0.2.1", "x", "<a@b.example>", bob, ""},
      {"sender domain with SPF pass", {{"allowlist-senders", "example.com"}}, "192.0.2.1", "x", "<alice@example.com>", bob, "sender"},
      {"sender address with SPF pass", {{"allowlist-senders", "ALICE@example.com"}}, "192.0.2.1", "x", "<alice@example.com>", bob, "sender"},
      {"other address at the domain", {{"allowlist-senders", "alice@example.com"}}, "192.0.2.1", "x", "<eve@example.com>", bob, ""},
      {"@domain is that domain only", {{"allowlist-senders", "@example.com"}}, "192.0.2.1", "x", "<a@sub.example.com>", bob, ""},
      {"forged sender (SPF fail)", {{"allowlist-senders", "example.com"}}, "192.0.2.2", "x", "<alice@example.com>", bob, "sender-unverified"},
      {"postmaster@ always", {}, "192.0.2.2", "x", "<a@b.example>", {"<Postmaster@example.net>"}, "recipient"},
      {"abuse@ always", {}, "192.0.2.2", "x", "<a@b.example>", {"<abuse@example.net>"}, "recipient"},
      {"postmaster@ plus another recipient", {}, "192.0.2.2", "x", "<a@b.example>", {"<postmaster@example.net>", "<bob@example.net>"}, ""},
      {"listed local part", {{"allowlist-recipients", "bob@"}}, "192.0.2.2", "x", "<a@b.example>", {"<bob@example.net>", "<postmaster@example.net>"}, "recipient"},
      {"listed recipient domain", {{"allowlist-recipients", "example.net"}}, "192.0.2.2", "x", "<a@b.example>", bob, "recipient"},
      // SMTPUTF8: a domain in UTF-8 on one side and in A-labels on the other
      // is the same domain (old code: no finding in each of these rows)
      {"UTF-8 sender, A-label entry", {{"allowlist-senders", "xn--bckerei-5wa.example"}}, "192.0.2.1", "x", "<J\xc3\xb6rg@B\xc3\xa4" "ckerei.example>", bob, "sender"},
      {"A-label sender, UTF-8 entry", {{"allowlist-senders", "j\xc3\xb6rg@b\xc3\xa4" "ckerei.example"}}, "192.0.2.1", "x", "<j\xc3\xb6rg@xn--bckerei-5wa.example>", bob, "sender"},
      {"UTF-8 @domain entry", {{"allowlist-senders", "@b\xc3\xa4" "ckerei.example"}}, "192.0.2.1", "x", "<a@xn--bckerei-5wa.example>", bob, "sender"},
      {"UTF-8 forged sender", {{"allowlist-senders", "xn--bckerei-5wa.example"}}, "192.0.2.2", "x", "<a@b\xc3\xa4" "ckerei.example>", bob, "sender-unverified"},
      {"UTF-8 recipient, A-label entry", {{"allowlist-recipients", "@xn--bckerei-5wa.example"}}, "192.0.2.2", "x", "<a@b.example>", {"<j\xc3\xb6rg@b\xc3\xa4" "ckerei.example>"}, "recipient"},
      {"A-label recipient, UTF-8 entry", {{"allowlist-recipients", "b\xc3\xa4" "ckerei.example"}}, "192.0.2.2", "x", "<a@b.example>", {"<bob@shop.xn--bckerei-5wa.example>"}, "recipient"},
      {"UTF-8 local part is matched as written", {{"allowlist-recipients", "j\xc3\xb6rg@"}}, "192.0.2.2", "x", "<a@b.example>", {"<j\xc3\xb6rg@xn--bckerei-5wa.example>"}, "recipient"},
      {"client comes first", {{"allowlist-clients", "192.0.2.1"}, {"allowlist-senders", "example.com"}}, "192.0.2.1", "x", "<alice@example.com>", bob, "client"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    CHECK(run(r) == r.result);
  }
}

TEST_CASE("allowlist: points decide what it is worth, and an allowlisted message is accepted") {
  FakeResolver dns;
  zone(dns);
  Config c = make_config({{"allowlist-clients", "192.0.2.2"}, {"reject-below", "-8"}, {"points.spf.fail", "-20"}});
  Engine engine(c, dns, checks());
  auto d = engine.open();
  d->connect("unknown", "192.0.2.2");
  d->helo("x");
  d->mail_from("<alice@example.com>", "");
  d->rcpt("<bob@example.net>");
  d->end_of_headers();
  Outcome o = d->end_of_message("Q2");
  CHECK(result_of(o, "spf") == "fail");
  CHECK(result_of(o, "allowlist") == "client");
  CHECK(o.verdict.score == doctest::Approx(80));
  CHECK(o.action == Action::accept);
  CHECK(o.log_line.find("allowlist:client(100)") != std::string::npos);
}

TEST_CASE("allowlist: unusable entries are refused when the config is read") {
  const std::pair<const char*, const char*> bad[] = {
      {"allowlist-clients", "10.0.0.0/33"},
      {"allowlist-clients", "mail.example.com"},
      {"allowlist-hosts", "bad_name!"},
      {"allowlist-senders", "bob@"},
      {"allowlist-senders", "a@b@"},
      {"allowlist-recipients", "@"},
  };
  for (const auto& [name, value] : bad) {
    INFO(name << " = " << value);
    std::string err;
    CHECK_FALSE(config_from({{name, value}}, &err));
    CHECK(err.find(std::string("option '") + name + "'") != std::string::npos);
  }
  std::string err;
  CHECK(config_from({{"allowlist-recipients", "bob@ @example.org example.net x@example.com"}}, &err));
  // UTF-8 domains are usable entries (read by their A-labels)
  CHECK(config_from({{"allowlist-senders", "b\xc3\xa4" "ckerei.example j\xc3\xb6rg@b\xc3\xa4" "ckerei.example"},
                     {"allowlist-hosts", "b\xc3\xa4" "ckerei.example"}}, &err));
}
