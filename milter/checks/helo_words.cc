// helo_words.cc — localhost names and random-looking labels (helo_words.h).
#include "helo_words.h"

#include <string>

#include "../core/names.h"

namespace legit {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return c >= 'a' && c <= 'z'; }

bool windows_default(const std::string& l) {
  for (std::string_view p : {"win-", "desktop-", "laptop-"}) {
    if (l.size() < p.size() + 7 || l.compare(0, p.size(), p) != 0) continue;
    bool digit = false, other = false;
    for (char c : std::string_view(l).substr(p.size())) {
      digit = digit || is_digit(c);
      other = other || !(is_digit(c) || is_letter(c));
    }
    if (digit && !other) return true;
  }
  return false;
}

}  // namespace

bool is_localhost_name(std::string_view name) {
  std::string n = normalize_name(name);
  if (n == "localhost" || n == "localhost4" || n == "localhost6" || n == "ip6-localhost" ||
      n == "ip6-loopback" || n == "localdomain" || n == "localhost.localdomain")
    return true;
  return n.rfind("localhost.", 0) == 0 || (n.size() > 10 && n.compare(n.size() - 10, 10, ".localhost") == 0);
}

bool random_label(std::string_view label) {
  std::string l = lower(label);
  if (windows_default(l)) return true;
  int letters = 0, vowels = 0, switches = 0;
  char prev = 0;
  for (char c : l) {
    if (is_letter(c)) {
      ++letters;
      if (std::string_view("aeiouy").find(c) != std::string_view::npos) ++vowels;
    }
    if (prev && ((is_digit(prev) && is_letter(c)) || (is_letter(prev) && is_digit(c)))) ++switches;
    prev = c;
  }
  if (letters >= 6 && vowels == 0) return true;
  return l.size() >= 8 && switches >= 4;
}

}  // namespace legit
