// report_html.cc — render_html (report.h): one self-contained page, inline
// CSS and SVG, no script, nothing fetched. Charts (each an <svg> with an id
// the test looks for): #score-histogram (bars per whole point, stacked by
// action), #actions-over-time and #probes-over-time (stacked bars per time
// bucket: 1 min .. 1 week, chosen so there are at most ~60 bars; buckets
// start on local-time boundaries, the axis names the zone). Tables:
// summary, offenders below the quarantine threshold, probing clients with
// their pattern, checks that fired, slowest messages. Every string from the
// log is HTML-escaped.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "report.h"

namespace legit::insight {
namespace {

struct Series {
  const char* key;
  const char* label;
  const char* color;
};
const std::vector<Series> kActions = {{"accept", "accept", "#43a047"},
                                      {"unscored", "not scored", "#90caf9"},
                                      {"quarantine", "quarantine", "#fb8c00"},
                                      {"reject", "reject", "#e53935"},
                                      {"tempfail", "tempfail", "#757575"}};
const std::vector<Series> kVerdicts = {{"accept", "accept", "#43a047"},
                                       {"quarantine", "quarantine", "#fb8c00"},
                                       {"reject", "reject", "#e53935"},
                                       {"tempfail", "tempfail", "#757575"}};
const std::vector<Series> kProbes = {{"probe:ehlo-quit", "ehlo-quit", "#5c6bc0"},
                                     {"probe:unknown-command", "unknown-command", "#ab47bc"},
                                     {"probe:no-helo", "no-helo", "#26a69a"},
                                     {"probe:no-message", "no-message", "#8d6e63"}};

std::string esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v, const char* f = "%g") {
  char buf[48];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

struct Bucket {
  std::string label;  // x-axis text
  std::map<std::string, int> counts;
};

// The top of a count axis with four grid lines: 4 x a step of 1, 2, 2.5 (from
// 25 up), 3, 4, 5, 6 or 8 x 10^k, so every grid label is a whole number of
// messages (60 -> 60 with lines at 15, 30, 45; 8 -> 8; 13 -> 16).
double nice_ceiling(double v) {
  double need = std::max(1.0, v / 4);
  double p = std::pow(10, std::floor(std::log10(need)));
  for (double m : {1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0}) {
    double step = m * p;
    if (step != std::floor(step)) continue;  // 1.5 and 2.5 only from 15 and 25 up
    if (step >= need) return 4 * step;
  }
  return 40 * p;
}

// Stacked bar chart; `series` gives order, colour and legend.
std::string bars(const char* id, const char* title, const std::vector<Bucket>& buckets,
                 const std::vector<Series>& series, const char* x_title) {
  const double W = 1000, H = 300, left = 56, right = 12, top = 58, bottom = 56;
  double max = 0;
  for (const auto& b : buckets) {
    double sum = 0;
    for (const auto& s : series) sum += b.counts.count(s.key) ? b.counts.at(s.key) : 0;
    max = std::max(max, sum);
  }
  double ymax = nice_ceiling(max), plot_w = W - left - right, plot_h = H - top - bottom;
  std::string o = "<svg id=\"" + std::string(id) + "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                  num(W) + " " + num(H) + "\" role=\"img\"><title>" + esc(title) + "</title>";
  o += "<text x=\"" + num(left) + "\" y=\"20\" class=\"ctitle\">" + esc(title) + "</text>";
  // legend: one row under the title
  double lx = left;
  for (const auto& s : series) {
    o += "<rect class=\"legend\" x=\"" + num(lx) + "\" y=\"30\" width=\"12\" height=\"12\" fill=\"" + s.color +
         "\"/><text x=\"" + num(lx + 16) + "\" y=\"41\" class=\"small\">" + s.label + "</text>";
    lx += 16 + 7.5 * std::string_view(s.label).size() + 18;
  }
  for (int i = 0; i <= 4; ++i) {
    double y = top + plot_h - plot_h * i / 4;
    o += "<line x1=\"" + num(left) + "\" x2=\"" + num(W - right) + "\" y1=\"" + num(y) + "\" y2=\"" + num(y) +
         "\" class=\"grid\"/><text x=\"" + num(left - 6) + "\" y=\"" + num(y + 4) + "\" class=\"small\" text-anchor=\"end\">" +
         num(ymax * i / 4, "%.4g") + "</text>";
  }
  if (buckets.empty())
    o += "<text x=\"" + num(W / 2) + "\" y=\"" + num(top + plot_h / 2) + "\" class=\"small\" text-anchor=\"middle\">no data</text>";
  double slot = buckets.empty() ? plot_w : plot_w / buckets.size(), bw = std::max(1.0, slot * 0.8);
  std::size_t every = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(buckets.size() * 70.0 / plot_w)));
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    double x = left + slot * i + (slot - bw) / 2, y = top + plot_h;
    std::string tip = buckets[i].label;
    for (const auto& s : series) {
      int n = buckets[i].counts.count(s.key) ? buckets[i].counts.at(s.key) : 0;
      if (n == 0) continue;
      double h = plot_h * n / ymax;
      y -= h;
      o += "<rect class=\"bar\" x=\"" + num(x, "%.2f") + "\" y=\"" + num(y, "%.2f") + "\" width=\"" + num(bw, "%.2f") +
           "\" height=\"" + num(h, "%.2f") + "\" fill=\"" + s.color + "\"><title>" + esc(tip) + ": " + s.label + " " +
           std::to_string(n) + "</title></rect>";
    }
    // ~7 px a character at 12 px: a label that would run off the chart is left out
    double cx = left + slot * i + slot / 2, half = 3.6 * buckets[i].label.size();
    if (i % every == 0 && cx - half >= 0 && cx + half <= W)
      o += "<text x=\"" + num(cx, "%.1f") + "\" y=\"" + num(top + plot_h + 16) +
           "\" class=\"small\" text-anchor=\"middle\">" + esc(buckets[i].label) + "</text>";
  }
  o += "<line x1=\"" + num(left) + "\" x2=\"" + num(W - right) + "\" y1=\"" + num(top + plot_h) + "\" y2=\"" +
       num(top + plot_h) + "\" class=\"axis\"/>";
  o += "<text x=\"" + num(left + plot_w / 2) + "\" y=\"" + num(H - 10) + "\" class=\"small\" text-anchor=\"middle\">" +
       esc(x_title) + "</text></svg>\n";
  return o;
}

// Buckets over time: the smallest step giving at most ~60 bars.
std::vector<Bucket> over_time(const Report& r, const char** step_name) {
  static const std::pair<std::int64_t, const char*> steps[] = {
      {60, "minute"}, {300, "5 minutes"}, {900, "15 minutes"}, {3600, "hour"},
      {3 * 3600, "3 hours"}, {6 * 3600, "6 hours"}, {86400, "day"}, {7 * 86400, "week"}};
  std::vector<Bucket> out;
  *step_name = "hour";
  if (!r.first || !r.last) return out;
  std::int64_t span = *r.last - *r.first;
  bool have_minutes = r.minutes.size() < Report::kMaxKeys;
  for (auto [step, name] : steps) {
    if (step < 3600 && !have_minutes) continue;
    if (span / step > 60 && step < 7 * 86400) continue;
    *step_name = name;
    const auto& src = step < 3600 ? r.minutes : r.hours;
    // Local boundaries: a DST day lasts 23 or 25 hours, so the buckets are
    // found by their starts, not by (t - from) / step.
    std::vector<std::int64_t> starts;
    std::int64_t to = local_floor(*r.last, step);
    for (std::int64_t t = local_floor(*r.first, step); t <= to; t = local_next(t, step)) starts.push_back(t);
    const char* fmt = step >= 86400 ? "%m-%d" : (span >= 86400 ? "%m-%d %H:%M" : "%H:%M");
    for (std::int64_t t : starts) out.push_back({format_time(t, fmt), {}});
    for (const auto& [t, counts] : src) {
      auto after = std::upper_bound(starts.begin(), starts.end(), t);
      if (after == starts.begin()) continue;
      auto i = static_cast<std::size_t>(after - starts.begin() - 1);
      if (t >= local_next(starts[i], step)) continue;  // past the last bucket
      for (const auto& [k, n] : counts) out[i].counts[k] += n;
    }
    return out;
  }
  return out;
}

std::vector<Bucket> score_buckets(const Report& r) {
  std::vector<Bucket> out;
  if (r.scores.empty()) return out;
  // Scores outside [-40, 30] go into the edge bar; both ends are clamped,
  // so lo <= hi even when every score lies beyond one edge (-55 alone).
  int lo = std::clamp(r.scores.begin()->first, -40, 30), hi = std::clamp(r.scores.rbegin()->first, -40, 30);
  for (int s = lo; s <= hi; ++s) out.push_back({std::to_string(s), {}});
  for (const auto& [s, by] : r.scores) {
    int i = std::clamp(s, lo, hi) - lo;  // beyond the range: into the edge bar
    for (const auto& [a, n] : by) out[static_cast<std::size_t>(i)].counts[a] += n;
  }
  return out;
}

std::string card(const std::string& value, const char* label, const char* color = "#263238") {
  return "<div class=\"card\"><div class=\"v\" style=\"color:" + std::string(color) + "\">" + esc(value) +
         "</div><div class=\"l\">" + label + "</div></div>";
}

std::string table(const char* id, std::initializer_list<const char*> head, const std::vector<std::vector<std::string>>& rows) {
  std::string o = "<table id=\"" + std::string(id) + "\"><tr>";
  for (const char* h : head) o += std::string("<th>") + h + "</th>";
  o += "</tr>";
  for (const auto& row : rows) {
    o += "<tr>";
    for (const auto& c : row) o += "<td>" + c + "</td>";  // cells escaped by the caller
    o += "</tr>";
  }
  if (rows.empty()) o += "<tr><td colspan=\"" + std::to_string(head.size()) + "\" class=\"none\">none</td></tr>";
  return o + "</table>\n";
}

}  // namespace

std::string render_html(const Report& r) {
  const Totals& t = r.totals();
  auto count = [](const std::map<std::string, int>& m, const char* k) { return m.count(k) ? m.at(k) : 0; };
  std::string range = r.first && r.last ? format_time(*r.first) + " – " + format_time(*r.last, "%Y-%m-%d %H:%M %Z") : "no timestamps";
  // The time axes are in the zone the report runs in (TZ): say which.
  std::string per = "time (" + (r.first ? format_time(*r.first, "%Z") : std::string("local")) + "), one bar per ";

  std::string o =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>legit-milter report</title>"
      "<style>body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;margin:24px auto;max-width:1040px;"
      "color:#263238;background:#fafafa}h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}"
      ".sub{color:#607d8b;font-size:14px}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}"
      ".card{flex:1 1 0;background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:10px 12px;min-width:90px}"
      ".card .v{font-size:22px;font-weight:600;white-space:nowrap}.card .l{font-size:12px;color:#607d8b}"
      "svg.chart{width:100%;height:auto;background:#fff;border:1px solid #e0e0e0;border-radius:6px;margin:6px 0}"
      ".ctitle{font-size:15px;font-weight:600;fill:#263238}.small{font-size:12px;fill:#455a64}"
      ".grid{stroke:#eceff1}.axis{stroke:#90a4ae}table{border-collapse:collapse;background:#fff;font-size:13px;"
      "width:100%;margin:6px 0}th,td{border:1px solid #e0e0e0;padding:4px 8px;text-align:left}th{background:#eceff1}"
      "td.n{text-align:right}.none{color:#90a4ae}.hbar{display:inline-block;height:10px;background:#e53935;"
      "border-radius:2px}.cols{display:grid;grid-template-columns:1fr 1fr;gap:16px}</style></head><body>\n";
  o += "<h1>legit-milter report</h1><div class=\"sub\">" + esc(range) + " · " + std::to_string(r.ours) + " log lines of ours out of " +
       std::to_string(r.lines) + (r.dry_run ? " · " + std::to_string(r.dry_run) + " in dry-run (actions logged, not applied)" : "") +
       "</div>\n<div class=\"cards\">";
  o += card(std::to_string(t.scored), "messages scored");
  o += card(std::to_string(count(r.actions, "accept")), "accepted", "#2e7d32");
  o += card(std::to_string(count(r.actions, "quarantine")), "quarantined", "#ef6c00");
  o += card(std::to_string(count(r.actions, "reject")), "rejected", "#c62828");
  o += card(std::to_string(count(r.actions, "tempfail")), "tempfailed", "#616161");
  o += card(std::to_string(t.unscored), "not scored", "#1565c0");
  o += card(std::to_string(t.probes), "probe sessions", "#5c6bc0");
  if (t.p50_ms) o += card(num(*t.p50_ms, "%.1f") + " ms", "end-of-data p50");
  o += "</div>\n";

  o += bars("score-histogram", "Score distribution, coloured by action (higher = more legitimate)", score_buckets(r),
            kVerdicts, "score (whole points; dry-run lines as the action they would have taken)");
  const char* step = "hour";
  auto timeline = over_time(r, &step);
  o += bars("actions-over-time", "Messages over time, by action", timeline, kActions,
            (per + step).c_str());
  o += bars("probes-over-time", "Probe sessions over time (connections that sent no message)", timeline, kProbes,
            (per + step).c_str());

  o += "<h2>Top offenders: below the quarantine threshold</h2><div class=\"cols\"><div>";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [ip, n] : top_of(r.bad_clients, r.opt.top)) {
    auto name = r.client_names.find(ip);
    auto worst = r.bad_worst.find(ip);
    rows.push_back({esc(ip), esc(name == r.client_names.end() ? "" : name->second), "<span class=\"n\">" + std::to_string(n) + "</span>",
                    worst == r.bad_worst.end() ? "" : num(worst->second)});
  }
  o += table("offenders", {"client", "name", "messages", "worst score"}, rows);
  o += "</div><div>";
  rows.clear();
  for (const auto& [h, n] : top_of(r.bad_helos, r.opt.top)) rows.push_back({esc(h), std::to_string(n)});
  o += table("offender-helos", {"HELO", "messages"}, rows);
  rows.clear();
  for (const auto& [d, n] : top_of(r.bad_domains, r.opt.top)) rows.push_back({esc(d), std::to_string(n)});
  o += table("offender-domains", {"sender domain", "messages"}, rows);
  o += "</div></div>\n";

  o += "<h2>Probing clients</h2>";
  rows.clear();
  for (const auto& [ip, n] : t.probers)
    rows.push_back({esc(ip), esc(r.probes.at(ip).name), std::to_string(n), esc(probe_pattern(r.probes.at(ip)))});
  o += table("probers", {"client", "name", "sessions", "pattern"}, rows);

  o += "<h2>Checks that counted against senders</h2>";
  rows.clear();
  auto fired = top_of(r.fired, r.opt.top);
  int fmax = fired.empty() ? 1 : fired.front().second;
  for (const auto& [k, n] : fired)
    rows.push_back({esc(k), num(r.fired_points.at(k)), std::to_string(n),
                    "<span class=\"hbar\" style=\"width:" + std::to_string(std::max(2, 300 * n / fmax)) + "px\"></span>"});
  o += table("checks-fired", {"check:result", "points", "messages", ""}, rows);

  o += "<h2>Slowest senders (mean end-of-data)</h2>";
  rows.clear();
  for (const auto& s : t.slow_senders)
    rows.push_back({esc(s.ip), esc(s.name), std::to_string(s.messages), num(s.mean_ms, "%.1f") + " ms",
                    num(s.max_ms, "%.1f") + " ms", num(s.mean_lookups, "%.1f")});
  o += table("slow-senders", {"client", "name", "messages", "mean", "max", "DNS lookups / message"}, rows);

  o += "<h2>Slowest messages</h2>";
  rows.clear();
  for (const auto& m : r.slowest)
    rows.push_back({num(m.eom_ms, "%.1f") + " ms", m.dns_lookups < 0 ? "" : std::to_string(m.dns_lookups), esc(m.client_ip),
                    esc(m.helo), esc(m.action), esc(m.queue_id)});
  o += table("slowest", {"eom", "DNS lookups", "client", "HELO", "action", "queue id"}, rows);
  return o + "</body></html>\n";
}

}  // namespace legit::insight
