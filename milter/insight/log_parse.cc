// log_parse.cc — parse_log_line (log_record.h): our log lines back into
// fields, tolerant to the prefix (syslog, ISO, none) and to both generations
// of keys. Works on string_views of the caller's line only; every find is
// bounds-checked by string_view itself.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>

#include "log_record.h"

namespace legit::insight {
namespace {

using SV = std::string_view;
constexpr auto npos = SV::npos;

bool digits(SV s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

int num(SV s) {  // digits only, capped
  int v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    v = v * 10 + (c - '0');
    if (v > 100000000) break;
  }
  return v;
}

std::optional<double> to_double(SV s) {
  if (s.empty() || s.size() > 30) return std::nullopt;
  std::string copy(s);
  char* end = nullptr;
  double d = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || d != d) return std::nullopt;
  return d;
}

// "Nov 28 16:00:01" at the start of `s`, local time in ctx.year.
std::optional<std::int64_t> syslog_time(SV s, const ParseContext& ctx) {
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() < 15 || s[3] != ' ' || s[6] != ' ' || s[9] != ':' || s[12] != ':') return std::nullopt;
  int mon = -1;
  for (int i = 0; i < 12; ++i)
    if (s.substr(0, 3) == months[i]) mon = i;
  SV day = s.substr(4, 2);
  if (day[0] == ' ') day.remove_prefix(1);
  if (mon < 0 || !digits(day) || !digits(s.substr(7, 2)) || !digits(s.substr(10, 2)) ||
      !digits(s.substr(13, 2)))
    return std::nullopt;
  for (int back = 0; back < 2; ++back) {
    std::tm tm{};
    tm.tm_year = ctx.year - back - 1900;
    tm.tm_mon = mon;
    tm.tm_mday = num(day);
    tm.tm_hour = num(s.substr(7, 2));
    tm.tm_min = num(s.substr(10, 2));
    tm.tm_sec = num(s.substr(13, 2));
    tm.tm_isdst = -1;
    std::int64_t t = std::mktime(&tm);
    if (ctx.now == 0 || t <= ctx.now + 86400) return t;
  }
  return std::nullopt;
}

// Splits off the token up to `stop` (not included); advances `s` past it.
SV take_until(SV& s, char stop) {
  auto p = s.find(stop);
  SV out = s.substr(0, p);
  s.remove_prefix(p == npos ? s.size() : p + 1);
  return out;
}

// The tail of a scored line, token by token: score=, action=, dry-run=,
// "(dry-run, would X)", forged-removed=, eom-ms=, dns-lookups=, and the
// checks as checks=check:result(points),... or (older) check=result(points).
void parse_scored_tail(SV tail, LogRecord& r) {
  while (!tail.empty()) {
    while (!tail.empty() && tail.front() == ' ') tail.remove_prefix(1);
    SV tok = take_until(tail, ' ');
    if (tok.empty()) continue;
    if (tok == "(dry-run,") {
      r.dry_run = true;
      take_until(tail, ' ');  // "would"
      SV act = take_until(tail, ' ');
      if (!act.empty() && act.back() == ')') act.remove_suffix(1);
      r.action = std::string(act);
      continue;
    }
    auto eq = tok.find('=');
    if (eq == npos || eq == 0) continue;
    SV key = tok.substr(0, eq), val = tok.substr(eq + 1);
    if (key == "score") {
      if (auto d = to_double(val)) r.score = *d;
    } else if (key == "action") {
      if (!r.dry_run) r.action = std::string(val);
    } else if (key == "dry-run") {
      r.dry_run = true;
      r.action = std::string(val);
    } else if (key == "eom-ms") {
      if (auto d = to_double(val)) r.eom_ms = *d;
    } else if (key == "dns-lookups") {
      if (digits(val)) r.dns_lookups = num(val);
    } else if (key == "checks") {  // checks=iprev:pass(1),helo:bare-ip(-2.5)
      while (!val.empty()) {
        SV item = take_until(val, ',');
        auto colon = item.find(':'), open = item.rfind('(');
        if (colon == npos || open == npos || open < colon || item.back() != ')') continue;
        CheckHit hit{std::string(item.substr(0, colon)), std::string(item.substr(colon + 1, open - colon - 1)), 0};
        if (auto d = to_double(item.substr(open + 1, item.size() - open - 2))) hit.points = *d;
        if (r.checks.size() < 64) r.checks.push_back(std::move(hit));
      }
    } else if (val.size() > 2 && val.back() == ')' && val.find('(') != npos) {
      auto open = val.rfind('(');
      CheckHit hit{std::string(key), std::string(val.substr(0, open)), 0};
      if (auto d = to_double(val.substr(open + 1, val.size() - open - 2))) hit.points = *d;
      if (r.checks.size() < 64) r.checks.push_back(std::move(hit));
    }
  }
}

// The probe part after "probe: ".
void parse_probe(SV rest, LogRecord& r) {
  r.probe = std::string(take_until(rest, ' '));
  if (r.probe == "unknown-command" && !rest.empty() && rest.front() == '"') {
    rest.remove_prefix(1);
    r.command = std::string(take_until(rest, '"'));
    r.count = 1;
  }
  while (!rest.empty()) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    SV tok = take_until(rest, ' ');
    auto eq = tok.find('=');
    if (eq == npos) continue;
    SV key = tok.substr(0, eq), val = tok.substr(eq + 1);
    if (key == "count" || key == "mail") r.count = num(val);
    else if (key == "iprev") r.iprev = std::string(val);
    else if (key == "ptr") r.ptr = std::string(val);
  }
}

}  // namespace

std::optional<std::int64_t> parse_time(SV s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !digits(s.substr(0, 4)) ||
      !digits(s.substr(5, 2)) || !digits(s.substr(8, 2)))
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = num(s.substr(0, 4)) - 1900;
  tm.tm_mon = num(s.substr(5, 2)) - 1;
  tm.tm_mday = num(s.substr(8, 2));
  SV rest = s.substr(10);
  if (!rest.empty() && (rest[0] == 'T' || rest[0] == ' ') && rest.size() >= 6 && rest[3] == ':' &&
      digits(rest.substr(1, 2)) && digits(rest.substr(4, 2))) {
    tm.tm_hour = num(rest.substr(1, 2));
    tm.tm_min = num(rest.substr(4, 2));
    rest.remove_prefix(6);
    if (rest.size() >= 3 && rest[0] == ':' && digits(rest.substr(1, 2))) {
      tm.tm_sec = num(rest.substr(1, 2));
      rest.remove_prefix(3);
    }
    if (!rest.empty() && (rest[0] == '.' || rest[0] == ',')) {
      rest.remove_prefix(1);
      while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest[0]))) rest.remove_prefix(1);
    }
  }
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60)
    return std::nullopt;
  if (!rest.empty() && (rest[0] == 'Z' || rest[0] == '+' || rest[0] == '-')) {
    int offset = 0;
    if (rest[0] != 'Z') {
      SV z = rest.substr(1);
      if (z.size() < 4) return std::nullopt;
      SV hh = z.substr(0, 2), mm = z[2] == ':' ? z.substr(3, 2) : z.substr(2, 2);
      if (!digits(hh) || !digits(mm)) return std::nullopt;
      offset = (num(hh) * 60 + num(mm)) * 60 * (rest[0] == '-' ? -1 : 1);
    }
    return static_cast<std::int64_t>(timegm(&tm)) - offset;
  }
  tm.tm_isdst = -1;
  return static_cast<std::int64_t>(std::mktime(&tm));
}

std::optional<LogRecord> parse_log_line(SV line, const ParseContext& ctx) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  auto cl = line.find(": client=");
  if (cl == npos) return std::nullopt;
  auto qstart = line.rfind(' ', cl);
  qstart = qstart == npos ? 0 : qstart + 1;
  if (qstart >= cl) return std::nullopt;
  LogRecord r;
  r.queue_id = std::string(line.substr(qstart, cl - qstart));
  SV prefix = line.substr(0, qstart);
  if (!prefix.empty()) r.time = std::isdigit(static_cast<unsigned char>(prefix[0])) ? parse_time(prefix)
                                                                                      : syslog_time(prefix, ctx);

  SV rest = line.substr(cl + 9);  // after ": client="
  auto helo = rest.find(" helo=<");
  if (helo == npos) return std::nullopt;
  SV client = rest.substr(0, helo);
  auto lb = client.rfind('[');
  if (lb != npos && client.back() == ']') {
    r.client_name = std::string(client.substr(0, lb));
    r.client_ip = std::string(client.substr(lb + 1, client.size() - lb - 2));
  } else {
    r.client_name = std::string(client);
  }
  rest.remove_prefix(helo + 7);  // after " helo=<"

  if (auto probe = rest.find("> probe: "); probe != npos && rest.find("> from=<") == npos) {
    r.kind = LogRecord::Kind::probe;
    r.helo = std::string(rest.substr(0, probe));
    parse_probe(rest.substr(probe + 9), r);
    return r;
  }
  auto from = rest.find("> from=<");
  if (from == npos) return std::nullopt;
  r.helo = std::string(rest.substr(0, from));
  rest.remove_prefix(from + 8);  // after "> from=<"

  // The tail the client cannot write, found from the right.
  auto score = rest.rfind(" score=");
  auto reason = rest.rfind(" reason=");
  auto trusted = rest.rfind(" trusted-network, not scored");
  auto authd = rest.rfind(" authenticated=");
  auto after = [&](std::size_t p) { return p != npos && (score == npos || p > score); };
  std::size_t end;
  if (after(reason) || after(trusted) || after(authd)) {
    r.kind = LogRecord::Kind::unscored;
    end = std::min({reason, trusted, authd});
    // "from=<..> action=accept reason=trusted": the tail starts at action=.
    if (auto act = rest.rfind(" action=", end); reason == end && act != npos && rest.find(' ', act + 1) == end)
      end = act;
    SV why = reason != npos ? rest.substr(reason + 8) : SV();
    r.reason = trusted != npos ? "trusted" : authd != npos ? "authenticated" : std::string(take_until(why, ' '));
  } else if (score != npos) {
    end = score;
    parse_scored_tail(rest.substr(score + 1), r);
  } else {
    return std::nullopt;
  }
  SV f = rest.substr(0, end);
  if (!f.empty() && f.back() == '>') f.remove_suffix(1);
  r.from = std::string(f);
  return r;
}

}  // namespace legit::insight
