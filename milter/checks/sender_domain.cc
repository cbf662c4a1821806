// sender_domain.cc — can the envelope sender's (MAIL FROM) domain receive
// mail, i.e. could a bounce ever reach it? (RFC 5321 §5.1 MX / implicit MX,
// RFC 7505 null MX, RFC 7208 §2.4 for the null sender.)
//
// The MX, A and AAAA lookups of the domain all start at MAIL FROM, in
// parallel, so end-of-data only collects them. Results:
//   ok          an MX with a usable target
//   implicit-mx no MX but a usable A/AAAA (RFC 5321 §5.1 implicit MX): it can
//               receive a bounce, but real mail domains publish MX — no bonus
//   nxdomain    the domain does not exist (seed 004's tbg4-finance.org)
//   no-mail     the domain exists but has no MX and no A/AAAA
//   null-mx     RFC 7505 "MX 0 ." — the domain says it sends and receives no mail
//   bogus-mx    every MX target (or, without MX, every address) is unusable:
//               an IP literal, localhost, a non-host name; or every address
//               the MX hosts resolve to is one no network can mail to
//               (loopback, unspecified, link-local, multicast: ip.h
//               unroutable but not private_use).
//   private-mx  every address of the MX hosts is unroutable and at least one
//               is private-use (RFC 1918, CGNAT, ULA): a throw-away domain
//               made to swallow bounces, or our resolver's private view of a
//               partner (split DNS, a zone forwarded over a VPN). Weak alone;
//               with another negative finding the floor private-mx-action.
//               For a domain of ours (it shares its registrable domain with
//               our-domains, a recipient domain or our host name: split DNS)
//               private-use addresses are usable.
//   invalid     no domain part, an address literal, a bare IP, a single label
//               or a syntactically bad name (nothing is looked up)
//   temperror   a lookup timed out / SERVFAIL / malformed answer: never evidence
//   null-sender MAIL FROM:<> (a bounce): 0 points; judged through the HELO
// The A/AAAA lookups of the first kMaxMxHosts MX hosts (preference order)
// start as soon as the MX answer is in (checked at RCPT and end of headers;
// at end-of-data at the latest). An MX host that does not resolve or whose
// lookup fails proves nothing (ok). Bad input never throws: every byte of
// the address is quoted in the detail.
#include <string>
#include <vector>

#include "legit/check.h"
#include "legit/domain.h"
#include "legit/headers.h"
#include "legit/us.h"
#include "../core/names.h"

namespace legit {
namespace {

constexpr const char* kCheck = "sender-domain";
constexpr std::size_t kMaxMxHosts = 3;  // MX hosts whose addresses are looked up

struct Mx {
  bool null = false;        // "0 ." (preference 0, root exchange)
  std::string exchange;     // lower-case, no dot
};

std::vector<Mx> parse_mx(const std::vector<std::string>& records) {
  std::vector<Mx> out;
  for (const auto& r : records) {
    auto sp = r.find(' ');
    std::string pref = r.substr(0, sp);
    std::string exch = sp == std::string::npos ? "" : normalize_name(std::string_view(r).substr(sp + 1));
    out.push_back({pref == "0" && exch.empty(), exch});
  }
  return out;
}

// Why an MX target cannot take mail; "" when it looks usable.
std::string bogus_target(const std::string& name) {
  if (name.empty()) return "the root";
  if (IpAddress::parse(name)) return "an IP literal";
  if (name == "localhost" || (name.size() > 10 && name.ends_with(".localhost"))) return "localhost";
  if (!is_hostname(name)) return "not a host name";
  return "";
}

// Who can mail to an address: anyone (public), only a private network
// (private-use: right in a split-DNS view; for a domain of ours always
// fine), or nobody (unparsable, loopback, unspecified, link-local, multicast).
enum class Reach { anyone, private_net, nobody };

Reach reach(const std::string& text, bool ours) {
  auto ip = IpAddress::parse(text);
  if (!ip) return Reach::nobody;
  if (!unroutable(*ip)) return Reach::anyone;
  if (!private_use(*ip)) return Reach::nobody;
  return ours ? Reach::anyone : Reach::private_net;
}

// Is the sender domain one of ours (our-domains, or a recipient's or our
// host name's registrable domain)? Then split DNS may give it private
// addresses.
bool ours(const Session& s, const std::string& domain) {
  if (same_registrable_domain(domain, s.config.hostname) || same_registrable_domain(domain, s.conn.our_name))
    return true;
  for (const auto& d : s.config.list("our-domains"))
    if (same_registrable_domain(domain, dns_domain(d))) return true;
  for (const auto& r : s.msg.rcpts)
    if (same_registrable_domain(domain, rcpt_domain(r))) return true;
  return false;
}

// Syntax of the domain part; "" when it is worth looking up.
std::string syntax_problem(const std::string& from, const std::string& domain) {
  auto at = from.rfind('@');
  if (at == std::string::npos) return "has no domain part";
  std::string_view raw = std::string_view(from).substr(at + 1);
  if (raw.empty()) return "has an empty domain part";
  if (raw.front() == '[') return "has an address literal as domain";
  if (!is_hostname(domain)) return "has a domain that is not a valid domain name";
  if (IpAddress::parse(domain)) return "has a bare IP address as domain";
  if (domain.find('.') == std::string::npos) return "has a domain that is not fully qualified";
  return "";
}

class SenderDomain : public Check {
 public:
  void on_mail(Session& s) override {
    domain_ = s.mail_from_domain();
    result_.clear();
    detail_.clear();
    mx_ = a_ = aaaa_ = DnsLookup();
    hosts_.clear();
    hosts_started_ = false;
    const std::string& from = s.msg.mail_from;
    if (from.empty()) {
      result_ = "null-sender";
      detail_ = "null sender <> (a bounce or notification): legitimate; judged through the "
                "HELO name instead (RFC 7208 §2.4, see the helo and spf-helo checks)";
      return;
    }
    if (auto why = syntax_problem(from, domain_); !why.empty()) {
      result_ = "invalid";
      detail_ = "MAIL FROM <" + quote_untrusted(from) + "> " + why;
      return;
    }
    mx_ = s.resolver.lookup(domain_, DnsType::MX);
    a_ = s.resolver.lookup(domain_, DnsType::A);
    aaaa_ = s.resolver.lookup(domain_, DnsType::AAAA);
  }

  void on_rcpt(Session& s, std::string_view) override { start_hosts(s, false); }
  void on_eoh(Session& s) override { start_hosts(s, false); }

  std::vector<Finding> finish(Session& s) override {
    if (result_.empty()) judge(s);
    if (result_.empty()) return {};
    Finding f{kCheck, result_, detail_, {}};
    if (result_ == "private-mx") {
      f.floor = floor_of_action(s.config.str("private-mx-action"));
      f.floor_with_negative = true;
    }
    return {f};
  }

 private:
  void set(std::string result, std::string detail) {
    result_ = std::move(result);
    detail_ = quote_untrusted(domain_) + " " + detail;
  }

  // Starts the address lookups of the MX hosts once the MX answer is in
  // (never blocks unless `wait`: end-of-data).
  void start_hosts(Session& s, bool wait) {
    if (hosts_started_ || !mx_.valid() || (!wait && !mx_.is_ready())) return;
    hosts_started_ = true;
    DnsAnswer mx = mx_.get();
    if (!mx.ok()) return;
    for (const auto& h : mx_hosts(mx.records)) {
      if (!bogus_target(h).empty()) continue;
      if (hosts_.size() >= kMaxMxHosts) break;
      hosts_.push_back({h, s.resolver.lookup(h, DnsType::A), s.resolver.lookup(h, DnsType::AAAA)});
    }
  }

  void judge(Session& s) {
    if (!mx_.valid()) return;  // no MAIL FROM seen
    DnsAnswer mx = mx_.get();
    if (mx.status == DnsStatus::temperror || mx.status == DnsStatus::malformed)
      return set("temperror", "MX lookup failed: " + (mx.why.empty() ? to_string(mx.status) : mx.why));
    ours_ = ours(s, domain_);
    if (mx.ok()) {
      judge_mx(parse_mx(mx.records));
      if (result_ == "ok") judge_mx_addresses(s);
      return;
    }
    judge_implicit(mx.status);
  }

  // Every address of the MX hosts unreachable: bogus-mx, or private-mx when
  // a private network could reach one. A host without addresses, or a
  // failed lookup, proves nothing.
  void judge_mx_addresses(Session& s) {
    start_hosts(s, true);
    std::string example;
    bool any_private = false;
    for (const auto& h : hosts_) {
      for (const DnsLookup* l : {&h.a, &h.aaaa}) {
        DnsAnswer a = l->get();
        if (a.status == DnsStatus::temperror || a.status == DnsStatus::malformed) return;
        for (const auto& ip : a.records) {
          Reach r = reach(ip, ours_);
          if (r == Reach::anyone) return;
          any_private = any_private || r == Reach::private_net;
          if (example.empty()) example = quote_untrusted(h.name, 80) + " resolves to " + quote_untrusted(ip, 48);
        }
      }
    }
    if (example.empty()) return;
    if (any_private) return set_private("every MX host resolves only to addresses the Internet cannot reach (MX " +
                                               example + ")");
    set("bogus-mx", "cannot receive mail: every MX host resolves only to addresses no network can mail to (MX " +
                        example + ")");
  }

  // private-mx: bounces reach it only through a private network. Our own
  // resolver may see a partner that way, so alone it is weak; with another
  // negative finding it is the floor private-mx-action (finish).
  void set_private(const std::string& why) {
    set("private-mx", "cannot receive mail from the Internet: " + why +
                          "; a throw-away domain, or our resolver's private view of it (split DNS)");
  }

  void judge_mx(const std::vector<Mx>& mxs) {
    if (mxs.size() == 1 && mxs.front().null)
      return set("null-mx", "publishes a null MX (RFC 7505): it accepts no mail, so it sends none");
    std::string why;
    for (const auto& m : mxs) {
      if (m.null) continue;  // a null MX among others is ignored (RFC 7505 §3)
      std::string bad = bogus_target(m.exchange);
      if (bad.empty()) return set("ok", "has MX " + quote_untrusted(m.exchange, 80));
      if (why.empty()) why = "MX " + quote_untrusted(m.exchange, 80) + " is " + bad;
    }
    set("bogus-mx", "cannot receive mail: " + (why.empty() ? "no usable MX" : why));
  }

  // No MX: RFC 5321 §5.1 falls back to the domain's own A/AAAA.
  void judge_implicit(DnsStatus mx_status) {
    DnsAnswer a = a_.get(), aaaa = aaaa_.get();
    std::vector<std::string> addrs = a.records;
    addrs.insert(addrs.end(), aaaa.records.begin(), aaaa.records.end());
    bool any = a.ok() || aaaa.ok(), any_private = false;
    for (const auto& ip : addrs) {
      Reach r = reach(ip, ours_);
      if (r == Reach::anyone)
        return set("implicit-mx", "has no MX; implicit MX to its address " + quote_untrusted(ip, 48));
      any_private = any_private || r == Reach::private_net;
    }
    if (any && any_private)
      return set_private("no MX and only addresses the Internet cannot reach (" + quote_untrusted(addrs.front(), 48) + ")");
    if (any)
      return set("bogus-mx", "has no MX and only addresses no network can mail to (" + quote_untrusted(addrs.front(), 48) + ")");
    if (a.status == DnsStatus::temperror || aaaa.status == DnsStatus::temperror)
      return set("temperror", "A/AAAA lookup failed: " + (a.why.empty() ? aaaa.why : a.why));
    if (mx_status == DnsStatus::nxdomain)
      return set("nxdomain", "does not exist (NXDOMAIN): bounces to this sender cannot be delivered");
    set("no-mail", "exists but has no MX and no A/AAAA: it cannot receive mail");
  }

  struct Host {
    std::string name;
    DnsLookup a, aaaa;
  };

  std::string domain_, result_, detail_;
  DnsLookup mx_, a_, aaaa_;
  std::vector<Host> hosts_;   // address lookups of the first MX hosts
  bool hosts_started_ = false;
  bool ours_ = false;         // the domain is ours (split DNS): private-use addresses are fine
};

}  // namespace

CheckInfo sender_domain_check_info() {
  return {
      kCheck,
      "the MAIL FROM domain can receive mail: MX or implicit MX (RFC 5321 §5.1), null MX (RFC 7505)",
      {
          {"ok", 0.5, "a working return path is a precondition of legitimate mail, but spammers' "
                      "domains have one too: weak evidence (SpamAssassin and rspamd give no bonus)"},
          {"implicit-mx", 0.0, "only an A/AAAA (implicit MX): a bounce could arrive, but a domain that "
                               "really sends mail publishes MX; throw-away domains often have just an A"},
          {"nxdomain", -7.0, "the sender domain does not exist: every bounce becomes backscatter; "
                             "Postfix reject_unknown_sender_domain rejects it outright (seed 004)"},
          {"no-mail", -3.0, "no MX and no A/AAAA: nothing can be returned to the sender; Postfix "
                            "reject_unknown_sender_domain rejects it (550/450)"},
          {"null-mx", -5.0, "RFC 7505 §4.2: a null-MX domain sends no mail; Postfix rejects it with "
                            "556 5.7.27 (reject_unknown_sender_domain)"},
          {"bogus-mx", -5.0, "MX to an IP literal, localhost, garbage or hosts that resolve only to "
                             "loopback/link-local/unspecified addresses: a domain made to swallow bounces, "
                             "common on throw-away spam domains; no network's view makes such an MX right. "
                             "Was -3: as unable to take a bounce as null-mx (-5), and worse, it pretends it "
                             "can; Postfix sites reject it outright (check_sender_mx_access on bogus "
                             "networks); corpus 1 bad, 0 legit"},
          {"private-mx", -2.0, "MX hosts that resolve only to private-use addresses (RFC 1918, CGNAT, ULA): "
                               "throw-away domains do it, but so does our own resolver's view of a partner "
                               "(split DNS, a zone forwarded over a VPN; common), so weak alone, and at least "
                               "quarantine (private-mx-action) only together with another negative finding. "
                               "Was bogus-mx (-5): a fully authenticated partner lost 5 points; corpus 1 bad "
                               "(quarantined by the floor), 2 legit partners"},
          {"invalid", -3.0, "the envelope sender has no usable domain (address literal, bare IP, "
                            "single label); Postfix reject_non_fqdn_sender rejects it"},
          {"temperror", 0.0, "DNS failed: never evidence against the sender"},
          {"null-sender", 0.0, "MAIL FROM:<> is legitimate for bounces (RFC 5321 §4.5.5); the helo "
                               "and spf-helo checks judge such mail instead (RFC 7208 §2.4)"},
      },
      {
          {"private-mx-action", OptKind::choice, "quarantine",
           "least action for a sender domain whose MX hosts resolve only to private-use addresses when "
           "another finding is negative too (none = points only, e.g. when a partner's zone is forwarded "
           "to its internal view and its mail is odd otherwise)",
           {"quarantine", "none"}},
      },
      [](const Config&) { return std::make_unique<SenderDomain>(); },
  };
}

}  // namespace legit
