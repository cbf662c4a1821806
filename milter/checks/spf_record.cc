// spf_record.cc — RFC 7208 record syntax (§12 ABNF) and the rewrite for
// libspf2 (spf_record.h). Any byte string in, a verdict out; never throws.
#include "spf_record.h"

#include "../core/names.h"

extern "C" {
#include <arpa/inet.h>
}

#include <optional>
#include <vector>

namespace legit::spf {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
char low(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// macro-string tokens: true if valid; *last_is_macro tells whether the string
// ends in a macro-expand (for domain-end).
bool macro_string(std::string_view s, bool allow_crt, bool* last_is_macro) {
  *last_is_macro = false;
  for (std::size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == '%') {
      if (i + 1 >= s.size()) return false;
      char n = s[i + 1];
      if (n == '%' || n == '_' || n == '-') { i += 2; *last_is_macro = true; continue; }
      if (n != '{' || i + 2 >= s.size()) return false;
      char letter = low(s[i + 2]);
      if (std::string_view("slodiphcrtv").find(letter) == std::string_view::npos) return false;
      if (!allow_crt && (letter == 'c' || letter == 'r' || letter == 't')) return false;
      std::size_t j = i + 3;
      while (j < s.size() && is_digit(s[j])) ++j;
      if (j < s.size() && low(s[j]) == 'r') ++j;
      while (j < s.size() && std::string_view(".-+,/_=").find(s[j]) != std::string_view::npos) ++j;
      if (j >= s.size() || s[j] != '}') return false;
      i = j + 1;
      *last_is_macro = true;
      continue;
    }
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) return false;  // macro-literal: %x21-24 / %x26-7E
    *last_is_macro = false;
    ++i;
  }
  return true;
}

bool toplabel(std::string_view l) {
  if (l.empty() || !is_alnum(l.front()) || !is_alnum(l.back())) return false;
  bool alpha = false, hyphen = false;
  for (char c : l) {
    if (c == '-') hyphen = true;
    else if (is_alpha(c)) alpha = true;
    else if (!is_digit(c)) return false;
  }
  return alpha || hyphen;
}

// domain-spec = macro-string domain-end
bool domain_spec(std::string_view s) {
  bool macro_end = false;
  if (s.empty() || !macro_string(s, false, &macro_end)) return false;
  if (macro_end) return true;
  if (s.back() == '.') s.remove_suffix(1);
  auto dot = s.rfind('.');
  return dot != std::string_view::npos && toplabel(s.substr(dot + 1));
}

// "/" ("0" / %x31-39 0*n DIGIT), value ≤ max; nullopt if malformed.
std::optional<int> cidr(std::string_view digits, int max) {
  if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  int v = 0;
  for (char c : digits) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

// Splits a trailing "/N" off `s` when it ends so (digits only after the last '/').
bool split_cidr(std::string_view& s, std::string_view* digits) {
  auto slash = s.rfind('/');
  if (slash == std::string_view::npos) return false;
  std::string_view d = s.substr(slash + 1);
  for (char c : d)
    if (!is_digit(c)) return false;
  *digits = d;
  s = s.substr(0, slash);
  return true;
}

bool dec_octets(std::string_view s) {
  int parts = 0;
  while (true) {
    auto dot = s.find('.');
    std::string_view p = s.substr(0, dot);
    auto v = cidr(p, 255);
    if (!v) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return parts == 4;
}

struct Parsed {
  const IpAddress* client = nullptr;    // set: prune for this client
  std::vector<std::string> directives;  // rewritten, in order
  std::string redirect, exp;
  bool has_all = false;
  int redirects = 0, exps = 0;
  int pruned = 0;
  bool stopped = false;      // an ip4/ip6 mechanism matched the client: the rest is dead
  bool matched_broad = false;  // ... and it was a pass-qualified broad range
  bool pass_wide = false;    // a pass-qualified all, or a/mx of a broad width
  bool neutral_all = false;  // "?all" seen
  int seen = 0;              // mechanisms in the record as published
};

bool pass_qualifier(const std::string& q) { return q.empty() || q == "+"; }

std::string fail_why(std::string_view what, std::string_view term) {
  return std::string(what) + " in '" + std::string(term.substr(0, 80)) + "'";
}

constexpr std::string_view kMarkerZone = ".legit-milter.invalid";

// a / mx: [":" domain-spec] [ip4-cidr] ["/" ip6-cidr]. *width: the prefix
// length that applies to the client's family (-1 = none given).
std::string a_or_mx(std::string_view name, std::string_view arg, bool v6, std::string* out, int* width) {
  std::string_view d6, d4;
  std::string_view rest = arg;
  std::optional<int> c4, c6;
  if (rest.size() >= 2 && split_cidr(rest, &d6) && !rest.empty() && rest.back() == '/') {
    rest.remove_suffix(1);
    if (!(c6 = cidr(d6, 128))) return "bad IPv6 prefix length";
  } else {
    rest = arg;
  }
  if (split_cidr(rest, &d4) && !(c4 = cidr(d4, 32))) return "bad IPv4 prefix length";
  if (!rest.empty() && (rest.front() != ':' || !domain_spec(rest.substr(1)))) return "bad domain-spec";
  std::optional<int> mine = v6 ? c6 : c4;
  *width = mine ? *mine : -1;
  if (mine && *mine == 0) {  // libspf2 refuses "/0": a marker name our DNS layer answers
    std::string domain = rest.empty() ? std::string("%{d}") : std::string(rest.substr(1));
    if (domain.size() > 1 && domain.back() == '.') domain.pop_back();
    *out = "exists:" + domain + "." + a0_marker(name == "mx", v6);
    return "";
  }
  *out = std::string(name) + std::string(rest);
  if (v6 && c6) *out += "//" + std::to_string(*c6);
  if (!v6 && c4) *out += "/" + std::to_string(*c4);
  return "";
}

// Does ip4/ip6 "addr[/len]" hold the client? (Other family: never.)
bool holds(const IpAddress& client, const std::string& addr, std::optional<int> len, bool v4) {
  if (client.is_v4() != v4) return false;
  int bits = len ? *len : (v4 ? 32 : 128);
  auto net = Network::parse(addr + "/" + std::to_string(bits));
  return net && net->contains(client);
}

// *out stays empty when the mechanism is pruned for p.client.
std::string ip_mech(std::string_view name, std::string_view arg, const std::string& q, std::string* out,
                    Parsed& p) {
  bool v4 = name == "ip4";
  if (arg.empty() || arg.front() != ':') return "missing address";
  std::string_view net = arg.substr(1), digits;
  std::optional<int> len;
  if (split_cidr(net, &digits) && !(len = cidr(digits, v4 ? 32 : 128))) return "bad prefix length";
  std::string addr(net);
  unsigned char buf[16];
  if (v4 ? !dec_octets(net) : inet_pton(AF_INET6, addr.c_str(), buf) != 1) return "bad address";
  if (p.client) {  // no DNS behind it: drop it, or end the record here
    if (p.stopped || !holds(*p.client, addr, len, v4)) {
      p.pruned++;
      return "";
    }
    p.stopped = p.has_all = true;  // redirect= no longer applies
    p.matched_broad = pass_qualifier(q) && len && *len <= (v4 ? kBroadPrefix4 : kBroadPrefix6);
    *out = "all";
    return "";
  }
  if (len && *len == 0) {  // libspf2 refuses /0: the two halves mean the same
    *out = v4 ? "ip4:0.0.0.0/1 " + q + "ip4:128.0.0.0/1" : "ip6:::/1 " + q + "ip6:8000::/1";
    return "";
  }
  *out = std::string(name) + ":" + addr + (len ? "/" + std::to_string(*len) : "");
  return "";
}

// One directive; returns "" when fine.
std::string directive(std::string_view term, bool v6, Parsed& p) {
  std::string q;
  if (!term.empty() && std::string_view("+-?~").find(term.front()) != std::string_view::npos) {
    q = std::string(1, term.front());
    term.remove_prefix(1);
  }
  std::size_t end = 0;
  while (end < term.size() && is_alnum(term[end])) ++end;
  std::string name = lower(term.substr(0, end));
  std::string_view arg = term.substr(end);
  std::string out, why;
  int width = -1;
  if (name == "all") {
    if (!arg.empty()) return "bad all";
    p.has_all = true;
    out = "all";
    if (!p.stopped) {
      p.pass_wide = p.pass_wide || pass_qualifier(q);
      p.neutral_all = p.neutral_all || q == "?";
    }
  } else if (name == "include" || name == "exists") {
    if (arg.empty() || arg.front() != ':' || !domain_spec(arg.substr(1))) return "bad domain-spec";
    out = name + std::string(arg);
  } else if (name == "ptr") {
    if (!arg.empty() && (arg.front() != ':' || !domain_spec(arg.substr(1)))) return "bad domain-spec";
    out = name + std::string(arg);
  } else if (name == "a" || name == "mx") {
    why = a_or_mx(name, arg, v6, &out, &width);
    if (width >= 0 && width <= (v6 ? kBroadPrefix6 : kBroadPrefix4) && pass_qualifier(q) && !p.stopped)
      p.pass_wide = true;
  } else if (name == "ip4" || name == "ip6") {
    why = ip_mech(name, arg, q, &out, p);
  } else {
    return "unknown mechanism";
  }
  if (why.empty()) p.seen++;
  if (why.empty() && !out.empty() && !(p.stopped && p.client && name != "ip4" && name != "ip6"))
    p.directives.push_back(q + out);
  return why;
}

// A modifier (name "=" ...) or nullopt when the term is not one.
std::optional<std::string> modifier(std::string_view term, Parsed& p) {
  std::size_t end = 0;
  while (end < term.size() && (is_alnum(term[end]) || term[end] == '-' || term[end] == '_' || term[end] == '.')) ++end;
  if (end == 0 || end >= term.size() || term[end] != '=' || !is_alpha(term[0])) return std::nullopt;
  std::string name = lower(term.substr(0, end));
  std::string_view value = term.substr(end + 1);
  if (name == "redirect" || name == "exp") {
    if (!domain_spec(value)) return std::string("bad domain-spec");
    (name == "redirect" ? p.redirect : p.exp) = std::string(value);
    return ++(name == "redirect" ? p.redirects : p.exps) > 1 ? std::string(name + " given twice") : "";
  }
  bool macro_end = false;
  return macro_string(value, true, &macro_end) ? "" : std::string("bad macro-string");
}

RecordCheck check(std::string_view rec, bool client_v6, const IpAddress* client) {
  RecordCheck r;
  if (rec.size() < 6 || lower(rec.substr(0, 6)) != "v=spf1" || (rec.size() > 6 && rec[6] != ' ')) {
    r.why = "not an SPF version 1 record";
    return r;
  }
  Parsed p;
  p.client = client;
  std::string_view rest = rec.substr(6);
  while (!rest.empty()) {
    auto sp = rest.find(' ');
    std::string_view term = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    if (term.empty()) continue;
    auto m = modifier(term, p);
    std::string why = m ? *m : directive(term, client_v6, p);
    if (!why.empty()) {
      r.why = fail_why(why, term);
      return r;
    }
  }
  r.rewritten = "v=spf1";
  for (const auto& d : p.directives) r.rewritten += " " + d;
  r.mechanisms = static_cast<int>(p.directives.size());
  if (!p.exp.empty()) r.rewritten += " exp=" + p.exp;
  if (!p.redirect.empty() && !p.has_all) {
    r.rewritten += " redirect=" + p.redirect;
    r.mechanisms++;  // libspf2 compiles redirect= as a mechanism
  }
  r.pruned = p.pruned;
  if (client) r.broad = p.stopped ? p.matched_broad : p.pass_wide;
  r.neutral_only = p.neutral_all && p.seen == 1 && p.redirect.empty();
  r.ok = true;
  return r;
}

}  // namespace

RecordCheck check_record(std::string_view rec, bool client_v6) { return check(rec, client_v6, nullptr); }

RecordCheck check_record(std::string_view rec, const IpAddress& client) {
  return check(rec, !client.is_v4(), &client);
}

std::string a0_marker(bool mx, bool v6) {
  return std::string(mx ? "mx0-" : "a0-") + (v6 ? "6" : "4") + std::string(kMarkerZone);
}

bool parse_a0_marker(std::string_view name, std::string* kind, std::string* domain) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  for (const char* k : {"a", "mx"})
    for (bool v6 : {false, true}) {
      std::string m = "." + a0_marker(std::string_view(k) == "mx", v6);
      if (name.size() > m.size() && iequals(name.substr(name.size() - m.size()), m)) {
        *kind = std::string(k) + (v6 ? "6" : "4");
        *domain = std::string(name.substr(0, name.size() - m.size()));
        return true;
      }
    }
  return false;
}

}  // namespace legit::spf
