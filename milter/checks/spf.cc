// spf.cc — SPF for the MAIL FROM identity (RFC 7208 §2.4), check `spf`.
//
// The evaluation starts at MAIL FROM on a worker (spf_eval.h) and is
// collected at end-of-data. Results: pass, fail, softfail, neutral, none,
// temperror, permerror (RFC 8601 words), pass-broad / neutral-broad (the
// record authorises everyone, or is only "?all": spf_eval.h), forwarded
// (fail or softfail from a client listed in `forwarders`), with
// libspf2's comment in the detail; A-R "spf=<result> smtp.mailfrom=<domain>". Published for DMARC in
// Message::auth.spf_mailfrom(_domain).
//
// Null sender <>: RFC 7208 §2.4 defines the MAIL FROM identity as
// postmaster@<HELO>, so its check_host() is exactly the HELO check (same
// <domain>, same <sender>). Evaluating it twice would double the lookups and
// the points, so `spf` reports `none` ("null sender: see spf-helo", 0 points,
// no A-R entry) and spf-helo publishes its result as the MAIL FROM result
// too. A sender domain that is not a valid multi-label domain is `none`
// (RFC 7208 §4.3) without any lookup. No finding without a client IP.
#include <chrono>

#include "legit/check.h"
#include "legit/forwarder.h"
#include "legit/headers.h"
#include "../core/names.h"
#include "spf_eval.h"

namespace legit {
namespace {

bool has_control(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

class Spf : public Check {
 public:
  explicit Spf(const Config& cfg)
      : budget_(static_cast<long>(cfg.num("spf-timeout") * 1000)) {}

  void on_mail(Session& s) override {
    job_ = spf::SpfJob{};
    problem_.clear();
    const std::string& from = s.msg.mail_from;
    auto at = from.rfind('@');
    domain_ = dns_domain(at == std::string::npos ? from : from.substr(at + 1));
    if (from.empty() || !s.conn.ip) return;
    if (has_control(from)) problem_ = "MAIL FROM contains control characters";
    else if (!spf::valid_spf_domain(domain_)) problem_ = "MAIL FROM domain is not a valid domain name";
    if (!problem_.empty()) return;
    // An SMTPUTF8 domain is evaluated by its A-labels (RFC 8616 §3), as libspf2 sees the sender too.
    bool converted = at != std::string::npos && domain_ != normalize_name(from.substr(at + 1));
    spf::SpfQuery q{s.conn.ip->to_string(), s.conn.helo, converted ? from.substr(0, at + 1) + domain_ : from,
                    domain_, s.config.hostname};
    job_ = spf::SpfJob::start(s.resolver, std::move(q), budget_);
  }

  std::vector<Finding> finish(Session& s) override {
    if (!s.conn.ip) return {};
    if (s.msg.mail_from.empty())
      return {{"spf", "none",
               "null sender: the MAIL FROM identity is postmaster@" + quote_untrusted(s.conn.helo, 100) +
                   " (RFC 7208 §2.4), scored by spf-helo",
               {}}};
    spf::SpfOutcome o = problem_.empty()
                            ? job_.wait()
                            : spf::SpfOutcome{"none", problem_ + " (RFC 7208 §4.3)"};
    s.msg.auth.spf_mailfrom = o.result;
    s.msg.auth.spf_mailfrom_broad = o.broad;
    s.msg.auth.spf_mailfrom_domain = problem_.empty() ? domain_ : "";
    if (!problem_.empty())
      return {{"spf", "none", "MAIL FROM " + quote_untrusted(s.msg.mail_from, 100) + ": " + o.detail, {}}};
    Finding f = spf::make_finding("spf", "smtp.mailfrom", domain_, o);
    if ((o.result == "fail" || o.result == "softfail") && is_forwarder(s)) {
      f.result = "forwarded";  // A-R keeps the RFC word
      f.detail += "; the client is a listed forwarder: not judged by the original domain's SPF";
    }
    return {f};
  }

 private:
  std::chrono::milliseconds budget_;
  spf::SpfJob job_;
  std::string domain_;
  std::string problem_;
};

std::string check_budget(const std::string& v) {
  double d = std::strtod(v.c_str(), nullptr);
  return d >= 1 && d <= 120 ? "" : "is out of range (1 to 120 seconds)";
}

}  // namespace

CheckInfo spf_check_info() {
  return {
      "spf",
      "SPF (RFC 7208) of the MAIL FROM domain, evaluated with libspf2 from MAIL FROM on",
      {
          {"pass", 1.0, "the domain authorises this IP; only the envelope domain's word, and spammers' "
                        "own domains pass too (rspamd R_SPF_ALLOW -0.2 spam-wise, SpamAssassin SPF_PASS "
                        "-0.001). Was 2: the corpus (tests/corpus) had 6 bad senders passing, and an aligned "
                        "pass is counted again by dmarc.pass; fit_points.py proposed 0.5-1"},
          {"pass-broad", -3.0, "a pass from a record that authorises every client (+all, >= /8 IPv4, "
                               ">= /16 IPv6): no evidence, and nobody legitimate needs it (spammers do). "
                               "Was -1: worth as much as spf.fail, the owner made forged mail pass on "
                               "purpose; corpus: 2 spammers, 2 careless legit senders still accepted "
                               "(fit_points.py: -2 to -3.5)"},
          {"neutral-broad", -0.5, "the record is nothing but ?all: like neutral, SPF published to say nothing"},
          {"fail", -3.0, "the domain says this IP must not send for it: forgery or a broken relay "
                         "path (rspamd R_SPF_FAIL 1, SpamAssassin SPF_FAIL 0.9)"},
          {"softfail", -1.0, "the domain says this IP is probably not allowed (~all) "
                             "(SpamAssassin SPF_SOFTFAIL 0.97, rspamd R_SPF_SOFTFAIL 0)"},
          {"neutral", -0.5, "the domain makes no statement about this IP (?all) "
                            "(SpamAssassin SPF_NEUTRAL 0.65)"},
          {"forwarded", 0.0, "fail/softfail from a listed forwarder (forwarders): forwarding breaks "
                             "SPF of the original domain by design (RFC 7208 appendix D)"},
          {"none", 0.0, "no SPF record, or a null sender (see spf-helo): no evidence either way "
                        "(SpamAssassin SPF_NONE 0.001, rspamd R_SPF_NA 0)"},
          {"temperror", 0.0, "DNS failed during the evaluation: never evidence"},
          {"permerror", -1.0, "the domain publishes a broken record (syntax, too many lookups): "
                              "careless or hostile (rspamd R_SPF_PERMFAIL 0)"},
      },
      {
          {"spf-timeout", OptKind::number, "20",
           "Seconds one SPF evaluation (MAIL FROM or HELO, all its lookups) may take before it "
           "is a temperror; RFC 7208 §4.6.4 asks for at least 20.", {}, check_budget},
      },
      [](const Config& cfg) { return std::make_unique<Spf>(cfg); },
  };
}

}  // namespace legit
