// lookalike.cc — is the sender's domain a look-alike of a protected one?
// Check `lookalike`.
//
// A fully authenticated look-alike domain (paypa1-secure.example with its own
// SPF, DKIM and DMARC) passes every test of the sender's legitimacy; what
// gives it away is the name itself. The From domain (what the reader sees)
// and the MAIL FROM domain are compared, by registrable domain (libpsl), with
// the protected names of the message (lookalike_names.h): the brands of
// `lookalike-protect` (a short list of the most impersonated) and our own
// domains (our host names, `our-domains`, the recipient domains).
// Results (the strongest of the two domains; the detail names which):
//   confusable   a label or hyphen token that looks like a protected label
//                but is not: 1/l, 0/o, rn/m, vv/w, Cyrillic/Greek homoglyphs
//                and accented letters in punycode (paypa1, xn--pypal-4ve,
//                rnicrosoft-login). By a digit or a non-ASCII letter it sets
//                the floor `lookalike-action` (quarantine): nobody registers
//                paypa1 or c0rp honestly. By rn/vv alone (honest words have
//                them: modern/modem) only for a brand and together with any
//                other negative finding (verdict.h).
//   brand-token  the protected label as a hyphen token or glued to a word
//                phishing domains use (paypal-secure, account-microsoft,
//                paypalverify), or a protected domain spelled out in the
//                subdomain (paypal.com.secure-login.example); apple-orchard-farm
//                or cafe-amazonas is not
//   typo         one of our own domains with a letter doubled or two
//                neighbouring letters swapped (corrp, copr for corp; 4+
//                characters): the typing slips a BEC look-alike of the
//                recipient's domain is made of; sets the `lookalike-action`
//                floor. Other one-letter neighbours of ours (corps, carp) are
//                left alone: small firms' names sit that close honestly
//   near         one edit from a brand label of 6+ letters (paypai, micosoft);
//                PayPay (paypay.ne.jp) is one edit from PayPal honestly: weak
//   accented     a confusable of a brand made only by the accented letters of
//                a European alphabet (äpple.se: Swedish for apple), by a
//                domain whose own SPF or DKIM passes (its registrable domain):
//                a real, consistent domain of its language more likely than
//                a deception; weak, no floor. A display name claiming the
//                brand over it is still floored by display-name; our own
//                domains are not relaxed (a BEC look-alike authenticates too)
// No finding when nothing resembles a protected name, when the domain is a
// protected one (or shares its registrable domain), or when its label is a
// protected label under another suffix (paypal.de, amazon.co.uk). No DNS;
// bad input (bad punycode, non-UTF-8 text) never throws, it matches nothing.
#include <memory>
#include <string>

#include "../core/names.h"
#include "dmarc_record.h"
#include "legit/check.h"
#include "legit/domain.h"
#include "legit/headers.h"
#include "lookalike_names.h"

namespace legit {
namespace {

using lookalike::Kind;

const char* word(Kind k) {
  switch (k) {
    case Kind::confusable: return "confusable";
    case Kind::brand_token: return "brand-token";
    case Kind::typo: return "typo";
    case Kind::near: return "near";
    case Kind::none: break;
  }
  return "";
}

// "SPF" / "DKIM" when an SPF pass (not one that authorises everyone) or a
// DKIM pass is for `domain`'s registrable domain itself; "" otherwise.
std::string own_pass(const AuthFacts& a, const std::string& domain) {
  std::string reg = registrable_domain(domain);
  if (reg.empty()) return "";
  if (a.spf_mailfrom == "pass" && !a.spf_mailfrom_broad && registrable_domain(a.spf_mailfrom_domain) == reg)
    return "SPF";
  for (const auto& k : a.dkim)
    if (k.result == "pass" && registrable_domain(k.domain) == reg) return "DKIM";
  return "";
}

class Lookalike : public Check {
 public:
  std::vector<Finding> finish(Session& s) override {
    auto kept = lookalike::protected_names(s);
    const auto& names = *kept;
    std::string from = dmarc::from_domain(s.msg.first_from, s.msg.from_count).domain;
    std::string envelope = s.mail_from_domain();
    auto by_from = lookalike::resembles(from, names);
    auto by_env = lookalike::resembles(envelope, names);
    bool use_from = by_from.kind >= by_env.kind;
    const auto& r = use_from ? by_from : by_env;
    if (r.kind == Kind::none) return {};
    const std::string& d = use_from ? from : envelope;
    std::string pass = r.kind == Kind::confusable && r.accents && !r.whom->ours ? own_pass(s.msg.auth, d) : "";
    Finding f{"lookalike", pass.empty() ? word(r.kind) : "accented",
              std::string(use_from ? "From" : "MAIL FROM") + " domain " + quote_untrusted(d, 80) + " imitates " +
                  (r.whom->ours ? "our domain " : "the protected ") + r.whom->domain + " (" +
                  quote_untrusted(r.how, 120) + ")",
              {}};
    if (!pass.empty())
      f.detail += ", by the accented letters of its own alphabet, and its own " + pass + " passes";
    else if (r.kind == Kind::typo || (r.kind == Kind::confusable && (r.glyphs || !r.whom->ours))) {
      f.floor = floor_of_action(s.config.str("lookalike-action"));
      f.floor_with_negative = r.kind == Kind::confusable && !r.glyphs;
    }
    return {f};
  }

};

std::string domain_or_why(const std::string& v) {
  return lookalike::registrable_label(v).empty() ? "has no registrable domain (public suffix list)" : "";
}

}  // namespace

CheckInfo lookalike_check_info() {
  return {
      "lookalike",
      "the From or MAIL FROM domain imitates a protected brand or one of our own domains",
      {
          {"confusable", -5.0, "a label that looks like a protected one but is not (paypa1, Cyrillic "
                               "homoglyphs in punycode): registered to deceive, and every other test of "
                               "such a domain passes; by digits or homoglyphs at least quarantine "
                               "(lookalike-action). rspamd OMOGRAPH_URL / PHISHING are content-side. Prior -4; "
                               "corpus 4 bad, 0 legit, fit_points.py -5"},
          {"accented", -1.0, "a brand's label spelled with the accented letters of a European alphabet "
                             "(Swedish xn--pple-koa.se: apple with an umlaut) by a domain whose own SPF or "
                             "DKIM passes: a real word of its language more likely than a deception; weak "
                             "like near, no floor (a brand display name over it is still floored by "
                             "display-name). Was confusable -5 and floor"},
          {"typo", -5.0, "one of our own domains with a letter doubled or two neighbours swapped (corrp, "
                         "copr): the typing slips of a look-alike registered for BEC against us (dnstwist's "
                         "repetition and transposition; Microsoft Defender's Standard and Strict presets "
                         "quarantine look-alikes of a tenant's own domains); as confusable, and at least "
                         "quarantine (lookalike-action). A partner whose name really is ours so changed: "
                         "list it in allowlist-senders"},
          {"brand-token", -2.5, "a protected name next to a phishing word (paypal-secure, account-microsoft): "
                                "brands do not mail from such domains, but an honest shop may carry a brand "
                                "word, so not alone enough to quarantine"},
          {"near", -1.0, "one letter from a brand name of 6+ letters: typo-squatting, but honest "
                         "neighbours exist (PayPay/PayPal): weak"},
      },
      {
          {"lookalike-protect", OptKind::list,
           "paypal.com microsoft.com office365.com microsoftonline.com sharepointonline.com onedrive.com "
           "apple.com amazon.com google.com "
           "netflix.com facebook.com instagram.com linkedin.com docusign.com dropbox.com adobe.com dhl.com "
           "dpdhl.com fedex.com wellsfargo.com bankofamerica.com hellosign.com",
           "brands whose look-alikes the lookalike and display-name checks look for (the most impersonated "
           "in phishing reports 2023-2025; hellosign.com: Dropbox Sign mails from it, and display-name "
           "takes any protected domain as a brand's own); our own domains are always protected. Add your "
           "bank, your suppliers, your parent company", {}, domain_or_why},
          {"lookalike-action", OptKind::choice, "quarantine",
           "least action for a look-alike that deceives for sure: a confusable by digits or homoglyphs "
           "(paypa1, c0rp), a typo of our own domain (corrp), or a display name and a From domain that "
           "both imitate one brand",
           {"quarantine", "none"}},
      },
      [](const Config&) { return std::make_unique<Lookalike>(); },
  };
}

}  // namespace legit
