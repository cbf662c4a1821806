// report.cc — Report::add (report.h): one parsed log record into the
// tables; Report::finish: the totals every rendering shows; and the helpers
// the renderers share. Bounded memory (see report.h).
#include "report.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "legit/us.h"

namespace legit::insight {
namespace {

constexpr std::size_t kMaxLatencies = 1000000;

void bump(std::map<std::string, int>& m, const std::string& key) {
  auto it = m.find(key);
  if (it != m.end()) ++it->second;
  else if (m.size() < Report::kMaxKeys) m.emplace(key, 1);
  else ++m["(other)"];
}

// The sender's domain as the offenders table shows it: "<>" for the null
// sender, "(none)" for an address without one.
std::string sender_domain(const std::string& from) {
  if (from.empty()) return "<>";
  std::string d = rcpt_domain(from);
  return d.empty() ? "(none)" : d;
}

// Seconds east of UTC of the local zone at t (TZ; DST included).
std::int64_t utc_offset(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  return tm.tm_gmtoff;
}

}  // namespace

void Report::add_line(std::string_view line, const ParseContext& ctx) {
  ++lines;
  if (auto r = parse_log_line(line, ctx)) add(*r);
}

void Report::add(const LogRecord& r) {
  if ((opt.since || opt.until) &&
      (!r.time || (opt.since && *r.time < *opt.since) || (opt.until && *r.time >= *opt.until))) {
    ++skipped;
    return;
  }
  ++ours;
  finished_ = false;
  if (r.time) {
    if (!first || *r.time < *first) first = r.time;
    if (!last || *r.time > *last) last = r.time;
  }
  std::map<std::string, int>* hour = nullptr;
  std::map<std::string, int>* minute = nullptr;
  if (r.time) {
    hour = &hours[local_floor(*r.time, 3600)];
    std::int64_t m = local_floor(*r.time, 60);
    if (minutes.size() < kMaxKeys || minutes.count(m)) minute = &minutes[m];
  }
  auto count_at = [&](const std::string& what) {
    if (hour) ++(*hour)[what];
    if (minute) ++(*minute)[what];
  };
  if (!r.client_ip.empty() && client_names.size() < kMaxKeys) client_names[r.client_ip] = r.client_name;

  switch (r.kind) {
    case LogRecord::Kind::unscored:
      bump(unscored, r.reason.empty() ? "unknown" : r.reason);
      count_at("unscored");
      return;
    case LogRecord::Kind::probe: {
      bump(probe_kinds, r.probe);
      count_at("probe:" + r.probe);
      auto it = probes.find(r.client_ip);
      if (it == probes.end() && probes.size() >= kMaxKeys) return;
      ProbeClient& p = probes[r.client_ip];
      p.name = r.client_name;
      ++p.total;
      ++p.kinds[r.probe];
      if (!r.command.empty() && p.commands.size() < 20) p.commands[r.command] += std::max(1, r.count);
      if (r.time && p.times.size() < kMaxTimes) p.times.push_back(*r.time);
      return;
    }
    case LogRecord::Kind::message:
      break;
  }
  const std::string action = r.action.empty() ? "unknown" : r.action;
  bump(actions, action);
  if (r.dry_run) ++dry_run;
  count_at(action);
  double s = std::clamp(r.score, -1000.0, 1000.0);
  ++scores[static_cast<int>(std::floor(s))][action];
  for (const auto& c : r.checks) {
    if (c.points >= 0) continue;
    std::string key = c.check + ":" + c.result;
    bump(fired, key);
    // Only kept keys have points (fired_points stays as bounded as fired);
    // the spill-over row "(other)" mixes checks, so it shows 0.
    if (fired.count(key)) fired_points[key] = c.points;
    else fired_points.emplace("(other)", 0.0);
  }
  if (action != "accept" && action != "unknown") {
    bump(bad_clients, r.client_ip.empty() ? "(none)" : r.client_ip);
    bump(bad_helos, r.helo.empty() ? "(none)" : r.helo);
    bump(bad_domains, sender_domain(r.from));
    auto w = bad_worst.find(r.client_ip);
    if (w != bad_worst.end()) w->second = std::min(w->second, r.score);
    else if (bad_worst.size() < kMaxKeys) bad_worst.emplace(r.client_ip, r.score);
  }
  if (r.eom_ms >= 0 && eom_ms.size() < kMaxLatencies) {
    eom_ms.push_back(r.eom_ms);
    if (r.dns_lookups >= 0) dns_lookups.push_back(r.dns_lookups);
    if (cost.size() < kMaxKeys || cost.count(r.client_ip)) {
      auto& c = cost[r.client_ip];
      ++c.messages;
      c.sum_ms += r.eom_ms;
      c.max_ms = std::max(c.max_ms, r.eom_ms);
      if (r.dns_lookups >= 0) c.sum_lookups += r.dns_lookups, ++c.with_lookups;
    }
    SlowMessage m{r.eom_ms, r.dns_lookups, r.queue_id, r.client_ip, r.client_name, r.helo, action, r.time};
    auto pos = std::upper_bound(slowest.begin(), slowest.end(), m,
                                [](const auto& a, const auto& b) { return a.eom_ms > b.eom_ms; });
    if (pos - slowest.begin() < opt.top) {
      slowest.insert(pos, std::move(m));
      if (static_cast<int>(slowest.size()) > opt.top) slowest.pop_back();
    }
  }
}

std::vector<std::pair<std::string, int>> top_of(const std::map<std::string, int>& m, int n) {
  std::vector<std::pair<std::string, int>> v(m.begin(), m.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (n >= 0 && static_cast<int>(v.size()) > n) v.resize(n);
  return v;
}

std::optional<double> percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::nullopt;
  auto k = static_cast<std::size_t>(std::ceil(q * sorted.size()));
  return sorted[std::clamp<std::size_t>(k, 1, sorted.size()) - 1];
}

std::string format_time(std::int64_t t, const char* fmt) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}

// The boundary is where the local clock reads a multiple of the step in the
// offset of the boundary itself, which differs from t's across a DST change
// (noon after the clocks went back: midnight was in summer time).
std::int64_t local_floor(std::int64_t t, std::int64_t step) {
  std::int64_t off = utc_offset(t), start = t;
  for (int i = 0; i < 3; ++i) {
    start = t - ((t + off) % step + step) % step;
    std::int64_t at_start = utc_offset(start);
    if (at_start == off) break;
    off = at_start;
  }
  return start;
}

// Half a step past the next boundary, then down to it: right across a DST
// change, when the local day (hour) lasts 23 or 25 hours (0 or 2).
std::int64_t local_next(std::int64_t start, std::int64_t step) {
  return local_floor(start + step + step / 2, step);
}

void Report::finish() {
  Totals t;
  for (const auto& [a, c] : actions) t.scored += c;
  for (const auto& [why, n] : unscored) t.unscored += n;
  for (const auto& [k, n] : probe_kinds) t.probes += n;
  for (const auto& [s, by] : scores)
    for (const auto& [a, c] : by) t.per_score[s] += c;
  std::sort(eom_ms.begin(), eom_ms.end());
  t.p50_ms = percentile(eom_ms, 0.5);
  t.p90_ms = percentile(eom_ms, 0.9);
  t.p99_ms = percentile(eom_ms, 0.99);
  if (!dns_lookups.empty()) {
    double sum = 0;
    for (int d : dns_lookups) sum += d;
    t.lookups_mean = sum / dns_lookups.size();
  }
  std::map<std::string, int> by_client;
  for (const auto& [ip, p] : probes) by_client[ip] = p.total;
  t.probers = top_of(by_client, opt.top);
  for (const auto& [ip, c] : cost) {
    auto name = client_names.find(ip);
    t.slow_senders.push_back({ip, name == client_names.end() ? "" : name->second, c.messages, c.sum_ms / c.messages,
                              c.max_ms, c.with_lookups ? static_cast<double>(c.sum_lookups) / c.with_lookups : 0});
  }
  std::stable_sort(t.slow_senders.begin(), t.slow_senders.end(),
                   [](const auto& a, const auto& b) { return a.mean_ms > b.mean_ms; });
  if (static_cast<int>(t.slow_senders.size()) > opt.top) t.slow_senders.resize(static_cast<std::size_t>(opt.top));
  totals_ = std::move(t);
  finished_ = true;
}

// "ehlo-quit x12, every ~5 min" / "unknown-command "." x30, bursts of up to 10 a minute".
std::string probe_pattern(const ProbeClient& p) {
  std::string out;
  for (const auto& [kind, n] : top_of(p.kinds, 3)) {
    if (!out.empty()) out += ", ";
    out += kind + " x" + std::to_string(n);
    if (kind == "unknown-command" && !p.commands.empty())
      out += " (\"" + top_of(p.commands, 1)[0].first + "\")";
  }
  std::vector<std::int64_t> t = p.times;
  std::sort(t.begin(), t.end());
  if (t.size() < 2) return out;
  std::vector<double> gaps;
  std::size_t burst = 1;
  for (std::size_t i = 1, lo = 0; i < t.size(); ++i) {
    gaps.push_back(static_cast<double>(t[i] - t[i - 1]));
    while (t[i] - t[lo] >= 60) ++lo;
    burst = std::max(burst, i - lo + 1);
  }
  std::sort(gaps.begin(), gaps.end());
  double median = *percentile(gaps, 0.5);
  if (burst >= 3) out += "; bursts of up to " + std::to_string(burst) + " a minute";
  if (median >= 60) {
    char buf[64];
    if (median < 3600) std::snprintf(buf, sizeof buf, "; every ~%.0f min", median / 60);
    else std::snprintf(buf, sizeof buf, "; every ~%.1f h", median / 3600);
    out += buf;
  } else if (burst < 3) {
    out += "; every ~" + std::to_string(static_cast<int>(median)) + " s";
  }
  return out;
}

}  // namespace legit::insight
