// allowlist.cc — senders a postmaster vouches for, by client, host name,
// sender or recipient. Edited in the config file and live after a reload
// (SIGHUP), like every option. Last in the registry: it reads what spf and
// dkim published (Message::auth), so a listed sender counts only when it
// is authenticated — a forger cannot use it. Its result word is published to
// Session::msg.auth.allowlist (the anonymous check honours the postmaster's word).
//
// Results (the first that applies, in this order; no finding when none does):
//   client             the client IP is in allowlist-clients (IP or CIDR)
//   ptr                a forward-confirmed PTR name of the client is, or is
//                      under, a domain of allowlist-hosts
//   helo               the HELO is, or is under, a domain of allowlist-hosts,
//                      and is verified: it is a forward-confirmed PTR name or
//                      SPF passed for it (spf-helo)
//   sender             the envelope sender matches allowlist-senders and SPF
//                      passed for its domain or a DKIM signature aligned with
//                      it (same registrable domain) passed
//   sender-unverified  it matches, but neither SPF nor aligned DKIM passed:
//                      worth nothing, shown so the postmaster sees a forger
//                      (or a sender whose SPF/DKIM is broken)
//   recipient          every recipient is postmaster@ or abuse@ (any domain,
//                      RFC 5321 §4.5.1, RFC 2142) or matches
//                      allowlist-recipients. Every one: a spammer who adds
//                      postmaster@ to a message must not carry it to the rest.
// Entries: senders and recipients "user@example.com" (that address),
// "@example.com" (that domain only), "example.com" (it and its subdomains);
// recipients also "user@" (that local part in any domain). Case-insensitive;
// domains compared by their A-labels (dns_domain), so a UTF-8 domain
// (SMTPUTF8, "bäckerei.example") matches its xn-- form either way round.
// Bad input never throws; unusable entries are refused at config time.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "legit/check.h"
#include "legit/domain.h"
#include "legit/headers.h"
#include "legit/ip.h"
#include "../core/names.h"

namespace legit {
namespace {

constexpr const char* kCheck = "allowlist";

// An address or entry in the form they are compared: the local part in ASCII
// lower case, the domain by its A-labels ("Jörg@Bäckerei.example" →
// "jörg@xn--bckerei-…"); a host name alone by its A-labels too.
std::string address_key(std::string_view a) {
  auto at = a.rfind('@');
  if (at == std::string_view::npos) return dns_domain(a);
  return lower(a.substr(0, at)) + "@" + (at + 1 == a.size() ? "" : dns_domain(a.substr(at + 1)));
}

// An address against one entry (see the header); both address_key()s.
bool address_matches(std::string_view addr, std::string_view entry) {
  auto at = addr.rfind('@');
  std::string_view local = at == std::string_view::npos ? addr : addr.substr(0, at);
  std::string_view domain = at == std::string_view::npos ? "" : addr.substr(at + 1);
  auto eat = entry.find('@');
  if (eat == std::string_view::npos) return in_domain(domain, entry);
  if (eat == 0) return domain == entry.substr(1);
  if (eat + 1 == entry.size()) return local == entry.substr(0, eat);
  return addr == entry;
}

bool any_address(std::string_view addr, const std::vector<std::string>& entries) {
  for (const auto& e : entries)
    if (address_matches(addr, e)) return true;
  return false;
}

std::string first_host(const std::vector<std::string>& names, const std::vector<std::string>& domains) {
  for (const auto& n : names)
    for (const auto& d : domains)
      if (in_domain(n, d)) return n;
  return "";
}

std::vector<std::string> keyed(const std::vector<std::string>& v) {
  std::vector<std::string> out;
  for (const auto& s : v) out.push_back(address_key(s));
  return out;
}

// Why SPF or aligned DKIM vouches for `domain`, "" when neither does.
std::string authenticated(const Session& s, const std::string& domain) {
  const AuthFacts& a = s.msg.auth;
  if (a.spf_mailfrom == "pass" && lower(a.spf_mailfrom_domain) == domain) return "SPF pass";
  for (const auto& k : a.dkim)
    if (k.result == "pass" && (k.domain == domain || same_registrable_domain(k.domain, domain)))
      return "DKIM pass d=" + k.domain;
  return "";
}

class Allowlist : public Check {
 public:
  explicit Allowlist(const Config& cfg)
      : clients_(parse_networks(cfg.list("allowlist-clients"), nullptr).value_or(std::vector<Network>{})),
        hosts_(keyed(cfg.list("allowlist-hosts"))),
        senders_(keyed(cfg.list("allowlist-senders"))),
        rcpts_(keyed(cfg.list("allowlist-recipients"))) {
    rcpts_.push_back("postmaster@");
    rcpts_.push_back("abuse@");
  }

  std::vector<Finding> finish(Session& s) override {
    std::vector<Finding> out = judge(s);
    s.msg.auth.allowlist = out.empty() ? "" : out.front().result;  // for anonymous (AuthFacts)
    return out;
  }

 private:
  std::vector<Finding> judge(Session& s) const {
    const auto& c = s.conn;
    if (c.ip && in_networks(clients_, *c.ip))
      return found("client", "client " + c.ip->to_string() + " is in allowlist-clients");
    const RdnsResult* r = c.ip && s.rdns.ready() ? &s.rdns.result() : nullptr;
    std::string ptr = r ? first_host(r->confirmed, hosts_) : "";
    if (!ptr.empty()) return found("ptr", "forward-confirmed PTR " + quote_untrusted(ptr, 80) + " is in allowlist-hosts");
    std::string helo = normalize_name(c.helo);
    bool helo_verified = (r && std::find(r->confirmed.begin(), r->confirmed.end(), helo) != r->confirmed.end()) ||
                         (s.msg.auth.spf_helo == "pass" && lower(s.msg.auth.spf_helo_domain) == helo);
    if (!helo.empty() && helo_verified && !first_host({helo}, hosts_).empty())
      return found("helo", "verified HELO " + quote_untrusted(helo, 80) + " is in allowlist-hosts");
    std::string from = address_key(s.msg.mail_from);
    if (!from.empty() && any_address(from, senders_)) {
      std::string how = authenticated(s, s.mail_from_domain());
      if (!how.empty()) return found("sender", "sender " + quote_untrusted(from, 80) + " is in allowlist-senders (" + how + ")");
      return found("sender-unverified", "sender " + quote_untrusted(from, 80) +
                                            " is in allowlist-senders but neither SPF nor aligned DKIM passed");
    }
    if (!s.msg.rcpts.empty() && every_rcpt_listed(s.msg.rcpts))
      return found("recipient", "every recipient is postmaster@, abuse@ or in allowlist-recipients");
    return {};
  }

  static std::vector<Finding> found(const char* result, std::string detail) {
    return {Finding{kCheck, result, std::move(detail), {}}};
  }

  bool every_rcpt_listed(const std::vector<std::string>& rcpts) const {
    for (const auto& r : rcpts)
      if (!any_address(address_key(r), rcpts_)) return false;
    return true;
  }

  std::vector<Network> clients_;
  std::vector<std::string> hosts_, senders_, rcpts_;
};

std::string check_client(const std::string& v) { return Network::parse(v) ? "" : "is not an IP address or network"; }

std::string check_host(const std::string& v) { return is_hostname(dns_domain(v)) ? "" : "is not a domain name"; }

// user@domain, @domain, domain; recipients also user@.
std::string check_address(const std::string& v, bool local_alone) {
  auto at = v.rfind('@');
  if (at == std::string::npos) return is_hostname(dns_domain(v)) ? "" : "is not an address or domain";
  if (at + 1 == v.size()) return local_alone && at > 0 ? "" : "is not an address or domain";
  return is_hostname(dns_domain(v.substr(at + 1))) ? "" : "is not an address or domain";
}

}  // namespace

CheckInfo allowlist_check_info() {
  using K = OptKind;
  return {
      kCheck,
      "clients, host names, authenticated senders and recipients the postmaster vouches for",
      {
          {"client", 100.0, "the postmaster's own list of client networks: accepted whatever the "
                            "other checks say (like Postfix permit in smtpd_client_restrictions)"},
          {"ptr", 100.0, "a forward-confirmed PTR name under a listed domain: cannot be forged"},
          {"helo", 100.0, "a listed HELO, verified by FCrDNS or SPF: cannot be forged"},
          {"sender", 100.0, "a listed sender that SPF or aligned DKIM authenticated"},
          {"sender-unverified", 0.0, "a listed sender without SPF or aligned DKIM pass: anyone can "
                                     "write that MAIL FROM, so it is worth nothing"},
          {"recipient", 100.0, "mail to postmaster@/abuse@ must get through (RFC 5321 §4.5.1, "
                               "RFC 2142), as must listed recipients"},
      },
      {
          {"allowlist-clients", K::list, "", "client IPs or networks (CIDR) whose mail is allowlisted",
           {}, check_client},
          {"allowlist-hosts", K::list, "",
           "domains: a client whose forward-confirmed PTR name or verified HELO is, or is under, one "
           "of them is allowlisted", {}, check_host},
          {"allowlist-senders", K::list, "",
           "envelope senders (user@example.com, @example.com, or example.com with subdomains) "
           "allowlisted when SPF or aligned DKIM passes for them", {},
           [](const std::string& v) { return check_address(v, false); }},
          {"allowlist-recipients", K::list, "",
           "recipients (user@example.com, @example.com, example.com, or user@ in any domain) whose "
           "mail is allowlisted when every recipient is listed; postmaster@ and abuse@ always are",
           {}, [](const std::string& v) { return check_address(v, true); }},
      },
      [](const Config& cfg) { return std::make_unique<Allowlist>(cfg); },
  };
}

}  // namespace legit
