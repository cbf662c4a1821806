// report.cc — Report::add (report.h): one parsed log record into the
// tables, and the helpers the renderers share. Bounded memory (see report.h).
#include "report.h"

#include <algorithm>
#include <cmath>
#include <ctime>

namespace legit::insight {
namespace {

constexpr std::size_t kMaxLatencies = 1000000;

void bump(std::map<std::string, int>& m, const std::string& key) {
  auto it = m.find(key);
  if (it != m.end()) ++it->second;
  else if (m.size() < Report::kMaxKeys) m.emplace(key, 1);
  else ++m["(other)"];
}

std::string domain_of(const std::string& addr) {
  if (addr.empty()) return "<>";
  auto at = addr.rfind('@');
  std::string d = at == std::string::npos ? addr : addr.substr(at + 1);
  std::transform(d.begin(), d.end(), d.begin(), [](unsigned char c) { return std::tolower(c); });
  return d;
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
  if (r.time) {
    if (!first || *r.time < *first) first = r.time;
    if (!last || *r.time > *last) last = r.time;
  }
  std::map<std::string, int>* hour = nullptr;
  std::map<std::string, int>* minute = nullptr;
  if (r.time) {
    hour = &hours[*r.time - *r.time % 3600];
    if (minutes.size() < kMaxKeys || minutes.count(*r.time - *r.time % 60)) minute = &minutes[*r.time - *r.time % 60];
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
    bump(bad_domains, domain_of(r.from));
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

std::optional<double> percentile(std::vector<double> v, double q) {
  if (v.empty()) return std::nullopt;
  auto k = static_cast<std::size_t>(std::ceil(q * v.size()));
  k = std::clamp<std::size_t>(k, 1, v.size()) - 1;
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

std::string format_time(std::int64_t t, const char* fmt) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}

std::vector<SlowSender> slow_senders(const Report& r) {
  std::vector<SlowSender> out;
  for (const auto& [ip, c] : r.cost) {
    auto name = r.client_names.find(ip);
    out.push_back({ip, name == r.client_names.end() ? "" : name->second, c.messages, c.sum_ms / c.messages, c.max_ms,
                   c.with_lookups ? static_cast<double>(c.sum_lookups) / c.with_lookups : 0});
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.mean_ms > b.mean_ms; });
  if (static_cast<int>(out.size()) > r.opt.top) out.resize(static_cast<std::size_t>(r.opt.top));
  return out;
}

int scored_total(const Report& r) {
  int n = 0;
  for (const auto& [a, c] : r.actions) n += c;
  return n;
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
