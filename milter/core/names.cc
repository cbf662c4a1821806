// names.cc — host name and text helpers (names.h).
#include "names.h"

#include <idn2.h>

#include <memory>

namespace legit {

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return o;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string normalize_name(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return lower(s);
}

std::string dns_domain(std::string_view s) {
  bool ascii = true;
  for (unsigned char c : s) ascii = ascii && c < 0x80;
  if (ascii || s.size() > 1024) return normalize_name(s);
  std::string in(s);  // NUL-terminated for libidn2; an embedded NUL makes it fail below
  if (in.find('\0') != std::string::npos) return normalize_name(s);
  char* out = nullptr;
  if (idn2_to_ascii_8z(in.c_str(), &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK || out == nullptr) {
    idn2_free(out);
    return normalize_name(s);
  }
  std::unique_ptr<char, void (*)(void*)> owned(out, idn2_free);
  return normalize_name(owned.get());
}

static bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool in_domain(std::string_view name, std::string_view domain) {
  if (domain.empty() || name.size() < domain.size()) return false;
  if (name.size() == domain.size()) return name == domain;
  return name.ends_with(domain) && name[name.size() - domain.size() - 1] == '.';
}

bool is_hostname(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find('.', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view label = s.substr(start, end - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!is_alnum(c) && c != '-') return false;
    start = end + 1;
  }
  return true;
}

}  // namespace legit
