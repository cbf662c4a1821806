// json.cc — JSON string quoting (json.h).
#include "json.h"

#include <cstdio>

namespace legit {

// Length of the valid UTF-8 sequence starting at s[i], 0 if invalid.
static std::size_t utf8_len(std::string_view s, std::size_t i) {
  unsigned char c = s[i];
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return 0;
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
