// report_json.cc — render_json (report.h): the same tables as the text
// report, as one JSON object. Strings from the log (client names, HELOs,
// domains) are quoted by json_quote (legit/json.h): valid UTF-8 passes, any
// other byte becomes \u00XX. Times carry their UTC offset ("+0530").
#include <cmath>
#include <cstdio>
#include <string>

#include "legit/json.h"
#include "report.h"

namespace legit::insight {
namespace {

std::string q(std::string_view s) { return json_quote(s); }

std::string n(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string opt_time(const std::optional<std::int64_t>& t) {
  return t ? q(format_time(*t, "%Y-%m-%dT%H:%M:%S%z")) : "null";
}

std::string counts(const std::map<std::string, int>& m) {
  std::string out = "{";
  for (const auto& [k, v] : m) out += (out.size() > 1 ? "," : "") + q(k) + ":" + std::to_string(v);
  return out + "}";
}

std::string ranked(const std::vector<std::pair<std::string, int>>& rows, const char* key) {
  std::string out = "[";
  for (const auto& [k, v] : rows)
    out += (out.size() > 1 ? "," : "") + std::string("{") + q(key) + ":" + q(k) + ",\"count\":" + std::to_string(v) + "}";
  return out + "]";
}

}  // namespace

std::string render_json(const Report& r) {
  const Totals& t = r.totals();
  std::string o = "{\"lines\":" + std::to_string(r.lines) + ",\"records\":" + std::to_string(r.ours) +
                  ",\"skipped\":" + std::to_string(r.skipped) + ",\"first\":" + opt_time(r.first) +
                  ",\"last\":" + opt_time(r.last);
  o += ",\"messages\":{\"scored\":" + std::to_string(t.scored) + ",\"actions\":" + counts(r.actions) +
       ",\"dry_run\":" + std::to_string(r.dry_run) + ",\"unscored\":" + counts(r.unscored) + "}";

  o += ",\"scores\":[";
  bool first = true;
  for (const auto& [s, by] : r.scores) {
    o += std::string(first ? "" : ",") + "{\"score\":" + std::to_string(s) + ",\"count\":" + std::to_string(t.per_score.at(s)) +
         ",\"actions\":" + counts(by) + "}";
    first = false;
  }
  o += "]";

  o += ",\"checks_fired\":[";
  first = true;
  for (const auto& [k, c] : top_of(r.fired, -1)) {
    auto colon = k.find(':');
    o += std::string(first ? "" : ",") + "{\"check\":" + q(k.substr(0, colon)) + ",\"result\":" +
         q(k.substr(colon + 1)) + ",\"points\":" + n(r.fired_points.at(k)) + ",\"count\":" + std::to_string(c) + "}";
    first = false;
  }
  o += "]";

  o += ",\"below_quarantine\":{\"clients\":[";
  first = true;
  for (const auto& [ip, c] : top_of(r.bad_clients, r.opt.top)) {
    auto name = r.client_names.find(ip);
    auto worst = r.bad_worst.find(ip);
    o += std::string(first ? "" : ",") + "{\"ip\":" + q(ip) + ",\"name\":" +
         q(name == r.client_names.end() ? "" : name->second) + ",\"count\":" + std::to_string(c) +
         ",\"worst_score\":" + (worst == r.bad_worst.end() ? "null" : n(worst->second)) + "}";
    first = false;
  }
  o += "],\"helos\":" + ranked(top_of(r.bad_helos, r.opt.top), "helo") +
       ",\"sender_domains\":" + ranked(top_of(r.bad_domains, r.opt.top), "domain") + "}";

  o += ",\"probes\":{\"kinds\":" + counts(r.probe_kinds) + ",\"clients\":[";
  first = true;
  for (const auto& [ip, c] : t.probers) {
    const auto& p = r.probes.at(ip);
    o += std::string(first ? "" : ",") + "{\"ip\":" + q(ip) + ",\"name\":" + q(p.name) + ",\"count\":" +
         std::to_string(c) + ",\"kinds\":" + counts(p.kinds) + ",\"pattern\":" + q(probe_pattern(p)) + "}";
    first = false;
  }
  o += "]}";

  auto opt = [](const std::optional<double>& v) { return v ? n(*v) : std::string("null"); };
  o += ",\"latency\":{\"messages\":" + std::to_string(r.eom_ms.size()) + ",\"p50_ms\":" + opt(t.p50_ms) +
       ",\"p90_ms\":" + opt(t.p90_ms) + ",\"p99_ms\":" + opt(t.p99_ms) + ",\"dns_lookups_mean\":" +
       opt(t.lookups_mean) + ",\"slow_senders\":[";
  first = true;
  for (const auto& c : t.slow_senders) {
    o += std::string(first ? "" : ",") + "{\"ip\":" + q(c.ip) + ",\"name\":" + q(c.name) + ",\"messages\":" +
         std::to_string(c.messages) + ",\"mean_ms\":" + n(c.mean_ms) + ",\"max_ms\":" + n(c.max_ms) +
         ",\"dns_lookups_mean\":" + n(c.mean_lookups) + "}";
    first = false;
  }
  o += "],\"slowest\":[";
  first = true;
  for (const auto& m : r.slowest) {
    o += std::string(first ? "" : ",") + "{\"eom_ms\":" + n(m.eom_ms) + ",\"dns_lookups\":" +
         std::to_string(m.dns_lookups) + ",\"queue_id\":" + q(m.queue_id) + ",\"ip\":" + q(m.client_ip) +
         ",\"name\":" + q(m.client_name) + ",\"helo\":" + q(m.helo) + ",\"action\":" + q(m.action) +
         ",\"time\":" + opt_time(m.time) + "}";
    first = false;
  }
  o += "]}";

  o += ",\"hours\":[";
  first = true;
  for (const auto& [h, by] : r.hours) {
    o += std::string(first ? "" : ",") + "{\"hour\":" + q(format_time(h, "%Y-%m-%dT%H:%M")) + ",\"start\":" +
         std::to_string(h) + ",\"counts\":" + counts(by) + "}";
    first = false;
  }
  return o + "]}\n";
}

}  // namespace legit::insight
