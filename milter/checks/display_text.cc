// display_text.cc — a From display name as its reader sees it (display_text.h).
#include "display_text.h"

#include <iconv.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "../core/names.h"
#include "lookalike_names.h"

namespace legit::display_text {
namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string base64_decode(std::string_view in) {
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
          : c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : -1;
    if (v < 0) continue;
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xff);
    }
  }
  return out;
}

// A charset name fit to hand to iconv_open: letters, digits and - _ . : only,
// at most 40 (every IANA name fits; anything else is not one).
bool charset_name(const std::string& c) {
  if (c.empty() || c.size() > 40) return false;
  for (char ch : c)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == ':'))
      return false;
  return true;
}

struct IconvClose {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};

// `bytes` in `charset` as code points, by iconv (KOI8-R, windows-1251,
// ISO-2022-JP, GBK, Shift_JIS, Big5, EUC-KR, ...: what a mail client shows);
// a byte iconv cannot read becomes U+FFFD and is skipped. nullopt when iconv
// does not know the charset.
std::optional<std::u32string> iconv_code_points(const std::string& charset, const std::string& bytes) {
  if (!charset_name(charset)) return std::nullopt;
  iconv_t raw = iconv_open("UTF-32LE", charset.c_str());
  if (raw == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::unique_ptr<void, IconvClose> cd(raw);  // the handle's owner
  std::u32string out;
  std::string in = bytes;  // iconv wants a mutable input pointer
  char* ip = in.data();
  std::size_t left = in.size();
  std::string buf(4 * in.size() + 16, '\0');  // a code point per byte; more is drained (E2BIG)
  for (bool flush = false;;) {
    char* op = buf.data();
    std::size_t room = buf.size();
    std::size_t r = flush ? iconv(raw, nullptr, nullptr, &op, &room) : iconv(raw, &ip, &left, &op, &room);
    for (const char* q = buf.data(); q + 4 <= op; q += 4)
      out += static_cast<char32_t>(static_cast<unsigned char>(q[0]) | static_cast<unsigned char>(q[1]) << 8 |
                                   static_cast<unsigned char>(q[2]) << 16 | static_cast<unsigned char>(q[3]) << 24);
    if (flush) break;
    if (r == static_cast<std::size_t>(-1) && left > 0 && (errno == EILSEQ || errno == EINVAL)) {
      out += U'\uFFFD';  // a byte it cannot read (or a cut-off sequence): skipped
      ++ip;
      --left;
      continue;
    }
    if (r == static_cast<std::size_t>(-1) && errno == E2BIG) continue;  // output full: taken above, go on
    flush = true;  // done: end a stateful charset's shift state
  }
  return out;
}

// One encoded word's text as code points; nullopt when it is not one.
std::optional<std::u32string> decode_word(std::string_view w) {
  if (w.size() < 8 || w.substr(0, 2) != "=?" || w.substr(w.size() - 2) != "?=") return std::nullopt;
  std::string_view in = w.substr(2, w.size() - 4);
  auto q1 = in.find('?');
  if (q1 == std::string_view::npos || q1 + 2 >= in.size() || in[q1 + 2] != '?') return std::nullopt;
  std::string charset = lower(in.substr(0, q1));
  if (auto star = charset.find('*'); star != std::string::npos) charset.resize(star);  // RFC 2231 language
  char enc = static_cast<char>(in[q1 + 1] | 0x20);
  std::string_view text = in.substr(q1 + 3);
  std::string bytes;
  if (enc == 'b') {
    bytes = base64_decode(text);
  } else if (enc == 'q') {
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '_') bytes += ' ';
      else if (text[i] == '=' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
        bytes += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
        i += 2;
      } else bytes += text[i];
    }
  } else {
    return std::nullopt;
  }
  if (charset == "utf-8" || charset == "utf8") return lookalike::utf8_code_points(bytes);
  if (auto cps = iconv_code_points(charset, bytes)) return cps;
  std::u32string out;  // a charset iconv does not know: ASCII kept, the rest unknown
  for (unsigned char c : bytes) out.push_back(c < 0x80 ? c : 0xFFFD);
  return out;
}

// Code points a reader does not see: soft hyphen, zero-width space and
// joiners, bidi marks and overrides, word joiner and invisible operators,
// variation selectors, BOM, tags (Unicode Default_Ignorable_Code_Point).
bool invisible(char32_t c) {
  return c == 0xAD || c == 0x34F || c == 0x61C || c == 0x115F || c == 0x1160 || c == 0x17B4 || c == 0x17B5 ||
         (c >= 0x180B && c <= 0x180F) || (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x206F) || c == 0x3164 || (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF ||
         c == 0xFFA0 || (c >= 0x1D173 && c <= 0x1D17A) || (c >= 0xE0000 && c <= 0xE0FFF);
}

// Symbols and punctuation outside ASCII that separate words as a space does:
// ® © ° « », general punctuation, currency, letterlike (™), arrows, maths,
// shapes, dingbats (✅), CJK punctuation, emoji, private use.
bool symbol(char32_t c) {
  return (c >= 0xA0 && c <= 0xBF && c != 0xAA && c != 0xB5 && c != 0xBA) || c == 0xD7 || c == 0xF7 ||
         (c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xE000 && c <= 0xF8FF) ||
         (c >= 0xFE10 && c <= 0xFE6F) || (c >= 0x1F000 && c <= 0x1FAFF);
}

// The ASCII letter or digit a styled form of it shows, 0 for anything else:
// Mathematical Alphanumeric Symbols (bold, italic, script, fraktur,
// double-struck, sans-serif, monospace: "𝗣𝗮𝘆𝗣𝗮𝗹") and the letterlike
// symbols filling their gaps (ℳ, ℭ, ℝ), circled, parenthesized and squared
// letters (Ⓟ, ⓐ, ⒜, 🄿, 🅟, 🅿) — Unicode's compatibility (NFKC) forms of the
// letters — and small capitals (ᴘᴀʏᴘᴀʟ: UTS #39 confusables). "Fancy text"
// generators make them; a reader sees the letters. Regional indicators are
// left alone: in pairs they show as flags.
char32_t letter_form(char32_t c) {
  if (c < 0x0262) return 0;  // ASCII and the Latin letters below every form here: most of every name
  auto letter = [](unsigned i) { return static_cast<char32_t>(i < 26 ? U'A' + i : U'a' + (i - 26)); };
  if (c >= 0x1D400 && c <= 0x1D6A3) return letter((c - 0x1D400) % 52);  // 13 alphabets of A-Z a-z
  if (c == 0x1D6A4 || c == 0x1D6A5) return c == 0x1D6A4 ? U'i' : U'j';  // dotless italic i, j
  if (c >= 0x1D7CE && c <= 0x1D7FF) return U'0' + (c - 0x1D7CE) % 10;   // 5 sets of digits
  if (c >= 0x24B6 && c <= 0x24E9) return letter(c - 0x24B6);             // Ⓐ..Ⓩ ⓐ..ⓩ
  if (c >= 0x249C && c <= 0x24B5) return U'a' + (c - 0x249C);            // ⒜..⒵
  for (char32_t base : {0x1F110u, 0x1F130u, 0x1F150u, 0x1F170u})         // 🄐 🄰 🅐 🅰 A..Z
    if (c >= base && c < base + 26) return U'A' + (c - base);
  static constexpr std::pair<char32_t, char> kLetterlike[] = {
      {0x210A, 'g'}, {0x210B, 'H'}, {0x210C, 'H'}, {0x210D, 'H'}, {0x210E, 'h'}, {0x2110, 'I'}, {0x2111, 'I'},
      {0x2112, 'L'}, {0x2113, 'l'}, {0x2115, 'N'}, {0x2119, 'P'}, {0x211A, 'Q'}, {0x211B, 'R'}, {0x211C, 'R'},
      {0x211D, 'R'}, {0x2124, 'Z'}, {0x2128, 'Z'}, {0x212C, 'B'}, {0x212D, 'C'}, {0x212F, 'e'}, {0x2130, 'E'},
      {0x2131, 'F'}, {0x2133, 'M'}, {0x2134, 'o'}, {0x2102, 'C'}, {0x2107, 'E'},
      // small capitals
      {0x1D00, 'a'}, {0x0299, 'b'}, {0x1D04, 'c'}, {0x1D05, 'd'}, {0x1D07, 'e'}, {0xA730, 'f'}, {0x0262, 'g'},
      {0x029C, 'h'}, {0x026A, 'i'}, {0x1D0A, 'j'}, {0x1D0B, 'k'}, {0x029F, 'l'}, {0x1D0D, 'm'}, {0x0274, 'n'},
      {0x1D0F, 'o'}, {0x1D18, 'p'}, {0x0280, 'r'}, {0xA731, 's'}, {0x1D1B, 't'}, {0x1D1C, 'u'}, {0x1D20, 'v'},
      {0x1D21, 'w'}, {0x028F, 'y'}, {0x1D22, 'z'},
  };
  for (const auto& [from, to] : kLetterlike)
    if (c == from) return static_cast<char32_t>(to);
  return 0;
}

}  // namespace

// The display name of a From value, undecoded: the text before '<'
// (quotes removed, quoted pairs unescaped), or the comment of addr (Name).
std::string raw_display(std::string_view v) {
  std::string out, comment;
  bool quoted = false;
  int depth = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (quoted) {
      if (c == '\\' && i + 1 < v.size()) out += v[++i];
      else if (c == '"') quoted = false;
      else out += c;
    } else if (depth > 0) {
      if (c == ')') --depth;
      else if (c == '(') ++depth;
      if (depth > 0) comment += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '(') {
      ++depth;
    } else if (c == '<') {
      return out.find_first_not_of(" \t\r\n") == std::string::npos ? comment : out;
    } else {
      out += c;
    }
  }
  return comment;  // no angle address: addr (Name)
}

// RFC 2047: encoded words decoded, white space between two of them dropped;
// the rest read as UTF-8 (raw 8-bit headers are mostly UTF-8 today).
std::u32string decode_display(const std::string& raw) {
  std::u32string out;
  std::size_t i = 0;
  bool last_encoded = false;
  std::string pending_space;
  while (i < raw.size()) {
    std::size_t j = raw.find_first_of(" \t\r\n", i);
    if (j == std::string::npos) j = raw.size();
    std::string_view word(raw.data() + i, j - i);
    if (auto w = decode_word(word)) {
      if (!last_encoded) out += lookalike::utf8_code_points(pending_space);
      out += *w;
      last_encoded = true;
    } else {
      out += lookalike::utf8_code_points(pending_space);
      out += lookalike::utf8_code_points(word);
      last_encoded = false;
    }
    std::size_t k = raw.find_first_not_of(" \t\r\n", j);
    if (k == std::string::npos) k = raw.size();
    pending_space = raw.substr(j, k - j);
    i = k;
  }
  return out;
}

// The display name as a reader sees it: styled letters as the letters
// ("𝗣𝗮𝘆𝗣𝗮𝗹", "Ⓟⓐⓨⓟⓐⓛ" are "PayPal"), invisible code points dropped
// ("Pay<U+200B>Pal" is "PayPal"), symbols turned into spaces ("PayPal®",
// "Microsoft™ account team", "PayPal 🔒" name the brand like "PayPal").
std::u32string as_seen(const std::u32string& text) {
  std::u32string out;
  for (char32_t c : text)
    if (char32_t a = letter_form(c)) out.push_back(a);
    else if (!invisible(c)) out.push_back(symbol(c) ? U' ' : c);
  return out;
}

// A capital I after a small letter and a vertical bar read as a small l in
// the sans-serif fonts of mail clients: "PayPaI", "PayPa|" are seen as
// "PayPal". This variant is tried besides the name as written ("LinkedIn"
// names the brand as written); an I after a capital or at a word's start
// stays I ("DHI" is not "DHL", "Intuit" not "lntuit").
std::u32string ell_for_capital_i(std::u32string text) {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == U'|' || (text[i] == U'I' && i > 0 && text[i - 1] >= U'a' && text[i - 1] <= U'z')) text[i] = U'l';
  return text;
}

namespace {

bool spacer(char32_t c) { return c == U' ' || c == U'.' || c == U'-' || c == U'_' || c == U'*' || c == U'\t'; }

// The single character at i is a word of its own (spacers or an end on both sides).
bool lone(const std::u32string& t, std::size_t i) {
  return !spacer(t[i]) && (i == 0 || spacer(t[i - 1])) && (i + 1 == t.size() || spacer(t[i + 1]));
}

}  // namespace

std::u32string joined_letters(const std::u32string& text) {
  std::u32string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!lone(text, i)) {
      out += text[i++];
      continue;
    }
    std::vector<std::size_t> run{i};  // the lone characters, each at most 2 spacers after the last
    for (std::size_t k = i + 1; k < text.size() && k <= run.back() + 3; ++k) {
      if (!spacer(text[k]) && lone(text, k)) run.push_back(k);
      else if (!spacer(text[k])) break;
    }
    if (run.size() < 3) {
      out += text[i++];
      continue;
    }
    for (std::size_t k : run) out += text[k];
    i = run.back() + 1;
  }
  return out;
}

}  // namespace legit::display_text
