// exposition.cc — parse_exposition and Samples (exposition.h).
#include "exposition.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace legit::insight {
namespace {

std::optional<double> number(std::string_view s) {
  if (s == "+Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  std::string copy(s);
  char* end = nullptr;
  double d = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size()) return std::nullopt;
  return d;
}

// Parses `{a="x",b="y"}` starting at s[0] == '{'; returns the length read or 0.
std::size_t labels(std::string_view s, std::map<std::string, std::string>& out) {
  std::size_t i = 1;
  while (i < s.size() && s[i] != '}') {
    auto eq = s.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= s.size() || s[eq + 1] != '"') return 0;
    std::string key(s.substr(i, eq - i)), val;
    std::size_t j = eq + 2;
    for (; j < s.size() && s[j] != '"'; ++j) {
      if (s[j] == '\\' && j + 1 < s.size()) {
        ++j;
        val += s[j] == 'n' ? '\n' : s[j];
      } else {
        val += s[j];
      }
    }
    if (j >= s.size()) return 0;
    out[key] = val;
    i = j + 1;
    if (i < s.size() && s[i] == ',') ++i;
  }
  return i < s.size() ? i + 1 : 0;
}

}  // namespace

std::vector<Sample> parse_exposition(std::string_view text) {
  std::vector<Sample> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    auto stop = line.find_first_of("{ ");
    if (stop == std::string_view::npos || stop == 0) continue;
    s.name = std::string(line.substr(0, stop));
    std::string_view rest = line.substr(stop);
    if (rest[0] == '{') {
      std::size_t n = labels(rest, s.labels);
      if (n == 0) continue;
      rest.remove_prefix(n);
    }
    while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    rest = rest.substr(0, rest.find(' '));  // an optional timestamp follows
    if (auto v = number(rest)) {
      s.value = *v;
      out.push_back(std::move(s));
    }
  }
  return out;
}

double Samples::sum(std::string_view name, const std::map<std::string, std::string>& match) const {
  double total = 0;
  for (const auto& s : all_) {
    if (s.name != name) continue;
    bool ok = std::all_of(match.begin(), match.end(), [&](const auto& kv) {
      auto it = s.labels.find(kv.first);
      return it != s.labels.end() && it->second == kv.second;
    });
    if (ok) total += s.value;
  }
  return total;
}

std::vector<const Sample*> Samples::named(std::string_view name) const {
  std::vector<const Sample*> out;
  for (const auto& s : all_)
    if (s.name == name) out.push_back(&s);
  return out;
}

std::optional<double> Samples::quantile(std::string_view name, double q) const {
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative count)
  for (const auto* s : named(std::string(name) + "_bucket")) {
    auto le = s->labels.find("le");
    if (le == s->labels.end()) continue;
    if (auto b = number(le->second)) buckets.emplace_back(*b, s->value);
  }
  std::sort(buckets.begin(), buckets.end());
  if (buckets.empty() || buckets.back().second <= 0) return std::nullopt;
  double rank = q * buckets.back().second;
  double lower = 0, below = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    auto [le, cum] = buckets[i];
    if (cum >= rank) {
      if (std::isinf(le)) return lower;  // past the last finite bound
      if (i == 0 && le <= 0) return le;
      double width = cum - below;
      return width > 0 ? lower + (le - lower) * (rank - below) / width : le;
    }
    lower = le;
    below = cum;
  }
  return lower;
}

}  // namespace legit::insight
