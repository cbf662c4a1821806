// spf_helo.cc — SPF for the HELO identity (RFC 7208 §2.3), check `spf-helo`.
//
// Evaluated when the HELO is a valid multi-label domain (not an address
// literal, not an IP, not malformed); otherwise `none` with the reason and no
// A-R entry. <sender> is postmaster@<HELO>. The HELO identity belongs to the
// connection: the evaluation starts at the first MAIL FROM after a HELO and
// is reused by later messages while HELO and client stay the same. Results
// in RFC 8601 words; A-R "spf=<result> smtp.helo=<helo>"; published in
// Message::auth.spf_helo(_domain), and for a null sender also as the MAIL
// FROM result (RFC 7208 §2.4: the MAIL FROM identity of <> is postmaster@HELO).
// No finding without a client IP.
#include <chrono>

#include "legit/check.h"
#include "legit/headers.h"
#include "../core/names.h"
#include "spf_eval.h"

namespace legit {
namespace {

class SpfHelo : public Check {
 public:
  explicit SpfHelo(const Config& cfg)
      : budget_(static_cast<long>(cfg.num("spf-timeout") * 1000)) {}

  void on_mail(Session& s) override {
    if (!s.conn.ip) return;
    std::string helo = normalize_name(s.conn.helo);
    if (job_.started() && helo == helo_ && s.conn.helo == raw_helo_) return;  // same identity
    job_ = spf::SpfJob{};
    helo_ = helo;
    raw_helo_ = s.conn.helo;
    valid_ = spf::valid_helo_domain(helo_);
    if (!valid_) return;
    spf::SpfQuery q{s.conn.ip->to_string(), s.conn.helo, "postmaster@" + helo_, helo_,
                    s.config.hostname};
    job_ = spf::SpfJob::start(s.resolver, std::move(q), budget_);
  }

  std::vector<Finding> finish(Session& s) override {
    if (!s.conn.ip) return {};
    if (!job_.started() && !valid_) {
      s.msg.auth.spf_helo = "none";
      return {{"spf-helo", "none",
               "HELO " + quote_untrusted(s.conn.helo, 100) +
                   " is not a domain name (address literal or malformed): no SPF check (RFC 7208 §2.3)",
               {}}};
    }
    spf::SpfOutcome o = job_.wait();
    s.msg.auth.spf_helo = o.result;
    s.msg.auth.spf_helo_domain = helo_;
    if (s.msg.mail_from.empty()) {
      s.msg.auth.spf_mailfrom = o.result;
      s.msg.auth.spf_mailfrom_broad = o.broad;
      s.msg.auth.spf_mailfrom_domain = helo_;
    }
    return {spf::make_finding("spf-helo", "smtp.helo", helo_, o)};
  }

 private:
  std::chrono::milliseconds budget_;
  spf::SpfJob job_;
  std::string helo_, raw_helo_;
  bool valid_ = false;
};

}  // namespace

CheckInfo spf_helo_check_info() {
  return {
      "spf-helo",
      "SPF (RFC 7208) of the HELO name, evaluated with libspf2",
      {
          {"pass", 0.5, "the HELO name authorises this IP: a configured mail server, weaker than "
                        "MAIL FROM (SpamAssassin SPF_HELO_PASS -0.001)"},
          {"pass-broad", -0.5, "the HELO name's record authorises every client (+all, huge ranges): "
                               "no evidence, a spammer's habit"},
          {"neutral-broad", 0.0, "the HELO name's record is nothing but ?all"},
          {"fail", -1.5, "the HELO name's own record rejects this IP: a forged HELO "
                         "(SpamAssassin SPF_HELO_FAIL, rspamd has none)"},
          {"softfail", -0.5, "the HELO name probably does not send from here "
                             "(SpamAssassin SPF_HELO_SOFTFAIL 0.73-0.9)"},
          {"neutral", 0.0, "no statement (SpamAssassin SPF_HELO_NEUTRAL 0.001-0.1)"},
          {"none", 0.0, "no record for the HELO name, or a HELO that is no domain (the helo "
                        "check scores that) (SpamAssassin SPF_HELO_NONE 0.001)"},
          {"temperror", 0.0, "DNS failed during the evaluation: never evidence"},
          {"permerror", -0.5, "the HELO name publishes a broken record"},
      },
      {},
      [](const Config& cfg) { return std::make_unique<SpfHelo>(cfg); },
  };
}

}  // namespace legit
