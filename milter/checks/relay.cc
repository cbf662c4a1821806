// relay.cc — is this message relayed through us? Check `relay`.
//
// The engine scores only clients that are neither trusted nor (by default)
// authenticated; if such a client sends to a recipient domain that is not
// ours, Postfix's own restrictions are wrong and it relays for anyone —
// nothing tells its admin until the IP is blocklisted (seed 004).
//
// A recipient domain is ours (legit/us.h) when it is one of our names or in
// `our-domains`; when Postfix routes it itself ({rcpt_mailer} at RCPT is not
// smtp/esmtp: local, virtual, lmtp, relay = relay_domains, ...); or when one
// of its MX hosts (any preference: a backup-MX domain lists us) — without MX
// the domain itself — is one of our names or resolves to one of our
// addresses. It is relayed only when, besides, Postfix says it sends the
// mail with smtp to the domain's own MX hosts ({rcpt_host} = the domain).
// Results:
//   ok          every recipient domain is ours (or the client may relay:
//               SMTP AUTH, allowlist-clients)
//   open-relay  a recipient domain is not ours; the finding's floor is
//               `relay-action` (reject by default) and a loud warning naming
//               smtpd_relay_restrictions / mynetworks is logged (at most once
//               a minute, with the number of relays since the last one)
//   unknown     cannot tell, never evidence: no recipient with a domain; a
//               domain that does not resolve; the MTA did not say how it
//               routes it; a fixed next hop (relayhost, transport_maps); no
//               public address of ours to compare with (no
//               helo-our-addresses and {daemon_addr} missing or private, as
//               behind NAT); a client in a private network (mynetworks)
//   temperror   an MX or address lookup failed: never evidence
// MX lookups start at RCPT (Session::want_rcpt_mx); the address lookups of
// the MX hosts run in parallel at end-of-data. Bad input never throws.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <string>
#include <vector>

#include "../core/names.h"
#include "legit/check.h"
#include "legit/headers.h"
#include "legit/log.h"
#include "legit/us.h"

namespace legit {
namespace {

constexpr std::size_t kMaxHosts = 10;  // MX hosts looked at per domain

// Loud, at most once a minute, for the whole process.
void warn_open_relay(const std::string& what) {
  static std::atomic<long long> last{0};
  static std::atomic<long> suppressed{0};
  long long now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::steady_clock::now().time_since_epoch()).count() + 1;  // never 0
  long long prev = last.load();
  if ((prev != 0 && now - prev < 60) || !last.compare_exchange_strong(prev, now)) {
    suppressed.fetch_add(1);
    return;
  }
  long n = suppressed.exchange(0);
  log_msg(LogLevel::warning,
          "OPEN RELAY: Postfix accepted mail for a domain that is not ours from a client that is "
          "neither trusted nor authenticated (" + what + ")" +
              (n ? "; " + std::to_string(n) + " more since the last warning" : std::string()) +
              ". Fix smtpd_relay_restrictions (permit_mynetworks, permit_sasl_authenticated, "
              "reject_unauth_destination) and check that mynetworks holds only your own networks; "
              "a client of yours that may relay belongs in trusted-networks.");
}

Finding found(std::string result, std::string detail) { return {"relay", std::move(result), std::move(detail), {}}; }

// What the MTA does with a recipient domain, from {rcpt_mailer}/{rcpt_host}:
// "own" (a transport of its own tables: local, virtual, lmtp, relay, ...),
// "fixed" (smtp to a fixed next hop: relayhost, transport_maps), "mx" (smtp
// to the domain's MX hosts: the Internet), "" (the MTA did not say).
std::string route_kind(const RcptRoute& r, const std::string& domain) {
  if (r.mailer.empty()) return "";
  std::string m = normalize_name(r.mailer);
  if (m != "smtp" && m != "esmtp") return "own";
  std::string h = r.host;
  if (h.empty() || h.front() == '[') return "fixed";
  if (auto colon = h.rfind(':'); colon != std::string::npos &&
      std::all_of(h.begin() + colon + 1, h.end(), [](unsigned char c) { return std::isdigit(c); }))
    h.resize(colon);
  return dns_domain(h) == domain ? "mx" : "fixed";  // SMTPUTF8: Postfix writes the domain as given
}

class Relay : public Check {
 public:
  explicit Relay(const Config& cfg)
      : clients_(parse_networks(cfg.list("allowlist-clients"), nullptr).value_or(std::vector<Network>{})),
        relay_action_(cfg.str("relay-action")) {
    for (const auto& d : cfg.list("our-domains")) ours_.push_back(dns_domain(d));  // A-labels, as rcpt_domain
  }

  void on_rcpt(Session& s, std::string_view rcpt) override { s.want_rcpt_mx(rcpt); }

  std::vector<Finding> finish(Session& s) override {
    if (!s.conn.auth_user.empty()) return {found("ok", "SMTP AUTH client: it may relay")};
    if (s.conn.ip && in_networks(clients_, *s.conn.ip)) return {found("ok", "client in allowlist-clients")};
    if (s.msg.rcpt_mx.empty()) return {found("unknown", "no recipient with a domain")};
    if (s.conn.ip && unroutable(*s.conn.ip))
      return {found("unknown", "client in a private network: Postfix may relay for it (mynetworks)")};
    Us us = Us::of(s);
    bool can_tell = !s.config.list("helo-our-addresses").empty();
    if (auto ip = IpAddress::parse(s.conn.our_addr)) can_tell = can_tell || !unroutable(*ip);
    std::string unknown, temp;
    for (const auto& [domain, mx] : s.msg.rcpt_mx) {
      if (us.name(domain) || std::find(ours_.begin(), ours_.end(), domain) != ours_.end()) continue;
      auto r = s.msg.rcpt_routes.find(domain);
      std::string kind = r == s.msg.rcpt_routes.end() ? "" : route_kind(r->second, domain);
      if (kind == "own") continue;
      std::string v = judge(s, us, domain, mx.get());
      if (v == "ours") continue;
      std::string q = quote_untrusted(domain, 80);
      if (v == "temperror") temp = q;
      else if (v == "unknown") unknown = q + " does not resolve";
      else if (kind.empty()) unknown = q + " is not ours by MX, and the MTA did not say how it routes it";
      else if (kind == "fixed")
        unknown = q + " goes to the fixed next hop " + quote_untrusted(r->second.host, 80) +
                  " (relayhost or transport_maps)";
      else if (!can_tell)
        unknown = q + " is not ours by name, and no public address of ours is known (set helo-our-addresses)";
      else {
        warn_open_relay("client " + quote_untrusted(s.conn.addr_text, 64) + ", recipient domain " + q + " " + v);
        Finding f = found("open-relay", "recipient domain " + q + " " + v + ": relayed through us");
        f.floor = floor_of_action(relay_action_);
        return {f};
      }
    }
    if (!temp.empty()) return {found("temperror", "lookups for the recipient domain " + temp + " failed")};
    if (!unknown.empty()) return {found("unknown", "recipient domain " + unknown)};
    return {found("ok", "every recipient domain is ours")};
  }

 private:
  // "ours", "temperror", "unknown", or why it is not ours.
  static std::string judge(Session& s, const Us& us, const std::string& domain, const DnsAnswer& mx) {
    if (mx.status == DnsStatus::temperror || mx.status == DnsStatus::malformed) return "temperror";
    std::vector<std::string> hosts = mx.ok() ? mx_hosts(mx.records) : std::vector<std::string>{domain};
    if (mx.ok() && hosts.empty()) return "has a null MX";
    if (hosts.size() > kMaxHosts) hosts.resize(kMaxHosts);
    for (const auto& h : hosts)
      if (us.name(h)) return "ours";
    std::vector<DnsLookup> lookups;
    for (const auto& h : hosts) {
      lookups.push_back(s.resolver.lookup(h, DnsType::A));
      lookups.push_back(s.resolver.lookup(h, DnsType::AAAA));
    }
    bool any = false, temp = false;
    for (const auto& l : lookups) {
      DnsAnswer a = l.get();
      temp = temp || a.status == DnsStatus::temperror;
      for (const auto& rec : a.records)
        if (auto ip = IpAddress::parse(rec)) {
          any = true;
          if (us.address(*ip)) return "ours";
        }
    }
    if (temp) return "temperror";
    if (!any) return "unknown";
    return mx.ok() ? "has MX " + quote_untrusted(hosts.front(), 80) + ", not us"
                   : "has no MX and its address is not ours";
  }

  std::vector<Network> clients_;
  std::vector<std::string> ours_;
  std::string relay_action_;
};

std::string domain_or_why(const std::string& v) {
  std::string d = dns_domain(v);  // a UTF-8 domain by its A-labels
  return is_hostname(d) && d.find('.') != std::string::npos ? "" : "is not a domain name";
}

}  // namespace

CheckInfo relay_check_info() {
  return {
      "relay",
      "open-relay guard: an untrusted, unauthenticated client sending to a domain that is not ours",
      {
          {"ok", 0.0, "mail for our own domains: what an MX receives"},
          {"open-relay", -10.0, "relayed through us: Postfix's restrictions are wrong; never legitimate "
                                "from an untrusted, unauthenticated client (the floor relay-action rejects it)"},
          {"unknown", 0.0, "cannot tell whether the recipient domain is ours: never evidence"},
          {"temperror", 0.0, "DNS failed: never evidence against the sender"},
      },
      {
          {"relay-action", OptKind::choice, "reject",
           "least action for a message relayed through us (open-relay), whatever the score",
           {"reject", "quarantine", "none"}},
          {"our-domains", OptKind::list, "",
           "domains we receive mail for whatever their MX says (MX at a filtering service)", {},
           domain_or_why},
      },
      [](const Config& cfg) { return std::make_unique<Relay>(cfg); },
  };
}

}  // namespace legit
