// report_text.cc — render_text (report.h): the report for a terminal, every
// table cut to --top rows, bars scaled to the largest row. Times are local
// (TZ); the first line names the zone.
#include <algorithm>
#include <cstdio>
#include <string>

#include "report.h"

namespace legit::insight {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string bar(int n, int max, int width = 40) {
  int len = max > 0 ? (n * width + max - 1) / max : 0;
  return std::string(static_cast<std::size_t>(std::clamp(len, 0, width)), '#');
}

std::string pad(std::string s, std::size_t w) {
  if (s.size() > w) s = s.substr(0, w - 3) + "...";
  return s + std::string(w - s.size(), ' ');
}

void table(std::string& out, const char* title, const std::vector<std::pair<std::string, int>>& rows) {
  out += std::string("  ") + title + ":\n";
  if (rows.empty()) out += "    (none)\n";
  for (const auto& [k, n] : rows) out += "    " + pad(k, 50) + " " + std::to_string(n) + "\n";
}

}  // namespace

std::string render_text(const Report& r) {
  const Totals& t = r.totals();
  std::string out = "legit-milter report: " + std::to_string(r.ours) + " of " + std::to_string(r.lines) +
                    " lines are ours";
  if (r.first && r.last) out += ", " + format_time(*r.first) + " .. " + format_time(*r.last, "%Y-%m-%d %H:%M %Z");
  if (r.skipped) out += " (" + std::to_string(r.skipped) + " outside --since/--until or without a time)";
  out += "\n\n";

  int scored = t.scored;
  out += "Messages: " + std::to_string(scored) + " scored";
  for (const auto& [why, n] : r.unscored) out += ", " + std::to_string(n) + " " + why;
  out += "\n";
  for (const char* a : {"accept", "quarantine", "reject", "tempfail"}) {
    int n = r.actions.count(a) ? r.actions.at(a) : 0;
    out += "  " + pad(a, 12) + fmt("%7.0f", n) + fmt("  %5.1f %%", scored ? 100.0 * n / scored : 0) + "\n";
  }
  if (r.dry_run) out += "  (" + std::to_string(r.dry_run) + " logged in dry-run: the action above was not applied)\n";

  out += "\nScore distribution (whole points, lowest first):\n";
  int max = 0;
  for (const auto& [s, n] : t.per_score) max = std::max(max, n);
  for (const auto& [s, n] : t.per_score) {
    out += "  " + fmt("%6.0f", s) + " " + fmt("%7.0f", n) + "  " + bar(n, max) + "\n";
  }

  out += "\nChecks that counted against senders (most frequent):\n";
  for (const auto& [k, n] : top_of(r.fired, r.opt.top))
    out += "  " + pad(k + " (" + fmt("%g", r.fired_points.at(k)) + ")", 40) + " " + std::to_string(n) + "\n";
  if (r.fired.empty()) out += "  (none)\n";

  out += "\nBelow the quarantine threshold (quarantined, rejected, tempfailed):\n";
  std::vector<std::pair<std::string, int>> clients;
  for (const auto& [ip, n] : top_of(r.bad_clients, r.opt.top)) {
    auto name = r.client_names.find(ip);
    std::string label = ip + (name != r.client_names.end() && name->second != "unknown" ? " (" + name->second + ")" : "");
    auto w = r.bad_worst.find(ip);
    if (w != r.bad_worst.end()) label += " worst " + fmt("%g", w->second);
    clients.emplace_back(label, n);
  }
  table(out, "clients", clients);
  table(out, "HELO names", top_of(r.bad_helos, r.opt.top));
  table(out, "sender domains", top_of(r.bad_domains, r.opt.top));

  out += "\nProbe sessions (connections without a message):";
  for (const auto& [k, n] : r.probe_kinds) out += " " + k + " " + std::to_string(n);
  out += "\n";
  for (const auto& [ip, n] : t.probers) {
    const auto& p = r.probes.at(ip);
    out += "  " + pad(ip + (p.name != "unknown" ? " (" + p.name + ")" : ""), 40) + " " + probe_pattern(p) + "\n";
  }

  out += "\nEnd-of-data latency";
  if (t.p50_ms) {
    out += ": p50 " + fmt("%.1f", *t.p50_ms) + " ms, p90 " + fmt("%.1f", *t.p90_ms) + " ms, p99 " +
           fmt("%.1f", *t.p99_ms) + " ms; DNS lookups per message " + fmt("%.1f", t.lookups_mean.value_or(0)) + "\n";
    out += "  slowest senders (mean):\n";
    for (const auto& c : t.slow_senders)
      out += "    " + fmt("%8.1f ms", c.mean_ms) + "  " + fmt("%5.1f lookups", c.mean_lookups) + "  " +
             pad(c.ip + (c.name.empty() || c.name == "unknown" ? "" : " (" + c.name + ")"), 50) + " " +
             std::to_string(c.messages) + " messages\n";
    out += "  slowest messages:\n";
    for (const auto& m : r.slowest)
      out += "    " + fmt("%8.1f ms", m.eom_ms) + "  " + fmt("%3.0f lookups", m.dns_lookups) + "  " +
             pad(m.client_ip + " helo=" + m.helo, 50) + " " + m.queue_id + "\n";
  } else {
    out += ": not on these lines (older log format)\n";
  }

  out += "\nPer hour:\n";
  for (const auto& [h, by] : r.hours) {
    out += "  " + format_time(h) + " ";
    for (const char* a : {"accept", "quarantine", "reject", "tempfail"})
      out += " " + std::string(a) + " " + std::to_string(by.count(a) ? by.at(a) : 0);
    int probes = 0;
    for (const auto& [k, n] : by)
      if (k.rfind("probe:", 0) == 0) probes += n;
    out += " probes " + std::to_string(probes) + "\n";
  }
  if (r.hours.empty()) out += "  (no timestamps on these lines)\n";
  return out;
}

}  // namespace legit::insight
