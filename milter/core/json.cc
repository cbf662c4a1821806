// json.cc — JSON string quoting (json.h).
#include "legit/json.h"

#include <cstdio>

namespace legit {

// Length of the valid UTF-8 sequence starting at s[i], 0 if invalid. Strict
// (RFC 3629 §4): no overlong forms (C0, C1, E0 80-9F, F0 80-8F), no UTF-16
// surrogates (ED A0-BF), nothing above U+10FFFF (F4 90-BF, F5-FF), so a
// strict JSON parser accepts the output (fuzz_json found F0 82 9F 98).
static std::size_t utf8_len(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((b(k) >> 6) != 2) return 0;
  if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F) || (c == 0xF0 && b(1) < 0x90) ||
      (c == 0xF4 && b(1) > 0x8F))
    return 0;
  return n;
}

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    std::size_t n = utf8_len(s, i);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || n == 0) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      i += 1;
      continue;
    } else {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    i += 1;
  }
  return out + "\"";
}

}  // namespace legit
