// generic_name.cc — the generic/dynamic host name classifier (generic_name.h).
//
// Total on any input: names that are not RFC 1123 host names are `plain`
// (the callers report invalid names themselves). The dynamic/static word
// lists come from config; the address-embedding search is an algorithm.
#include "generic_name.h"

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "../core/names.h"
#include "legit/domain.h"

namespace legit {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// One label into tokens at '-' and at letter/digit borders.
std::vector<std::string> tokens_of(std::string_view label) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : label) {
    bool border = !cur.empty() && is_digit(c) != is_digit(cur.back());
    if (c == '-' || border) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    }
    if (c != '-') cur += c;
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool numeric(const std::string& t) {
  return !t.empty() && std::all_of(t.begin(), t.end(), is_digit);
}

// Does the numeric token spell this octet (decimal, zero-padded to ≤ 3)?
bool is_octet(const std::string& t, int octet) {
  return numeric(t) && t.size() <= 3 && std::stoi(t) == octet;
}

bool octets_in_tokens(const std::vector<std::string>& toks, const std::uint8_t* b) {
  for (std::size_t i = 0; i + 4 <= toks.size(); ++i) {
    bool fwd = true, rev = true;
    for (int k = 0; k < 4; ++k) {
      fwd = fwd && is_octet(toks[i + k], b[k]);
      rev = rev && is_octet(toks[i + k], b[3 - k]);
    }
    if (fwd || rev) return true;
  }
  return false;
}

std::string hex_of(const std::uint8_t* b, std::size_t n) {
  std::string out;
  char buf[3];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    out += buf;
  }
  return out;
}

bool embeds_v4(std::string_view host, const std::uint8_t* b) {
  std::vector<std::string> toks;
  for (const auto& label : split(host, '.'))
    for (auto& t : tokens_of(label)) toks.push_back(std::move(t));
  if (octets_in_tokens(toks, b)) return true;
  char packed[13];
  std::snprintf(packed, sizeof packed, "%03d%03d%03d%03d", b[0], b[1], b[2], b[3]);
  std::string hex = hex_of(b, 4);
  for (const auto& t : toks)
    if (t == packed) return true;
  std::string flat(host);
  std::replace(flat.begin(), flat.end(), '.', '-');
  for (const auto& piece : split(flat, '-'))
    if (piece.find(hex) != std::string::npos) return true;
  return false;
}

bool embeds_v6(std::string_view host, const IpAddress& ip) {
  std::string text = ip.to_string();
  std::replace(text.begin(), text.end(), ':', '-');
  std::string h(host);
  std::string flat = h;
  flat.erase(std::remove(flat.begin(), flat.end(), '-'), flat.end());
  flat.erase(std::remove(flat.begin(), flat.end(), '.'), flat.end());
  return h.find(text) != std::string::npos || flat.find(hex_of(ip.bytes(), 16)) != std::string::npos ||
         h.find(ip.reverse_labels()) != std::string::npos;
}

bool has_word(const std::vector<std::string>& toks, const std::vector<std::string>& words,
              std::string* which) {
  for (const auto& t : toks)
    if (std::find(words.begin(), words.end(), t) != words.end()) {
      if (which->empty()) *which = t;
      return true;
    }
  return false;
}

// Word evidence without an embedded address (see generic_name.h).
bool words_look_dynamic(const std::vector<std::vector<std::string>>& labels,
                        const GenericWords& w, std::string* word) {
  int digits = 0, dyn_labels = 0;
  bool leftmost = false;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    for (const auto& t : labels[i])
      if (numeric(t)) digits += int(t.size());
    if (has_word(labels[i], w.dynamic_words, word)) {
      ++dyn_labels;
      leftmost = leftmost || i == 0;
    }
  }
  return (leftmost && digits >= 3) || dyn_labels >= 2;
}

std::vector<std::string> lowered(const std::vector<std::string>& v) {
  std::vector<std::string> out;
  for (const auto& s : v) out.push_back(lower(s));
  return out;
}

}  // namespace

const char* to_string(NameShape s) {
  switch (s) {
    case NameShape::generic: return "generic";
    case NameShape::generic_static: return "generic-static";
    case NameShape::plain: break;
  }
  return "plain";
}

GenericWords GenericWords::from(const Config& cfg) {
  return {lowered(cfg.list("ptr-dynamic-words")), lowered(cfg.list("ptr-static-words"))};
}

std::shared_ptr<const GenericWords> GenericWords::shared(const Config& cfg) {
  struct Kept {
    std::vector<std::string> dynamic_source, static_source;  // the lists as configured
    GenericWords words;
  };
  static std::mutex mu;
  static std::shared_ptr<const Kept> kept;  // the last pair asked for
  const auto& dyn = cfg.list("ptr-dynamic-words");
  const auto& sta = cfg.list("ptr-static-words");
  std::lock_guard<std::mutex> g(mu);
  if (!kept || kept->dynamic_source != dyn || kept->static_source != sta)
    kept = std::make_shared<const Kept>(Kept{dyn, sta, from(cfg)});
  return {kept, &kept->words};
}

std::vector<OptionSpec> generic_name_options() {
  auto word = [](const std::string& v) -> std::string {
    for (char c : v)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)))
        return "is not a single word of letters or digits";
    return v.empty() ? "is empty" : "";
  };
  return {
      {"ptr-dynamic-words", OptKind::list,
       "dyn dynamic dynip dhcp pool cpe dsl adsl vdsl xdsl cable catv ppp pppoe broadband bb "
       "res resi resident residential client clients host ip dialup dial dialin user users "
       "customer customers cust subscriber home nat wifi wireless mobile gprs umts lte ftth "
       "fttx unknown unassigned",
       "whole tokens that mark a host name as dynamic/residential (ptr and helo checks)", {}, word},
      {"ptr-static-words", OptKind::list,
       "static sta stat fixed fix srv server servers dedicated colo hosting business biz mail mx "
       "smtp mta relay",
       "whole tokens that grade an address-embedding name as generic-static (less suspicious)",
       {}, word},
  };
}

std::string host_part(std::string_view name) {
  std::string n = normalize_name(name);
  std::string reg = icann_registrable_domain(n);
  if (reg.empty()) {
    auto dot = n.rfind('.');
    return dot == std::string::npos ? n : n.substr(0, dot);
  }
  if (n.size() <= reg.size() + 1) return "";
  return n.substr(0, n.size() - reg.size() - 1);
}

bool embeds_address(std::string_view host, const IpAddress& ip) {
  if (host.empty()) return false;
  IpAddress a = ip.unmapped();
  return a.is_v4() ? embeds_v4(host, a.bytes()) : embeds_v6(host, a);
}

NameVerdict classify_name(std::string_view name, const IpAddress* ip, const GenericWords& w) {
  if (!is_hostname(name)) return {};
  std::string host = host_part(name);
  if (host.empty()) return {};
  std::vector<std::vector<std::string>> labels;
  for (const auto& l : split(host, '.')) labels.push_back(tokens_of(l));
  bool embedded = ip && embeds_address(host, *ip);
  std::string dyn, stat;
  bool dynamic = words_look_dynamic(labels, w, &dyn);
  if (!embedded && !dynamic) return {};
  for (const auto& l : labels) has_word(l, w.static_words, &stat);
  NameVerdict v;
  v.shape = stat.empty() ? NameShape::generic : NameShape::generic_static;
  if (embedded) v.why = "embeds " + ip->unmapped().to_string();
  if (!dyn.empty()) v.why += (v.why.empty() ? "" : ", ") + std::string("dynamic word '") + dyn + "'";
  if (!stat.empty()) v.why += ", static word '" + stat + "'";
  return v;
}

bool less_generic(NameShape a, NameShape b) { return int(a) < int(b); }

}  // namespace legit
