// headers.cc — formatting of X-Legit-Score and Authentication-Results (RFC
// 8601), recognising forged copies, quoting untrusted text (headers.h).
//
// Every byte we emit goes through token/quoted-string/comment escaping, so a
// value from a client or from DNS can never end a header early or inject one.
#include "legit/headers.h"

#include <cstdio>

#include "names.h"

namespace legit {

const char* const kScoreHeader = "X-Legit-Score";
const char* const kArHeader = "Authentication-Results";

namespace {

constexpr std::size_t kFoldAt = 78;
const char* const kFold = "\n\t";  // what libmilter/Postfix expect inside a value

bool printable(char c) { return c >= 0x20 && c < 0x7f; }

// RFC 2045 token: printable ASCII except SPACE and tspecials.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!printable(c) || c == ' ') return false;
    if (std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos) return false;
  }
  return true;
}

bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string quoted_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (!printable(c)) continue;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// pvalue = value / [ [ local-part ] "@" ] domain-name   (RFC 8601 §2.2)
std::string pvalue(std::string_view s) {
  if (is_token(s)) return std::string(s);
  auto at = s.rfind('@');
  if (at != std::string_view::npos && is_hostname(s.substr(at + 1)) &&
      (at == 0 || is_dot_atom(s.substr(0, at))))
    return std::string(s);
  return quoted_string(s);
}

std::string comment(std::string_view s) {
  std::string out = "(";
  for (char c : s) {
    if (!printable(c)) continue;
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += c;
  }
  return out + ")";
}

// Joins words with single spaces, folding before a word that would pass
// kFoldAt columns; `used` is what the line already holds ("Name: ").
std::string fold(const std::vector<std::string>& words, std::size_t used) {
  std::string out;
  std::size_t col = used;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto& w = words[i];
    if (i > 0) {
      if (col + 1 + w.size() > kFoldAt) {
        out += kFold;
        col = 8;  // a TAB counts as up to 8 columns
      } else {
        out += ' ';
        col += 1;
      }
    }
    out += w;
    col += w.size();
  }
  return out;
}

}  // namespace

std::string format_score_header(const Verdict& v, bool dry_run) {
  std::vector<std::string> words;
  words.push_back(format_points(v.score));
  if (dry_run && v.action != Action::accept)
    words.push_back(std::string("(accept; dry-run would ") + to_string(v.action) + ")");
  else
    words.push_back(std::string("(") + to_string(v.action) + ")");
  for (const auto& item : v.items) {
    std::string w = item.finding.check + "=" + item.finding.result;
    for (auto& c : w)
      if (!printable(c) || c == ' ') c = '_';
    words.push_back(w + "(" + format_points(item.points) + ")");
  }
  return fold(words, std::string(kScoreHeader).size() + 2);
}

std::string format_ar_header(std::string_view authserv_id, const std::vector<ArEntry>& entries) {
  std::vector<std::string> words;
  std::string id = pvalue(authserv_id);
  if (entries.empty()) {
    words.push_back(id + ";");
    words.push_back("none");
    return fold(words, std::string(kArHeader).size() + 2);
  }
  words.push_back(id + ";");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    std::vector<std::string> part;
    part.push_back(e.method + "=" + e.result);
    if (!e.reason.empty()) part.push_back(comment(e.reason));
    for (const auto& [k, val] : e.props) part.push_back(k + "=" + pvalue(val));
    if (i + 1 < entries.size()) part.back() += ";";
    words.insert(words.end(), part.begin(), part.end());
  }
  return fold(words, std::string(kArHeader).size() + 2);
}

std::string ar_authserv_id(std::string_view v) {
  std::size_t i = 0;
  // Skip CFWS: white space, line breaks and (nested) comments.
  for (;;) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n')) ++i;
    if (i < v.size() && v[i] == '(') {
      int depth = 0;
      for (; i < v.size(); ++i) {
        if (v[i] == '\\') { ++i; continue; }
        if (v[i] == '(') ++depth;
        if (v[i] == ')' && --depth == 0) { ++i; break; }
      }
      continue;
    }
    break;
  }
  std::string id;
  if (i < v.size() && v[i] == '"') {
    for (++i; i < v.size() && v[i] != '"'; ++i) {
      if (v[i] == '\\' && i + 1 < v.size()) ++i;
      id += v[i];
    }
    return id;
  }
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (c == ';' || c == ' ' || c == '\t' || c == '(' || c == '\r' || c == '\n') break;
    id += c;
  }
  return id;
}

bool is_forged(std::string_view name, std::string_view value, std::string_view authserv_id) {
  if (iequals(name, kScoreHeader)) return true;
  if (!iequals(name, kArHeader)) return false;
  std::string id = ar_authserv_id(value);
  return !id.empty() && iequals(normalize_name(id), normalize_name(authserv_id));
}

std::string quote_untrusted(std::string_view s, std::size_t max) {
  static const char* hex = "0123456789abcdef";
  bool cut = s.size() > max;
  if (cut) s = s.substr(0, max);
  std::string out;
  out.reserve(s.size() + (cut ? 3 : 0));
  std::size_t plain = 0;  // start of the run of bytes copied as they are
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c != '\\' && printable(char(c))) continue;
    out.append(s, plain, i - plain);
    plain = i + 1;
    if (c == '\\') {
      out += "\\\\";
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  out.append(s, plain, s.size() - plain);
  if (cut) out += "...";
  return out;
}

}  // namespace legit
