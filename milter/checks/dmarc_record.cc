// dmarc_record.cc — DMARC record and RFC5322.From parsing (dmarc_record.h).
#include "dmarc_record.h"

#include <algorithm>
#include <charconv>

#include "../core/names.h"
#include "legit/headers.h"

namespace legit::dmarc {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<Policy> policy_of(std::string_view v) {
  std::string l = lower(v);
  if (l == "none") return Policy::none;
  if (l == "quarantine") return Policy::quarantine;
  if (l == "reject") return Policy::reject;
  return std::nullopt;
}

// "r" → false, "s" → true, anything else → nullopt.
std::optional<bool> strictness(std::string_view v) {
  std::string l = lower(v);
  if (l == "r") return false;
  if (l == "s") return true;
  return std::nullopt;
}

std::optional<int> percent(std::string_view v) {
  int n = -1;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 0 || n > 100) return std::nullopt;
  return n;
}

std::string bad(std::string_view tag, std::string_view value) {
  return "invalid " + std::string(tag) + "=" + quote_untrusted(value, 40);
}

// Applies one tag to the record; returns an error text or "".
std::string apply(Record& r, const std::string& tag, std::string_view val, bool& have_p) {
  if (tag == "p") {
    auto p = policy_of(val);
    if (!p) return bad(tag, val);
    r.p = *p;
    have_p = true;
  } else if (tag == "sp") {
    if (!(r.sp = policy_of(val))) return bad(tag, val);
  } else if (tag == "adkim" || tag == "aspf") {
    auto s = strictness(val);
    if (!s) return bad(tag, val);
    (tag == "adkim" ? r.strict_dkim : r.strict_spf) = *s;
  } else if (tag == "pct") {
    auto n = percent(val);
    if (!n) return bad(tag, val);
    r.pct = *n;
  } else if (tag == "t") {
    r.testing = lower(val) == "y";  // anything but y reads as n
  }
  return "";
}

}  // namespace

const char* to_string(Policy p) {
  switch (p) {
    case Policy::quarantine: return "quarantine";
    case Policy::reject: return "reject";
    default: return "none";
  }
}

Policy applied_policy(const Record& r, bool subdomain) {
  Policy p = subdomain && r.sp ? *r.sp : r.p;
  if (r.pct >= 50 && !r.testing) return p;
  return p == Policy::reject ? Policy::quarantine : Policy::none;
}

bool is_dmarc_record(std::string_view txt) {
  std::string_view first = trim(txt.substr(0, txt.find(';')));
  auto eq = first.find('=');
  if (eq == std::string_view::npos) return false;
  return trim(first.substr(0, eq)) == "v" && trim(first.substr(eq + 1)) == "DMARC1";
}

ParsedRecord parse_record(std::string_view txt) {
  ParsedRecord out;
  if (!is_dmarc_record(txt)) {
    out.error = "not a DMARC1 record";
    return out;
  }
  Record r;
  bool have_p = false, have_rua = false;
  std::string p_error;
  std::size_t pos = txt.find(';');
  while (pos != std::string_view::npos && pos < txt.size()) {
    std::size_t end = txt.find(';', pos + 1);
    std::string_view item = trim(txt.substr(pos + 1, end == std::string_view::npos ? end : end - pos - 1));
    pos = end;
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string_view::npos) continue;  // not a tag: ignored like unknown tags
    std::string tag = lower(trim(item.substr(0, eq)));
    std::string_view val = trim(item.substr(eq + 1));
    if (tag == "rua" && val.find(':') != std::string_view::npos) have_rua = true;
    std::string err = apply(r, tag, val, have_p);
    if (err.empty()) continue;
    if (tag != "p") {
      out.error = err;
      return out;
    }
    p_error = err;
  }
  if (!have_p && !have_rua) {
    out.error = p_error.empty() ? "no p= tag" : p_error;
    return out;
  }
  if (!have_p) r.p = Policy::none;  // §6.6.3 step 6: rua= present
  out.record = r;
  return out;
}

namespace {

// Splits an address list into addresses, comments dropped, quoted strings
// kept, group names ("name:") and group ends (";") removed (RFC 5322 §3.4).
// A second angle address in one mailbox ("PayPal" <a@paypal.com> <x@evil>,
// not RFC 5322: clients show either) makes both addresses.
std::vector<std::string> addresses(std::string_view v) {
  std::vector<std::string> out;
  std::string cur, last_angle;  // last_angle: the mailbox's angle address so far
  int comment = 0;
  bool quoted = false, angle = false;
  for (std::size_t i = 0; i < v.size(); i++) {
    char c = v[i];
    if (c == '\\' && (quoted || comment) && i + 1 < v.size()) {
      if (!comment) cur += {c, v[i + 1]};
      i++;
    } else if (comment) {
      comment += c == '(' ? 1 : c == ')' ? -1 : 0;
    } else if (quoted) {
      cur += c;
      quoted = c != '"';
    } else if (c == '"' || c == '(') {
      if (c == '"') cur += c;
      quoted = c == '"';
      comment = c == '(';
    } else if (c == '<' || c == '>') {
      if (c == '<' && !last_angle.empty()) out.emplace_back(last_angle);  // a second angle address
      if (c == '>' && angle) last_angle = trim(cur);
      if (c == '<') cur.clear();  // the display name is not the address
      angle = c == '<';
    } else if (!angle && (c == ',' || c == ';' || c == ':')) {
      if (c != ':' && !trim(cur).empty()) out.emplace_back(trim(cur));
      cur.clear();
      last_angle.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty()) out.emplace_back(trim(cur));
  return out;
}

// The domain of one address if it is a valid host name with a dot, else "".
std::string address_domain(std::string_view addr) {
  auto at = addr.rfind('@');
  std::string dom = at == std::string::npos ? "" : dns_domain(trim(addr.substr(at + 1)));
  return is_hostname(dom) && dom.find('.') != std::string::npos ? dom : "";
}

}  // namespace

std::vector<std::string> author_domains(std::string_view value) {
  std::vector<std::string> out;
  for (const auto& a : addresses(value)) {
    std::string d = address_domain(a);
    if (!d.empty() && std::find(out.begin(), out.end(), d) == out.end()) out.push_back(std::move(d));
  }
  return out;
}

FromDomain from_domain(const std::vector<std::string>& from_values) {
  return from_domain(from_values.empty() ? std::string_view() : std::string_view(from_values.front()),
                     from_values.size());
}

FromDomain from_domain(std::string_view v, std::size_t count) {
  FromDomain f;
  if (count != 1) {
    f.error = count == 0 ? "no From header" : std::to_string(count) + " From headers";
    return f;
  }
  for (std::size_t i = 0; i < v.size(); i++) {
    bool fold = v[i] == '\n' && i + 1 < v.size() && (v[i + 1] == ' ' || v[i + 1] == '\t');
    bool crlf_fold = v[i] == '\r' && i + 1 < v.size() && v[i + 1] == '\n';
    if (v[i] == '\0' || (v[i] == '\n' && !fold) || (v[i] == '\r' && !crlf_fold)) {
      f.error = "From header holds a NUL or a bare line break";
      return f;
    }
  }
  auto addrs = addresses(v);
  if (addrs.size() != 1) {
    f.error = addrs.empty() ? "From has no address" : "From has " + std::to_string(addrs.size()) + " addresses";
    return f;
  }
  std::string dom = address_domain(addrs.front());
  if (dom.empty()) {
    f.error = "From address " + quote_untrusted(addrs.front(), 80) + " has no valid domain";
    return f;
  }
  f.domain = dom;
  return f;
}

}  // namespace legit::dmarc
