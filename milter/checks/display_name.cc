// display_name.cc — does the From display name claim someone the From
// address is not? Check `display-name`.
//
// Readers see the display name, not the address. The first From field's
// display name ("..." <addr>, or the comment of addr (Name)) is decoded
// (RFC 2047 B and Q words in UTF-8 or any charset iconv knows), read as it is seen
// (invisible code points such as zero-width spaces dropped, symbols and
// emoji as spaces; a capital I or | also tried as l, spaced-out letters
// also tried joined: display_text.h) and
// compared with the From address's registrable domain (libpsl). Results:
//   address-mismatch  the display name holds an address whose registrable
//                     domain differs from the From address's
//                     ("service@paypal.com" <x@mailer.example>: rspamd
//                     SPOOF_DISPLAY_NAME). Not when it says " via " (Mailman
//                     and Google Groups rewrite From to "alice@x via List").
//                     An address at a protected domain (a brand's, ours)
//                     over a freemail-domains address: the floor
//                     lookalike-action
//   names-brand       the display name is a protected brand of
//                     `lookalike-protect` (skeleton: PayPa1, Cyrillic letters
//                     fold), alone or with notice words only ("PayPal",
//                     "Microsoft account team", "Microsoft 365", "Apple
//                     Support"), while the From domain is not the brand's: its
//                     label does not start with the brand's label (paypal.de,
//                     microsoftonline.com are the brand's), it is not under
//                     the brand's own top-level domain (teams.mail.microsoft:
//                     dotBrand registries are closed) and it is not
//                     another protected domain (a brand's mail domain that
//                     carries another name, hellosign.com for Dropbox Sign,
//                     is listed in lookalike-protect). "Apple Orchard Farm",
//                     "Acme via Mailchimp", "PayPal Giving Fund" are not
//                     When the From domain is besides a look-alike of that
//                     same brand (lookalike check: paypa1-secure.example,
//                     microsoft-account-verify.example) both the name and
//                     the domain imitate it: the floor `lookalike-action`
//                     (quarantine) is set; so it is when the From address is
//                     at a domain where anyone opens a mailbox
//                     (`freemail-domains`: "PayPal Service" at hotmail.com,
//                     "Microsoft 365 Security" at a trial onmicrosoft.com
//                     tenant), and when the name is found only once a
//                     disguise is undone ("PayPaI", "P a y P a l": nobody
//                     writes their own name so)
//   names-us          the same for one of our own domains ("Corp IT Helpdesk"
//                     from a free-mail address): weaker, an honest helpdesk
//                     SaaS sends as "Corp Support" from its own domain; from
//                     a freemail-domains address the same floor
// No finding otherwise, for the null sender (bounces and receipts name the
// software that wrote them: "Microsoft Outlook <postmaster@tenant...>"), or
// without a From field with one valid domain (the dmarc check reports those). Bad input never throws: undecodable words
// are kept as they are and match nothing.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "../core/names.h"
#include "dmarc_record.h"
#include "display_text.h"
#include "free_mail.h"
#include "legit/check.h"
#include "legit/domain.h"
#include "legit/headers.h"
#include "lookalike_names.h"

namespace legit {
namespace {

using lookalike::Protected;
using display_text::as_seen;
using display_text::decode_display;
using display_text::ell_for_capital_i;
using display_text::joined_letters;
using display_text::raw_display;

// Words a phisher puts next to a brand in a display name (and honest
// brands too, from their own domains). Anything else makes it a name that
// merely contains a brand word. Not "outlook" or "exchange": every Exchange
// and Outlook installation signs its own system messages "Microsoft Outlook"
// from its own domain (NDRs, test messages).
constexpr std::string_view kNoticeWords[] = {
    "account", "accounts", "team", "support", "service", "services", "security", "secure", "customer",
    "care", "center", "centre", "help", "helpdesk", "desk", "billing", "online", "notification",
    "notifications", "notice", "alert", "alerts", "update", "info", "information", "no", "reply", "noreply",
    "do", "not", "donotreply", "mail", "email", "admin", "administrator", "it", "id", "sign", "in", "signin",
    "login", "verification", "verify", "official", "inc", "llc", "ltd", "corp", "corporation", "com", "net",
    "org", "de", "uk", "co", "the", "your", "my", "365", "office", "teams", "onedrive", "sharepoint",
    "azure", "windows", "store", "pay", "express", "paket", "delivery", "shipping", "prime",
    "kundenservice", "kundendienst", "sicherheit", "konto", "sendung", "client", "compte", "cuenta", "servicio",
    "webmail", "message", "center", "department", "dept", "bank", "banking",
};

bool notice_word(const std::string& w) {
  if (!w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; })) return true;
  return std::find(std::begin(kNoticeWords), std::end(kNoticeWords), w) != std::end(kNoticeWords);
}

// Addresses in the display name ("local@domain"): their domains.
std::vector<std::string> address_domains(const std::u32string& text) {
  std::vector<std::string> out;
  auto dom_char = [](char32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  };
  for (std::size_t i = 0; i < text.size() && out.size() < 4; ++i) {
    if (text[i] != '@' || i == 0 || text[i - 1] == ' ') continue;
    std::string d;
    for (std::size_t k = i + 1; k < text.size() && dom_char(text[k]); ++k) d += static_cast<char>(text[k]);
    while (!d.empty() && d.back() == '.') d.pop_back();
    if (d.find('.') != std::string::npos) out.push_back(normalize_name(d));
  }
  return out;
}

std::vector<std::string> words(const std::string& skel) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : skel) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '~') {
      cur += c;
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// The protected name the display name is, with notice words only; nullptr if none.
const Protected* named(const std::vector<std::string>& w, const std::vector<Protected>& names) {
  if (w.empty() || w.size() > 8) return nullptr;
  for (const auto& p : names) {
    std::string skel;  // "acme-bank" is said "Acme Bank"
    for (char c : p.skel)
      if (c != '-') skel += c;
    if (skel.size() < 3 || notice_word(skel)) continue;  // our support.example: "Customer Support" is no claim
    for (std::size_t i = 0; i < w.size(); ++i) {
      std::string run;
      for (std::size_t k = i; k < w.size() && k < i + 3; ++k) {
        run += w[k];
        if (run != skel) continue;
        bool rest_notice = true;
        for (std::size_t m = 0; m < w.size(); ++m)
          if (m < i || m > k) rest_notice = rest_notice && notice_word(w[m]);
        if (rest_notice) return &p;
      }
    }
  }
  return nullptr;
}

// Is the From domain the named one's own? Not when it imitates it.
bool owns(const std::string& from_reg, const Protected& p, const std::vector<Protected>& names) {
  if (from_reg.rfind(p.label, 0) == 0)  // paypal.de, microsoftonline.com; not paypal-secure.com
    return lookalike::resembles(from_reg, names).whom != &p;
  // The brand's own top-level domain (teams.mail.microsoft, about.google):
  // a closed dotBrand registry (ICANN Specification 13), only the brand
  // registers there. Listed TLDs only: no name under an unlisted one resolves.
  auto dot = from_reg.rfind('.');
  if (dot != std::string::npos && from_reg.compare(dot + 1, std::string::npos, p.label) == 0 && icann_tld(p.label))
    return true;
  for (const auto& q : names)
    if (q.ours == p.ours && q.domain == from_reg) return true;  // another protected domain of its kind
  return false;
}

class DisplayName : public Check {
 public:
  std::vector<Finding> finish(Session& s) override {
    if (s.msg.mail_from.empty()) return {};  // bounces and receipts: the software's name, the site's domain
    std::string_view first_from = std::string_view(s.msg.first_from).substr(0, 2048);
    std::string from = dmarc::from_domain(first_from, s.msg.from_count).domain;
    std::string from_reg = registrable_domain(from);
    if (from_reg.empty()) return {};
    std::u32string display = as_seen(decode_display(raw_display(first_from)));
    if (display.empty()) return {};
    std::string shown = quote_untrusted(lookalike::skeleton(display), 80);
    auto kept = lookalike::protected_names(s);
    const auto& names = *kept;
    const Protected* p = named(words(lookalike::skeleton(display)), names);
    bool disguised = false;  // named only once a disguise is undone: I for l, spaced-out letters
    if (!p) {
      // Most names hold no disguise: a reading equal to one already tried is
      // not searched again (named() walks every protected name).
      std::u32string joined = joined_letters(display);
      std::vector<std::u32string> tried{display};
      for (auto& seen : {ell_for_capital_i(display), joined, ell_for_capital_i(joined)}) {
        if (std::find(tried.begin(), tried.end(), seen) != tried.end()) continue;
        if ((p = named(words(lookalike::skeleton(seen)), names))) {
          disguised = true;
          break;
        }
        tried.push_back(seen);
      }
    }
    if (p && !owns(from_reg, *p, names)) {
      Finding f = found(p->ours ? "names-us" : "names-brand",
                        "display name \"" + shown + "\" names " + (p->ours ? "our domain " : "the brand ") +
                            p->domain + ", the address is at " + quote_untrusted(from_reg, 80));
      bool freemail = free_mail(s.config, from);
      if (freemail || disguised || lookalike::resembles(from, names).whom == p)
        f.floor = floor_of_action(s.config.str("lookalike-action"));
      if (f.floor.empty()) return {f};
      f.detail += freemail ? ", a mailbox anyone can open (freemail-domains): no brand and no organisation of ours "
                             "writes from there under its own name"
                  : disguised ? ", disguised (I for l, letters spaced out): nobody writes their own name so"
                              : ", a look-alike of it: both the name and the domain imitate it";
      return {f};
    }
    std::string lowered = lower(lookalike::skeleton(display));
    bool via = lowered.find(" via ") != std::string::npos;
    for (const auto& d : via ? std::vector<std::string>{} : address_domains(display)) {
      std::string reg = registrable_domain(d);
      if (reg.empty() || reg == from_reg) continue;
      Finding f = found("address-mismatch", "display name \"" + shown + "\" holds an address at " +
                                                quote_untrusted(reg, 80) + ", the address is at " +
                                                quote_untrusted(from_reg, 80));
      bool named_domain = std::any_of(names.begin(), names.end(), [&](const Protected& q) { return q.domain == reg; });
      if (named_domain && free_mail(s.config, from)) {  // "security@paypal.com" <x@hotmail.com>
        f.floor = floor_of_action(s.config.str("lookalike-action"));
        f.detail += ", a protected domain shown over a mailbox anyone can open (freemail-domains)";
      }
      return {f};
    }
    return {};
  }

 private:
  static Finding found(std::string result, std::string detail) {
    return {"display-name", std::move(result), std::move(detail), {}};
  }
};

}  // namespace

CheckInfo display_name_check_info() {
  return {
      "display-name",
      "the From display name claims a brand, our organisation or another address than the From address",
      {
          {"address-mismatch", -2.0, "an address in the display name at another domain than the From "
                                     "address: the reader sees the first (rspamd SPOOF_DISPLAY_NAME); "
                                     "honest after a rename or from odd clients, so not alone enough"},
          {"names-brand", -3.0, "the display name is a protected brand but the address is not the brand's: "
                                "brands mail from their own domains (PayPal's ESP mail is From paypal.com); "
                                "a phish shows \"PayPal\" over any address. Over a look-alike domain of "
                                "the same brand at least quarantine (lookalike-action). Prior -2; corpus 7 bad, "
                                "0 legit (real PayPal/Microsoft mail, a cafe and a repair shop with brand words, "
                                "\"X via Mailchimp\"), fit_points.py -3.5: -3, as honest resellers' alerts are "
                                "not in the corpus"},
          {"names-us", -1.5, "the display name is our own organisation from a domain not ours (CEO/IT "
                             "fraud from free mail); a helpdesk SaaS sending as our name is honest: weaker. "
                             "From a freemail-domains address (either result) at least quarantine "
                             "(lookalike-action)"},
      },
      {
          {"freemail-domains", OptKind::list,
           "gmail.com googlemail.com outlook.com hotmail.com live.com msn.com yahoo.com ymail.com aol.com "
           "icloud.com me.com mac.com gmx.com gmx.net gmx.de web.de mail.com proton.me protonmail.com "
           "zoho.com yandex.com yandex.ru mail.ru qq.com 163.com onmicrosoft.com",
           "domains where anyone opens a mailbox (free mail; onmicrosoft.com: any trial Microsoft 365 "
           "tenant). A brand's name or ours as the display name of such an address is at least a "
           "quarantine (lookalike-action): brands and our own organisation do not write from there",
           {}, [](const std::string& v) {
             return registrable_domain(v).empty() ? std::string("has no registrable domain (public suffix list)")
                                                  : std::string();
           }},
      },
      [](const Config&) { return std::make_unique<DisplayName>(); },
  };
}

}  // namespace legit
