// dmarc.cc — RFC 7489 DMARC: is the RFC5322.From domain authenticated by an
// aligned SPF pass or DKIM pass, and what does its owner ask for otherwise?
//
// Reads what spf and dkim published in Session::msg.auth (so it is registered
// after them). The policy lookups start in on_header when the From field
// arrives: _dmarc.<from-domain> and, in parallel, _dmarc.<organizational
// domain> (libpsl registrable domain) for the §6.6.3 fallback.
//
// Result words (the A-R shows the RFC 8601 word in brackets):
//   pass                 aligned SPF or DKIM pass                       [pass]
//   fail-reject, fail-quarantine, fail-none
//                        not aligned; the word carries the policy that
//                        applies (sp= for a subdomain when the record came
//                        from the organizational domain), one step milder
//                        when pct= selects under half or t=y (dmarc_record.h
//                        applied_policy)                                 [fail]
//   forwarded            would be fail-*, but the client is a listed
//                        forwarder (legit/forwarder.h): judged by its own
//                        DKIM instead; no floor                          [fail]
//   none                 no DMARC record (or several: §6.6.3)           [none]
//   unauthenticated      no DMARC record, no SPF record for the MAIL FROM
//                        identity (or only one that authorises every
//                        client: pass-broad, neutral-broad) and no DKIM
//                        signature at all: since 2024
//                        the big mailbox providers refuse such mail     [none]
//   temperror            a policy lookup failed temporarily             [temperror]
//   permerror            the published record is invalid                [permerror]
//   bad-from             not exactly one From field with one valid
//                        domain (§6.6.1: such messages are typically
//                        rejected)                                      [permerror]
// Several author domains (a From with several mailboxes, or several From
// fields; the first four domains of the first eight fields): §6.6.1 — each
// is checked, and the most strict policy among those that fail applies
// (fail-reject over fail-quarantine over fail-none, with its floor), so a
// brand's address next to the sender's own is no way around its policy;
// when none fails the message is bad-from.
// A-R: "dmarc=fail (p=reject) header.from=example.org" — the published policy
// as a comment, as opendmarc does; there is no "dis=" since the score, not
// this check, decides the disposition. A message without any header is
// bad-from, also with no body either (an empty message over the milter
// protocol); no finding when there is no message at all (the offline check
// command run without --message: Dialogue::no_message).
//
// Identity first: the From domain is what the recipient trusts. A fail under
// p=reject sets the floor `dmarc-reject-action` (default quarantine) on its
// own, whatever else passed; under p=quarantine the floor `quarantine`
// applies together with any other negative finding (verdict.h). A reject
// floor becomes quarantine when SPF or DKIM had a temperror (they might have
// aligned). Points for other identities (an unaligned SPF pass, a clean PTR)
// cannot buy the floor back. An SPF pass from a record that authorises every
// client (pass-broad) does not count for alignment.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../core/names.h"
#include "dmarc_record.h"
#include "legit/check.h"
#include "legit/domain.h"
#include "legit/forwarder.h"
#include "legit/headers.h"

namespace legit {
namespace {

using dmarc::Policy;
using dmarc::Record;

// What policy discovery found (§6.6.3).
struct Discovery {
  std::string state;      // "found", "none", "temperror", "permerror"
  Record record;
  std::string where;      // the domain whose record applies
  std::string why;
};

bool aligned(std::string_view a, std::string_view from, bool strict) {
  std::string na = normalize_name(a);
  if (na.empty()) return false;
  return na == from || (!strict && same_registrable_domain(na, from));
}

// One _dmarc lookup: "" when it found nothing (go on), else the discovery.
std::optional<Discovery> discover_at(const DnsLookup& l, const std::string& domain) {
  DnsAnswer a = l.get();
  if (a.status == DnsStatus::temperror)
    return Discovery{"temperror", {}, domain, "lookup of _dmarc." + domain + " failed: " + a.why};
  std::vector<const std::string*> recs;
  for (const auto& r : a.records)
    if (dmarc::is_dmarc_record(r)) recs.push_back(&r);
  if (recs.empty()) return std::nullopt;
  if (recs.size() > 1) return Discovery{"none", {}, domain, "several DMARC records at _dmarc." + domain};
  auto p = dmarc::parse_record(*recs.front());
  if (!p.record) return Discovery{"permerror", {}, domain, "DMARC record of " + domain + ": " + p.error};
  return Discovery{"found", *p.record, domain, ""};
}

// The published policy, as the A-R comment shows it.
std::string policy_comment(const Record& r) {
  std::string c = std::string("p=") + dmarc::to_string(r.p);
  if (r.sp) c += std::string(" sp=") + dmarc::to_string(*r.sp);
  if (r.pct != 100) c += " pct=" + std::to_string(r.pct);
  if (r.testing) c += " t=y";
  return c;
}

// Which authenticated identifier aligns with the From domain, "" if none.
std::string aligned_with(const Session& s, const std::string& from, const Record& r) {
  for (const auto& k : s.msg.auth.dkim)
    if (k.result == "pass" && aligned(k.domain, from, r.strict_dkim))
      return "DKIM d=" + quote_untrusted(k.domain, 80);
  const auto& a = s.msg.auth;
  if (a.spf_mailfrom == "pass" && !a.spf_mailfrom_broad && aligned(a.spf_mailfrom_domain, from, r.strict_spf))
    return "SPF " + quote_untrusted(a.spf_mailfrom_domain, 80);
  return "";
}

// The owner's policy as a floor for the verdict (see the header comment).
void set_floor(const Session& s, Finding& f, Policy applied) {
  const auto& a = s.msg.auth;
  bool temp = a.spf_mailfrom == "temperror";
  for (const auto& k : a.dkim) temp = temp || k.result == "temperror";
  if (applied == Policy::reject) {
    std::string act = floor_of_action(s.config.str("dmarc-reject-action"));
    f.floor = act == "reject" && temp ? "quarantine" : act;
  } else if (applied == Policy::quarantine) {
    f.floor = floor_of_action(s.config.str("dmarc-quarantine-action"));
    f.floor_with_negative = true;
  }
}

Finding evaluate(const Session& s, const std::string& from, const Discovery& d, bool forwarder) {
  Finding f{"dmarc", "", "", {}};
  ArEntry ar{"dmarc", "", "", {{"header.from", from}}};
  if (d.state != "found") {
    f.result = ar.result = d.state;
    f.detail = d.why;
    if (d.state == "permerror") ar.reason = "invalid DMARC record";
    const auto& a = s.msg.auth;
    bool no_spf = a.spf_mailfrom == "none" || (a.spf_mailfrom_broad && (a.spf_mailfrom == "pass" || a.spf_mailfrom == "neutral"));
    if (d.state == "none" && no_spf && a.dkim.empty()) {
      f.result = "unauthenticated";
      f.detail += "; no SPF record and no DKIM signature either: nothing authenticates this sender";
    }
  } else {
    bool sub = d.where != from;
    Policy applied = dmarc::applied_policy(d.record, sub);
    ar.reason = policy_comment(d.record);
    std::string by = aligned_with(s, from, d.record);
    if (!by.empty()) {
      f.result = ar.result = "pass";
      f.detail = "From domain " + from + " aligned with " + by + " (" + ar.reason + ")";
    } else {
      ar.result = "fail";
      f.result = std::string("fail-") + dmarc::to_string(applied);
      f.detail = "From domain " + from + " aligned with no SPF or DKIM pass; policy of " + d.where + ": " +
                 ar.reason + " (applies: " + dmarc::to_string(applied) + ")";
      if (s.msg.auth.spf_mailfrom_broad) f.detail += "; an SPF pass that authorises everyone does not count";
      if (forwarder) {
        f.detail += "; the client is a listed forwarder: judged by its own DKIM instead";
        f.result = "forwarded";
      } else {
        set_floor(s, f, applied);
      }
    }
  }
  f.ar.push_back(std::move(ar));
  return f;
}

// How strict a failing result is (§6.6.1 picks the most strict); 0 = not a fail.
int strictness(const std::string& result) {
  return result == "fail-reject" ? 3 : result == "fail-quarantine" ? 2 : result == "fail-none" ? 1 : 0;
}

class Dmarc : public Check {
 public:
  void on_mail(Session&) override {
    authors_.clear();
    from_fields_ = 0;
  }

  void on_header(Session& s, std::string_view name, std::string_view value) override {
    // every From's author domains start their lookups, the first kMaxAuthors
    // a flood of From fields: the first kMaxFields are read, nothing is kept of the rest
    if (!iequals(name, "From") || ++from_fields_ > kMaxFields || authors_.size() >= kMaxAuthors) return;
    for (auto& d : dmarc::author_domains(value)) {
      if (authors_.size() >= kMaxAuthors) return;
      bool seen = false;
      for (const auto& a : authors_) seen = seen || a.domain == d;
      if (!seen) authors_.push_back(author(s, d));
    }
  }

  std::vector<Finding> finish(Session& s) override {
    if (s.msg.absent) return {};  // no message at all (check without --message)
    auto fd = dmarc::from_domain(s.msg.first_from, s.msg.from_count);
    if (!fd.domain.empty()) {  // the usual case: one From, one address
      if (authors_.empty() || authors_.front().domain != fd.domain) authors_.insert(authors_.begin(), author(s, fd.domain));
      return {evaluate(s, fd.domain, discover(authors_.front()), is_forwarder(s))};
    }
    std::string why = s.msg.headers.empty() ? "the message has no header section at all" : fd.error;
    if (!authors_.empty()) {  // §6.6.1: the most strict policy among the checks that fail
      std::optional<Finding> worst;
      const bool forwarder = is_forwarder(s);
      for (const auto& a : authors_) {
        Finding f = evaluate(s, a.domain, discover(a), forwarder);
        if (strictness(f.result) > (worst ? strictness(worst->result) : 0)) worst = std::move(f);
      }
      if (worst) {
        std::size_t n = authors_.size();
        worst->detail = why + " (" + std::to_string(n) + (n == 1 ? " author domain" : " author domains") +
                        ", the most strict failing policy applies, RFC 7489 6.6.1): " + worst->detail;
        return {*worst};
      }
    }
    return {{"dmarc", "bad-from", why, {{"dmarc", "permerror", why, {}}}}};
  }

 private:
  static constexpr std::size_t kMaxAuthors = 4;  // author domains looked up per message
  static constexpr std::size_t kMaxFields = 8;   // From fields read per message

  struct Author {
    std::string domain, org;  // the From domain, its organizational domain
    DnsLookup lookup, org_lookup;
  };

  // Starts the lookups of _dmarc.<domain> and of its organizational domain.
  static Author author(Session& s, const std::string& d) {
    Author a{d, registrable_domain(d), s.resolver.lookup("_dmarc." + d, DnsType::TXT), {}};
    if (!a.org.empty() && a.org != d) a.org_lookup = s.resolver.lookup("_dmarc." + a.org, DnsType::TXT);
    return a;
  }

  static Discovery discover(const Author& a) {
    if (auto d = discover_at(a.lookup, a.domain)) return *d;
    if (a.org_lookup.valid())
      if (auto d = discover_at(a.org_lookup, a.org)) return *d;
    std::string where = "_dmarc." + a.domain + (a.org_lookup.valid() ? " or _dmarc." + a.org : "");
    return {"none", {}, a.domain, "no DMARC record at " + where};
  }

  std::vector<Author> authors_;
  std::size_t from_fields_ = 0;
};

std::string forwarder_or_why(const std::string& v) {
  if (v.find('/') != std::string::npos || IpAddress::parse(v))
    return Network::parse(v) ? "" : "is not an IP address or network";
  std::string d = v.front() == '.' ? v.substr(1) : v;
  return is_hostname(d) && d.find('.') != std::string::npos ? "" : "is not a network or a domain name";
}

}  // namespace

CheckInfo dmarc_check_info() {
  return {
      "dmarc",
      "DMARC (RFC 7489): From domain aligned with an SPF or DKIM pass; the owner's policy otherwise",
      {
          {"pass", 2.0, "the visible From domain is authenticated: the strongest evidence of a real "
                        "sender (rspamd DMARC_POLICY_ALLOW -0.5 on a spam scale)"},
          {"fail-reject", -6.0, "the From domain's owner asks receivers to reject unauthenticated mail; "
                                "besides these points it sets the floor dmarc-reject-action (quarantine: "
                                "forwarders and lists break DMARC, RFC 7960; rspamd DMARC_POLICY_REJECT 2.0). "
                                "Was -4: as sure a forgery as helo.claims-us; corpus: 9 bad, no legit "
                                "(forwarders configured), fit_points.py -4.5 to -6.5"},
          {"fail-quarantine", -2.5, "the owner asks for quarantine; with any other negative finding at least "
                                    "quarantine (rspamd DMARC_POLICY_QUARANTINE 1.5)"},
          {"fail-none", -0.5, "unaligned, owner only monitoring (p=none): weak evidence "
                              "(rspamd DMARC_POLICY_SOFTFAIL 0.1)"},
          {"forwarded", 0.0, "unaligned, but the client is a listed forwarder/list (forwarders): its "
                             "own DKIM and HELO judge it, not the original domain's policy"},
          {"none", 0.0, "no DMARC record: no statement either way"},
          {"unauthenticated", -3.0, "no SPF record (or one that authorises everyone), no DKIM signature, "
                                    "no DMARC record: Gmail and Yahoo refuse such mail since 2024. Was "
                                    "-1.5: corpus 14 bad, 4 honest legit (old servers with a proper PTR, "
                                    "HELO and MX still pass at -0.5 to -3.5)"},
          {"temperror", 0.0, "policy lookup failed: never evidence against the sender"},
          {"permerror", 0.0, "the domain publishes an invalid record: its owner's mistake"},
          {"bad-from", -2.0, "no, several or unparsable From fields: breaks RFC 5322 and is a known "
                             "DMARC evasion (rspamd MULTIPLE_FROM 8, MISSING_FROM 2; SpamAssassin MISSING_FROM 1). "
                             "Several author domains (a From with several mailboxes, several From fields) are "
                             "each checked and the most strict failing policy applies instead (RFC 7489 6.6.1): "
                             "a brand's address next to the sender's own is no way around its policy"},
      },
      {
          {"dmarc-reject-action", OptKind::choice, "quarantine",
           "least action for a DMARC fail under p=reject, whatever the score (none = points only)",
           {"quarantine", "reject", "none"}},
          {"dmarc-quarantine-action", OptKind::choice, "quarantine",
           "least action for a DMARC fail under p=quarantine with any other negative finding",
           {"quarantine", "none"}},
          {"forwarders", OptKind::list, "",
           "forwarders/lists judged by their own DKIM, not SPF/DMARC of the original domain: "
           "networks, or domains of their confirmed PTR names", {}, forwarder_or_why},
      },
      [](const Config&) { return std::make_unique<Dmarc>(); },
  };
}

}  // namespace legit
