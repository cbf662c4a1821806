// helo.cc — what the client's HELO/EHLO argument says about it (RFC 5321
// §4.1.1.1: a FQDN, or an address literal when it has no name; §4.1.3: the
// literal syntax).
//
// At most two findings: one verdict on the name, plus `generic` when the
// name looks dynamic. The first rule that fires gives the verdict:
//   missing             no HELO/EHLO (or an empty argument)
//   literal-match / literal-mismatch   "[1.2.3.4]" / "[IPv6:...]", legal;
//                       judged by whether it is the client's address
//   bare-ip             an address without brackets (RFC-illegal)
//   invalid             not a host name: "_", spaces, non-ASCII, NUL/CRLF,
//                       empty labels, > 253 bytes, bad literal
//   claims-us           one of our names or addresses (legit/us.h: hostname,
//                       helo-our-names, authserv-id, Postfix's $myhostname,
//                       helo-our-addresses, {daemon_addr}; bare or literal),
//                       or a recipient domain, one of our-domains, or an MX
//                       host of a recipient domain, whose addresses do not
//                       include the client — from a client that is not one
//                       of our addresses
//   localhost           localhost, localhost.localdomain, localhost.*,
//                       *.localhost, ip6-localhost...: only a misconfigured
//                       or hostile client says that from the Internet
//   random-label        one label that reads random: a Windows default name
//                       (WIN-7T2K4J9QH3L, DESKTOP-...), no vowels, digits
//                       and letters shuffled (a bot's made-up name)
//   not-fqdn            one plain label (an internal server's short name),
//                       numeric TLD, public suffix
//   internal-name       a dotted name under a local suffix
//                       (helo-local-suffixes: local, lan, internal, ...):
//                       an internal server's full name (exch01.corp.local,
//                       an EC2 instance's ip-…compute.internal); FQDN in
//                       form, just not in the public DNS
//   matches-ptr         equals a forward-confirmed PTR name of the client
//   resolves-to-client  its A/AAAA hold the client address
//   same-domain-as-ptr  shares the registrable domain with a confirmed PTR
//   temperror           A/AAAA lookup failed temporarily
//   no-resolve          NXDOMAIN/NODATA for both A and AAAA
//   resolves-elsewhere  resolves, but not to the client
// A generic name (generic_name.h) never earns the three positive results:
// they are replaced by `generic`; otherwise `generic` is added. A SASL-
// authenticated client gets no finding. A/AAAA lookups start in on_helo.
// The first result word is published to Session::msg.auth.helo (anonymous).
#include <algorithm>
#include <optional>
#include <string>

#include "../core/names.h"
#include "generic_name.h"
#include "helo_words.h"
#include "legit/check.h"
#include "legit/domain.h"
#include "legit/headers.h"
#include "legit/us.h"

namespace legit {
namespace {

Finding found(std::string result, std::string detail) {
  return {"helo", std::move(result), std::move(detail), {}};
}

bool positive(const std::string& result) {
  return result == "matches-ptr" || result == "resolves-to-client" || result == "same-domain-as-ptr";
}

class Helo : public Check {
 public:
  explicit Helo(const Config& cfg);
  void on_helo(Session& s) override;
  void on_rcpt(Session& s, std::string_view rcpt) override { s.want_rcpt_mx(rcpt); }
  std::vector<Finding> finish(Session& s) override {
    std::vector<Finding> out = judge(s);
    s.msg.auth.helo = out.empty() ? "" : out.front().result;  // for anonymous (AuthFacts)
    return out;
  }

 private:
  std::vector<Finding> judge(Session& s);
  std::optional<Finding> syntax(const Session& s) const;
  std::optional<Finding> address(const Session& s, std::string_view text, bool literal) const;
  std::optional<Finding> name_claims(const Session& s, const std::string& n) const;
  std::optional<Finding> claims_mx(Session& s, const std::string& n);
  Finding identity(Session& s, const std::string& n);

  std::shared_ptr<const GenericWords> words_;
  std::vector<std::string> local_suffixes_;
  DnsLookup a_, aaaa_;
  bool looked_up_ = false;
};

Helo::Helo(const Config& cfg) : words_(GenericWords::shared(cfg)) {
  for (const auto& s : cfg.list("helo-local-suffixes")) local_suffixes_.push_back(normalize_name(s));
}

void Helo::on_helo(Session& s) {
  looked_up_ = false;
  if (syntax(s)) return;  // decided without DNS
  std::string n = normalize_name(s.conn.helo);
  a_ = s.resolver.lookup(n, DnsType::A);
  aaaa_ = s.resolver.lookup(n, DnsType::AAAA);
  looked_up_ = true;
}

// A bare or bracketed address; nullopt if `text` is no address at all.
std::optional<Finding> Helo::address(const Session& s, std::string_view text, bool literal) const {
  std::string q = quote_untrusted(s.conn.helo, 80);
  auto ip = IpAddress::parse(text);
  if (!ip) return literal ? std::optional(found("invalid", "HELO " + q + " is not a valid address literal"))
                          : std::nullopt;
  if (literal && !ip->is_v4() && text.substr(0, 5) != "IPv6:" && text.substr(0, 5) != "ipv6:")
    return found("invalid", "HELO " + q + " is an IPv6 literal without the IPv6: tag");
  IpAddress a = ip->unmapped();
  bool client = s.conn.ip && *s.conn.ip == a;
  Us us = Us::of(s);
  if (us.address(a) && !us.client_is_us(s))
    return found("claims-us", "HELO " + q + " is one of our addresses");
  if (!literal)
    return found("bare-ip", "HELO " + q + " is an address without brackets" +
                                (client ? " (the client's own)" : ""));
  if (client) return found("literal-match", "HELO " + q + " is the client's address literal");
  return found("literal-mismatch", "HELO " + q + " is not the client's address " +
                                       (s.conn.ip ? s.conn.ip->to_string() : std::string("(none)")));
}

std::optional<Finding> Helo::name_claims(const Session& s, const std::string& n) const {
  std::string q = quote_untrusted(s.conn.helo, 80);
  Us us = Us::of(s);
  if (!us.client_is_us(s) && us.name(n)) return found("claims-us", "HELO " + q + " is our own name");
  if (is_localhost_name(n)) return found("localhost", "HELO " + q + " names the loopback host");
  auto dot = n.rfind('.');
  std::string tld = dot == std::string::npos ? n : n.substr(dot + 1);
  if (dot == std::string::npos && random_label(n))
    return found("random-label", "HELO " + q + " is a single random-looking label");
  if (dot == std::string::npos) return found("not-fqdn", "HELO " + q + " is a single label, not a FQDN");
  if (std::find(local_suffixes_.begin(), local_suffixes_.end(), tld) != local_suffixes_.end())
    return found("internal-name", "HELO " + q + " has the local suffix ." + tld + ": an internal name");
  if (std::all_of(tld.begin(), tld.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return found("not-fqdn", "HELO " + q + " has a numeric top-level label");
  if (registrable_domain(n).empty())
    return found("not-fqdn", "HELO " + q + " is a public suffix, not a host");
  return std::nullopt;
}

// Everything decided from the HELO text alone; nullopt = needs DNS.
std::optional<Finding> Helo::syntax(const Session& s) const {
  const std::string& h = s.conn.helo;
  if (!s.conn.helo_seen || h.empty()) return found("missing", "no HELO/EHLO given");
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']')
      return found("invalid", "HELO " + quote_untrusted(h, 80) + " is not a valid address literal");
    return address(s, std::string_view(h).substr(1, h.size() - 2), true);
  }
  if (auto f = address(s, h, false)) return f;
  if (!is_hostname(h))
    return found("invalid", "HELO " + quote_untrusted(h, 80) + " is not a valid host name");
  return name_claims(s, normalize_name(h));
}

// The domain of ours (a recipient domain, one of `our-domains`) that `n` is
// or lies under, "" when none.
std::string our_domain_of(const Session& s, const std::string& n) {
  for (const auto& [d, l] : s.msg.rcpt_mx)
    if (in_domain(n, d)) return d;
  for (const auto& d : s.config.list("our-domains"))
    if (std::string a = dns_domain(d); in_domain(n, a)) return a;  // A-labels, as the HELO
  return "";
}

// HELO = a recipient domain, one of `our-domains` or a name under them (the
// Postfix "check_helo_access: you are not me" of our own domains, which
// matches their subdomains too), or an MX host of a recipient domain (our
// inbound MX, by DNS), from a client that is not that host (not among the
// HELO's own A/AAAA: the web server a bare domain names may say it). Under
// our domain, a client whose forward-confirmed PTR lies in that domain too is
// a host of that domain (a department's server misnaming itself), not a
// forger; that needs the PTR answer (a temperror claims nothing).
std::optional<Finding> Helo::claims_mx(Session& s, const std::string& n) {
  if (!looked_up_ || !s.conn.ip || Us::of(s).client_is_us(s)) return std::nullopt;
  std::string what, ours = our_domain_of(s, n);
  const RdnsResult* r = s.rdns.started() ? &s.rdns.result() : nullptr;
  bool ptr_known = r && r->ptr_status != DnsStatus::temperror && !r->forward_temperror;
  if (!ours.empty() && ptr_known &&
      std::none_of(r->confirmed.begin(), r->confirmed.end(), [&](const auto& c) { return in_domain(c, ours); }))
    what = n == ours ? " is our domain" : " is a name in our domain " + quote_untrusted(ours, 80);
  for (const auto& [d, l] : s.msg.rcpt_mx) {
    if (!what.empty()) break;
    auto hosts = mx_hosts(l.get().records);
    if (std::find(hosts.begin(), hosts.end(), n) != hosts.end())
      what = " is an MX host of the recipient domain " + quote_untrusted(d, 80);
  }
  if (what.empty()) return std::nullopt;
  DnsAnswer a = a_.get(), aaaa = aaaa_.get();
  if (a.status == DnsStatus::temperror || aaaa.status == DnsStatus::temperror) return std::nullopt;
  for (const auto* ans : {&a, &aaaa})
    for (const auto& rec : ans->records)
      if (auto ip = IpAddress::parse(rec); ip && ip->unmapped() == *s.conn.ip) return std::nullopt;
  return found("claims-us", "HELO " + quote_untrusted(n, 80) + what + ", but the client is not that host");
}

// The positive/negative verdict on a syntactically fine FQDN.
Finding Helo::identity(Session& s, const std::string& n) {
  std::string q = quote_untrusted(n, 80);
  const RdnsResult* r = s.rdns.started() ? &s.rdns.result() : nullptr;
  if (r && std::find(r->confirmed.begin(), r->confirmed.end(), n) != r->confirmed.end())
    return found("matches-ptr", "HELO " + q + " is the client's forward-confirmed PTR name");
  DnsAnswer a = looked_up_ ? a_.get() : DnsAnswer{}, aaaa = looked_up_ ? aaaa_.get() : DnsAnswer{};
  for (const auto* ans : {&a, &aaaa})
    for (const auto& rec : ans->records) {
      auto ip = IpAddress::parse(rec);
      if (ip && s.conn.ip && ip->unmapped() == *s.conn.ip)
        return found("resolves-to-client", "HELO " + q + " resolves to " + s.conn.ip->to_string());
    }
  if (r)
    for (const auto& c : r->confirmed)
      if (same_registrable_domain(n, c))
        return found("same-domain-as-ptr", "HELO " + q + " shares its domain with PTR " +
                                               quote_untrusted(c, 80));
  // A timeout of the client's own family always counts; of the other one
  // only when the own family gave no address (no-resolve is then unproven).
  bool v4 = !s.conn.ip || s.conn.ip->is_v4();
  const DnsAnswer& own = v4 ? a : aaaa;
  const DnsAnswer& other = v4 ? aaaa : a;
  if (own.status == DnsStatus::temperror || (other.status == DnsStatus::temperror && !own.ok()))
    return found("temperror", "A/AAAA lookup of HELO " + q + " failed: " +
                                  (own.why.empty() ? other.why : own.why));
  if (!a.ok() && !aaaa.ok())
    return found("no-resolve", "HELO " + q + " does not resolve (" + to_string(a.status) + ")");
  return found("resolves-elsewhere", "HELO " + q + " resolves, but not to the client");
}

std::vector<Finding> Helo::judge(Session& s) {
  if (!s.conn.auth_user.empty()) return {};
  if (auto f = syntax(s)) return {*f};
  std::string n = normalize_name(s.conn.helo);
  if (auto f = claims_mx(s, n)) return {*f};
  Finding f = identity(s, n);
  const IpAddress* ip = s.conn.ip ? &*s.conn.ip : nullptr;
  NameVerdict v = classify_name(n, ip, *words_);
  if (!s.conn.ip && f.result == "resolves-elsewhere") return {};
  if (v.shape == NameShape::plain) return {f};
  Finding g = found("generic", "HELO " + quote_untrusted(n, 80) + " looks " + to_string(v.shape) +
                                   ": " + v.why);
  if (positive(f.result)) return {g};
  return {f, g};
}

std::string network_or_why(const std::string& v) {
  return Network::parse(v) ? "" : "is not an IP address or network";
}

}  // namespace

CheckInfo helo_check_info() {
  return {
      "helo",
      "the HELO/EHLO name: syntax, claims to be us, DNS and fit with the PTR (RFC 5321 4.1.1.1)",
      {
          {"missing", -2.0, "no HELO at all: RFC 5321 requires one (Postfix smtpd_helo_required)"},
          {"bare-ip", -2.5, "an address without brackets is RFC-illegal and a bot habit (seed 003; "
                            "rspamd HFILTER_HELO_BAREIP 3, Postfix reject_invalid_helo_hostname)"},
          {"literal-match", -0.5, "a legal literal of the client's own address; real MTAs send a name"},
          {"literal-mismatch", -2.0, "a literal of another address: a false statement"},
          {"invalid", -2.5, "not a host name at all (rspamd HFILTER_HELO_BADHOST 4.5, Postfix "
                            "reject_invalid_helo_hostname)"},
          {"claims-us", -6.0, "pretends to be this server or our own domain: only forgers do that "
                              "(policyd-weight and Postfix FAQ recommend rejecting outright)"},
          {"not-fqdn", -2.0, "User, OEMCOMPUTER, exch01: a desktop or an internal server's short "
                             "name, not an MTA's public name (rspamd HFILTER_HELO_NOT_FQDN 2, Postfix "
                             "reject_non_fqdn_helo_hostname)"},
          {"internal-name", -1.0, "exch01.corp.local, ip-172-31-1-2.eu-central-1.compute.internal: a "
                                  "server's full internal name (on-premises Exchange, a cloud instance's "
                                  "default): FQDN in form, so Postfix reject_non_fqdn_helo_hostname "
                                  "accepts it and rspamd only finds it unresolvable "
                                  "(HFILTER_HELO_NORES_A_OR_MX 0.3): as no-resolve. Was not-fqdn -2; "
                                  "corpus 2 legit, 0 bad"},
          {"localhost", -3.5, "localhost / localhost.localdomain from the Internet: a broken or "
                              "hostile client, never a real MTA (SpamAssassin HELO_LOCALHOST 1-3.8)"},
          {"random-label", -3.0, "a random-looking single label (WIN-7T2K4J9QH3L, xkqzjwpv): a bot's "
                                 "or a default desktop's made-up name (rspamd HFILTER_HELO_5 3)"},
          {"matches-ptr", 0.5, "HELO equals the forward-confirmed PTR: a properly set-up MTA. Was 1: "
                               "iprev.pass and ptr.good already count that name, and hacked web servers "
                               "have it too (corpus: 7 bad sessions; fit_points.py: 0-0.5)"},
          {"resolves-to-client", 0.5, "HELO resolves to the client: consistent identity"},
          {"same-domain-as-ptr", 0.5, "same organization as the confirmed PTR (clusters, "
                                      "outbound pools): mildly positive"},
          {"temperror", 0.0, "DNS failed: never evidence against the sender"},
          {"no-resolve", -1.0, "a FQDN with no A/AAAA: made up (rspamd HFILTER_HELO_NORES_A_OR_MX "
                               "0.3, Postfix reject_unknown_helo_hostname)"},
          {"resolves-elsewhere", -0.5, "resolves to other addresses: weak, many NAT'd or clustered "
                                       "senders do this (rspamd HFILTER_HELO_NORESOLVE_MX 0.2)"},
          {"generic", -1.0, "a dynamic/address-derived name as HELO: a home line, not an MTA "
                            "(SpamAssassin HELO_DYNAMIC_* 1-3)"},
      },
      {
          {"helo-our-names", OptKind::list, "",
           "names besides hostname that only this site's servers may send as HELO"},
          {"helo-our-addresses", OptKind::list, "",
           "this site's public IPs/networks: a HELO claiming them is claims-us (list them!)", {},
           network_or_why},
          {"helo-local-suffixes", OptKind::list,
           "localdomain localhost local lan home internal intranet corp private invalid",
           "last labels that make a dotted HELO internal-name (not in the public DNS)"},
      },
      [](const Config& cfg) { return std::make_unique<Helo>(cfg); },
  };
}

}  // namespace legit
