// lookalike_names.h — what the lookalike and display-name checks share: the
// protected names of a message (brands of `lookalike-protect` and our own
// domains) and how a domain label or a display name can resemble one.
//
// Everything here is a pure function of its input: no DNS, bad input (bad
// UTF-8, bad punycode, empty strings) never throws, it just matches nothing.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "legit/session.h"

namespace legit::lookalike {

// A name a sender must not imitate: "paypal.com" (label "paypal").
struct Protected {
  std::string domain;  // registrable domain, lower-case
  std::string label;   // its first label (the part before the public suffix)
  std::string skel;    // skeleton(label)
  std::string fold;    // skeleton(label, false): letters folded, no rn/vv pairs
  bool ours = false;   // one of our domains, not a brand of the option
};

// The protected names of this message: every domain of `lookalike-protect`
// and our own domains (registrable domains of `hostname`, `authserv-id`,
// $myhostname, `our-domains` and the recipient domains). Duplicates dropped.
// Shared and kept (the same inputs give the same list): never changed.
std::shared_ptr<const std::vector<Protected>> protected_names(const Session& s);

// The first label of a registrable domain ("paypal.co.uk" → "paypal");
// "" when the name has no registrable domain.
std::string registrable_label(std::string_view name);

// Unicode code points of one label: a punycode label ("xn--...") decoded
// (RFC 3492), UTF-8 (SMTPUTF8) decoded, ASCII byte by byte; empty on bad
// punycode.
std::u32string label_code_points(std::string_view label);

// Code points of UTF-8 text; an invalid byte becomes U+FFFD.
std::u32string utf8_code_points(std::string_view text);

// The visual skeleton: lower-case ASCII where a glyph looks like one
// (Cyrillic/Greek homoglyphs, Latin letters with diacritics, full-width
// forms, 0→o, 1→l), then "rn"→"m" and "vv"→"w". Anything without an ASCII
// look-alike becomes '~' (matches nothing). Other ASCII punctuation kept.
// pairs = false: the letters only, no rn/vv.
std::string skeleton(const std::u32string& text, bool pairs = true);

// True for a word phishing domains put next to a brand: secure, login,
// verify, account, support, update, ... (lookalike_names.cc has the list).
bool scam_word(std::string_view w);

// How a domain resembles a protected name, strongest first.
enum class Kind { none, near, brand_token, typo, confusable };
struct Resemblance {
  Kind kind = Kind::none;
  const Protected* whom = nullptr;
  std::string how;  // "skeleton of paypa1-secure is paypal-secure", ...
  // confusable by a digit or a non-ASCII letter (paypa1, xn--pypal-4ve), not
  // by rn/vv alone, which honest words have (modern/modem)
  bool glyphs = false;
  // a confusable by glyphs whose label has no digit and no non-ASCII letter
  // but the accented ones of European alphabets (Latin-1, Latin Extended-A:
  // ä ö ü å é ł ı ...): a word of a real language may fold onto the brand
  // (Swedish äpple). Cyrillic, Greek, full-width, mixed scripts: false.
  bool accents = false;
};

// Does `domain` imitate one of `names`? Never when its registrable domain is
// one of them, or its label is a protected label under another suffix
// (paypal.de). confusable: a label or hyphen token whose skeleton is a
// protected label but whose text is not (paypa1, xn--pypal-4ve); brand_token:
// the protected label as a hyphen token, or glued to one, next to a scam word
// (paypal-secure, account-microsoft, paypalverify), or a protected domain
// spelled out in the subdomain (paypal.com.secure-login.example); typo: our
// own label (4+ characters) with one letter doubled or two neighbours swapped
// (corrp, copr: typing slips, not another firm's name); near: one edit
// (substitution, insertion, deletion, transposition) from a brand label of
// at least 6 letters (not for our own domains: small firms' names sit one
// letter apart honestly).
Resemblance resembles(std::string_view domain, const std::vector<Protected>& names);

// Damerau (optimal string alignment) distance of at most one.
bool within_one_edit(std::string_view a, std::string_view b);

// Is `text` `label` with one letter doubled (corp → corrp) or two
// neighbouring different letters swapped (corp → copr)? Not when equal.
bool doubled_or_swapped(std::string_view text, std::string_view label);

}  // namespace legit::lookalike
