// lookalike_names.cc — protected names, skeletons, resemblances (lookalike_names.h).
#include "lookalike_names.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "../core/names.h"
#include "legit/domain.h"
#include "legit/us.h"
#include "punycode.h"

namespace legit::lookalike {
namespace {

// Non-ASCII code points that look like an ASCII letter (lower- and
// upper-case Cyrillic and Greek homoglyphs, Latin with diacritics).
struct Fold {
  char32_t cp;
  char ascii;
};
constexpr Fold kFolds[] = {
    // Cyrillic lower case
    {0x0430, 'a'}, {0x0432, 'b'}, {0x0435, 'e'}, {0x043A, 'k'}, {0x043C, 'm'}, {0x043D, 'h'}, {0x043E, 'o'},
    {0x0440, 'p'}, {0x0441, 'c'}, {0x0442, 't'}, {0x0443, 'y'}, {0x0445, 'x'}, {0x0455, 's'}, {0x0456, 'i'},
    {0x0458, 'j'}, {0x04BB, 'h'}, {0x04CF, 'l'}, {0x0501, 'd'}, {0x051B, 'q'}, {0x051D, 'w'}, {0x0457, 'i'},
    // Cyrillic upper case
    {0x0410, 'a'}, {0x0412, 'b'}, {0x0415, 'e'}, {0x0405, 's'}, {0x0406, 'i'}, {0x0408, 'j'}, {0x041A, 'k'},
    {0x041C, 'm'}, {0x041D, 'h'}, {0x041E, 'o'}, {0x0420, 'p'}, {0x0421, 'c'}, {0x0422, 't'}, {0x0423, 'y'},
    {0x0425, 'x'}, {0x04C0, 'l'},
    // Greek
    {0x03B1, 'a'}, {0x03B9, 'i'}, {0x03BA, 'k'}, {0x03BD, 'v'}, {0x03BF, 'o'}, {0x03C1, 'p'}, {0x03C4, 't'},
    {0x03C5, 'u'}, {0x03C7, 'x'}, {0x0391, 'a'}, {0x0392, 'b'}, {0x0395, 'e'}, {0x0396, 'z'}, {0x0397, 'h'},
    {0x0399, 'i'}, {0x039A, 'k'}, {0x039C, 'm'}, {0x039D, 'n'}, {0x039F, 'o'}, {0x03A1, 'p'}, {0x03A4, 't'},
    {0x03A5, 'y'}, {0x03A7, 'x'},
    // Latin extras
    {0x0131, 'i'}, {0x0142, 'l'}, {0x0141, 'l'}, {0x0251, 'a'}, {0x0261, 'g'}, {0x01C0, 'l'}, {0x0269, 'i'},
    {0x1E37, 'l'}, {0x1E43, 'm'}, {0x1E47, 'n'}, {0x1ECD, 'o'}, {0x1EA1, 'a'}, {0x1EB9, 'e'},
};

// Latin-1 letters with diacritics, U+00C0..U+00FF ('~' = no ASCII look-alike).
constexpr std::string_view kLatin1 = "aaaaaa~ceeeeiiii~nooooo~ouuuuy~~aaaaaa~ceeeeiiii~nooooo~ouuuuy~y";
static_assert(kLatin1.size() == 0x40);

char fold(char32_t c) {
  if (c < 0x80) {
    char a = static_cast<char>(c);
    if (a >= 'A' && a <= 'Z') return static_cast<char>(a - 'A' + 'a');
    if (a == '0') return 'o';
    if (a == '1') return 'l';
    return a;
  }
  if (c >= 0xC0 && c <= 0xFF) return kLatin1[c - 0xC0];
  if (c >= 0xFF01 && c <= 0xFF5E) return fold(c - 0xFEE0);  // full-width ASCII
  if (c >= 0x0100 && c <= 0x017F) {  // Latin Extended-A: the base letter of each pair
    static constexpr std::string_view ext =
        "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnn~~~oooooo~~rrrrrrssssssss"
        "ttttttuuuuuuuuuuuuwwyyyzzzzzzs";
    static_assert(ext.size() == 0x80);
    return ext[c - 0x0100];
  }
  for (const auto& f : kFolds)
    if (f.cp == c) return f.ascii;
  return '~';
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// Words phishing domains put next to a brand. Kept to the ones honest
// businesses whose name contains a brand word rarely use (not "service",
// "team", "online", "shop": an independent repair shop or a cafe has them).
constexpr std::string_view kScamWords[] = {
    "secure", "security", "login", "logon", "signin", "verify", "verification", "validate", "account",
    "accounts", "support", "update", "confirm", "auth", "authentication", "alert", "alerts", "billing",
    "recovery", "unlock", "wallet", "refund", "webmail", "resolution", "suspended", "limited",
};

}  // namespace

bool scam_word(std::string_view w) {
  return std::find(std::begin(kScamWords), std::end(kScamWords), w) != std::end(kScamWords);
}

std::string registrable_label(std::string_view name) {
  std::string reg = registrable_domain(name);
  return reg.substr(0, reg.find('.'));
}

std::u32string label_code_points(std::string_view label) {
  if (label.size() > 4 && iequals(label.substr(0, 4), "xn--")) return punycode_decode(lower(label.substr(4)));
  for (unsigned char c : label)
    if (c >= 0x80) return utf8_code_points(label);  // an SMTPUTF8 name as it was sent
  std::u32string out;
  for (unsigned char c : label) out.push_back(c);
  return out;
}

std::u32string utf8_code_points(std::string_view t) {
  std::u32string out;
  for (std::size_t i = 0; i < t.size();) {
    unsigned char c = t[i];
    int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    char32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    bool ok = len != 0 && i + len <= t.size();
    for (int k = 1; ok && k < len; ++k) {
      unsigned char cc = t[i + k];
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    out.push_back(ok ? cp : 0xFFFD);
    i += ok ? len : 1;
  }
  return out;
}

std::string skeleton(const std::u32string& text, bool pairs) {
  std::string a;
  for (char32_t c : text) a += fold(c);
  if (!pairs) return a;
  std::string out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i + 1 < a.size() && ((a[i] == 'r' && a[i + 1] == 'n') || (a[i] == 'v' && a[i + 1] == 'v'))) {
      out += a[i] == 'r' ? 'm' : 'w';
      ++i;
    } else {
      out += a[i];
    }
  }
  return out;
}

bool within_one_edit(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  if (b.size() - a.size() > 1) return false;
  std::size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  if (i == a.size()) return true;  // equal, or one appended
  if (a.size() == b.size())
    return a.substr(i + 1) == b.substr(i + 1) ||  // substitution
           (i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] && a.substr(i + 2) == b.substr(i + 2));
  return a.substr(i) == b.substr(i + 1);  // insertion
}

bool doubled_or_swapped(std::string_view text, std::string_view label) {
  std::size_t i = 0;
  while (i < text.size() && i < label.size() && text[i] == label[i]) ++i;  // first difference
  if (text.size() == label.size() + 1)  // the letter before the difference typed twice
    return i > 0 && text[i] == label[i - 1] && text.substr(i + 1) == label.substr(i);
  return text.size() == label.size() && i + 1 < label.size() && label[i] != label[i + 1] &&
         text[i] == label[i + 1] && text[i + 1] == label[i] && text.substr(i + 2) == label.substr(i + 2);
}

namespace {

// Values made by a pure function of their key, kept for every thread: made
// outside the lock (two threads may both make one; the same value), emptied
// when `max` keys are kept. Made with new and never freed (checks may run at
// exit).
template <class V>
class Kept {
 public:
  explicit Kept(std::size_t max) : max_(max) {}
  template <class Make>
  V get(std::string key, Make make) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (auto it = map_.find(key); it != map_.end()) return it->second;
    }
    V value = make();
    std::lock_guard<std::mutex> g(mu_);
    if (map_.size() >= max_) map_.clear();
    map_.emplace(std::move(key), value);
    return value;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, V> map_;
  std::size_t max_;
};

// The protected entry of one name (registrable domain, label, skeletons;
// nullopt without a registrable domain), kept: protected_names() runs for
// two checks per message over the same ~25 names, and the public-suffix
// lookup and skeletons of each cost more than finding them again (issue 11:
// 4.9 % of the milter's CPU under bench/miltergen). A pure function of the
// name, so keeping it changes nothing; bounded: emptied at 4096 names.
std::optional<Protected> protect_entry(std::string_view name) {
  static auto* kept = new Kept<std::optional<Protected>>(4096);
  return kept->get(std::string(name), [name]() -> std::optional<Protected> {
    std::string reg = registrable_domain(dns_domain(name));  // a UTF-8 entry by its A-labels, as From
    if (reg.empty()) return std::nullopt;
    std::string label = reg.substr(0, reg.find('.'));
    std::u32string cps = label_code_points(label);
    return Protected{reg, label, skeleton(cps), skeleton(cps, false), false};
  });
}

// The list itself, kept too: for the same inputs in the same order (brands,
// our names, the recipient domains) it is the same, and both checks of every
// message ask for it (issue 11: building it was 8 µs a message, 2.9 % of
// the milter's CPU under bench/miltergen). Keyed by every input name with its
// length and `ours`; bounded: emptied at 256 lists.

void key_add(std::string& key, std::string_view name, bool ours) {
  std::size_t n = name.size();
  key.append(reinterpret_cast<const char*>(&n), sizeof n);
  key += ours ? '1' : '0';
  key.append(name);
}

std::shared_ptr<const std::vector<Protected>> build(const std::vector<std::pair<std::string_view, bool>>& in) {
  auto out = std::make_shared<std::vector<Protected>>();
  for (const auto& [name, ours] : in) {
    std::optional<Protected> entry = protect_entry(name);
    if (!entry) continue;
    bool seen = false;
    for (const auto& p : *out) seen = seen || p.domain == entry->domain;
    if (seen) continue;
    entry->ours = ours;
    out->push_back(std::move(*entry));
  }
  return out;
}

}  // namespace

std::shared_ptr<const std::vector<Protected>> protected_names(const Session& s) {
  const auto& brands = s.config.list("lookalike-protect");
  const auto& ours = s.config.list("our-domains");
  std::vector<std::string> rcpt_domains;
  rcpt_domains.reserve(s.msg.rcpts.size());
  for (const auto& r : s.msg.rcpts) rcpt_domains.push_back(rcpt_domain(r));
  std::vector<std::pair<std::string_view, bool>> in;  // every name in order, and whether it is ours
  in.reserve(brands.size() + 3 + ours.size() + rcpt_domains.size());
  for (const auto& d : brands) in.emplace_back(d, false);
  in.emplace_back(s.config.hostname, true);
  in.emplace_back(s.config.authserv_id, true);
  in.emplace_back(s.conn.our_name, true);
  for (const auto& d : ours) in.emplace_back(d, true);
  for (const auto& d : rcpt_domains) in.emplace_back(d, true);
  std::string key;
  std::size_t bytes = 0;
  for (const auto& [name, mine] : in) bytes += name.size() + sizeof(std::size_t) + 1;
  key.reserve(bytes);
  for (const auto& [name, mine] : in) key_add(key, name, mine);
  static auto* kept = new Kept<std::shared_ptr<const std::vector<Protected>>>(256);
  return kept->get(std::move(key), [&in] { return build(in); });
}

namespace {

// How the tokens of a label (its skeleton `toks`, its text `raw`) resemble a
// protected skeleton `target` whose text is `label`.
Kind match_tokens(const std::vector<std::string>& toks, const std::vector<std::string>& raw,
                  const std::string& target, const std::string& label) {
  Kind best = Kind::none;
  if (target.size() < 3 || raw.size() != toks.size()) return best;
  for (std::size_t j = 0; j < toks.size(); ++j) {
    const std::string& t = toks[j];
    bool scam_near = false;
    for (std::size_t k = 0; k < toks.size(); ++k) scam_near = scam_near || (k != j && scam_word(toks[k]));
    std::string rest;
    if (t.size() > target.size() && t.compare(0, target.size(), target) == 0) rest = t.substr(target.size());
    else if (t.size() > target.size() && t.compare(t.size() - target.size(), target.size(), target) == 0)
      rest = t.substr(0, t.size() - target.size());
    bool glued = !rest.empty() && scam_word(rest);
    bool token = t == target && toks.size() > 1;
    if (!token && !glued) continue;
    if (raw[j].find(label) == std::string::npos) return Kind::confusable;  // the token's text is not the label
    if (glued || scam_near) best = Kind::brand_token;
  }
  return best;
}

// No digit, and every non-ASCII code point a letter of a European Latin
// alphabet (U+00C0..U+017F but × and ÷); at least one of them.
bool accented_only(const std::u32string& cps) {
  bool any = false;
  for (char32_t c : cps) {
    if (c >= '0' && c <= '9') return false;
    if (c < 0x80) continue;
    if (c < 0xC0 || c > 0x17F || c == 0xD7 || c == 0xF7) return false;
    any = true;
  }
  return any;
}

}  // namespace

Resemblance resembles(std::string_view domain, const std::vector<Protected>& names) {
  Resemblance best;
  std::string reg = registrable_domain(domain);
  if (reg.empty()) return best;
  std::string label = reg.substr(0, reg.find('.'));
  for (const auto& p : names)
    if (p.domain == reg || p.label == label) return best;  // the real one, or its own other suffix
  std::u32string cps = label_code_points(label);
  if (cps.empty()) return best;
  std::string text;  // the label as the reader sees it, lower-case ASCII or '~'
  for (char32_t c : cps) text += c < 0x80 ? static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) : '~';
  std::string sk = skeleton(cps), skf = skeleton(cps, false);
  std::vector<std::string> raw = split(text, '-'), toks = split(sk, '-'), toksf = split(skf, '-');
  auto better = [&best](Kind k, const Protected& p, std::string how, bool glyphs) {
    if (k > best.kind || (k == best.kind && k == Kind::confusable && glyphs && !best.glyphs))
      best = {k, &p, std::move(how), glyphs};
  };
  // A protected domain spelled out left of the registrable domain
  // (paypal.com.secure-login.example): the reader sees it first.
  std::string name = lower(domain);
  while (!name.empty() && name.back() == '.') name.pop_back();
  std::string sub = name.size() > reg.size() ? "." + name.substr(0, name.size() - reg.size()) : "";
  for (const auto& p : names)
    if (!sub.empty() && sub.find("." + p.domain + ".") != std::string::npos)
      better(Kind::brand_token, p, "its subdomain spells " + p.domain, false);
  for (const auto& p : names) {
    if (p.skel.size() < 3) continue;
    const std::string shown = "skeleton of " + label + " is " + sk;
    // letters alone first (a digit or a homoglyph: deliberate), then with rn/vv
    if (skf == p.fold) better(Kind::confusable, p, shown, true);
    Kind kf = match_tokens(toksf, raw, p.fold, p.label);
    if (kf == Kind::confusable) better(kf, p, shown, true);
    if (sk == p.skel) better(Kind::confusable, p, shown, false);
    Kind k = match_tokens(toks, raw, p.skel, p.label);
    if (k == Kind::confusable) better(k, p, shown, false);
    else if (k == Kind::brand_token)
      better(k, p, "label " + label + " puts " + p.label + " next to a phishing word", false);
    if (p.ours && p.label.size() >= 4 && doubled_or_swapped(text, p.label))
      better(Kind::typo, p, "label " + label + " is " + p.label + " with a letter doubled or two swapped", false);
    if (!p.ours && p.label.size() >= 6 && (within_one_edit(sk, p.skel) || within_one_edit(text, p.label)))
      better(Kind::near, p, "label " + label + " is one letter from " + p.label, false);
  }
  if (best.kind == Kind::confusable && best.glyphs) best.accents = accented_only(cps);
  return best;
}

}  // namespace legit::lookalike
