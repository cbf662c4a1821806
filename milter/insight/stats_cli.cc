// stats_cli.cc — `legit-milter stats`: the running milter's counters for a
// human, like `rspamc stat`. It reads the milter's own /metrics endpoint
// (metrics-listen from -c FILE or the command line), so it shows exactly
// what Prometheus would scrape. --raw prints the exposition text as is.
//
// Exit status: 0 printed; 1 the endpoint cannot be read; 2 usage error or
// metrics-listen not set (the message says so).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"
#include "exposition.h"
#include "legit/config.h"
#include "metrics_http.h"

namespace legit::insight {
namespace {

std::string fixed(double v, int decimals = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string pct(double part, double whole) {
  return whole > 0 ? fixed(100 * part / whole, 1) + " %" : "-";
}

std::string uptime(double start) {
  if (start <= 0) return "?";
  auto s = static_cast<long long>(std::time(nullptr) - start);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lldd %02lldh %02lldm", s / 86400, s / 3600 % 24, s / 60 % 60);
  return buf;
}

std::string ms(std::optional<double> seconds) {
  return seconds ? fixed(*seconds * 1000, *seconds < 0.01 ? 2 : 1) + " ms" : "-";
}

void print(const Samples& m, const std::string& where) {
  std::string version;
  for (const auto* s : m.named("legit_build_info")) version = s->labels.count("version") ? s->labels.at("version") : "";
  std::cout << "legit-milter " << version << " at " << where << ", up "
            << uptime(m.sum("legit_start_time_seconds")) << ", "
            << fixed(m.sum("legit_sessions_open")) << " sessions open\n\n";

  double scored = m.sum("legit_messages_total");
  double dry = m.sum("legit_messages_total", {{"mode", "dry-run"}});
  std::cout << "Messages scored: " << fixed(scored)
            << (dry > 0 ? " (" + fixed(dry) + " in dry-run: actions logged, not applied)" : "") << "\n";
  for (const char* a : {"accept", "quarantine", "reject", "tempfail"}) {
    double n = m.sum("legit_messages_total", {{"action", a}});
    std::printf("  %-12s %10s  %7s\n", a, fixed(n).c_str(), pct(n, scored).c_str());
  }
  std::cout << "Not scored: trusted " << fixed(m.sum("legit_messages_unscored_total", {{"reason", "trusted"}}))
            << ", authenticated "
            << fixed(m.sum("legit_messages_unscored_total", {{"reason", "authenticated"}})) << "\n\n";

  std::cout << "Score distribution:\n";
  double prev = 0;
  std::string lower = "";
  for (const auto* s : m.named("legit_score_bucket")) {
    std::string le = s->labels.count("le") ? s->labels.at("le") : "?";
    double n = s->value - prev;
    prev = s->value;
    std::string range = lower.empty() ? "<= " + le : le == "+Inf" ? "> " + lower : lower + " .. " + le;
    if (n > 0) std::printf("  %-14s %10s  %7s\n", range.c_str(), fixed(n).c_str(), pct(n, scored).c_str());
    lower = le;
  }
  std::cout << "End-of-data latency: p50 " << ms(m.quantile("legit_eom_duration_seconds", 0.5)) << ", p90 "
            << ms(m.quantile("legit_eom_duration_seconds", 0.9)) << ", p99 "
            << ms(m.quantile("legit_eom_duration_seconds", 0.99)) << "\n";
  double nmsg = m.sum("legit_message_dns_lookups_count");
  std::cout << "DNS lookups per message: "
            << (nmsg > 0 ? fixed(m.sum("legit_message_dns_lookups_sum") / nmsg, 1) : std::string("-")) << "\n\n";

  std::cout << "Check results (most frequent first):\n";
  auto results = m.named("legit_check_results_total");
  std::stable_sort(results.begin(), results.end(), [](auto* a, auto* b) { return a->value > b->value; });
  int shown = 0;
  for (const auto* s : results) {
    if (s->value <= 0 || shown++ >= 25) break;
    std::string name = s->labels.count("check") ? s->labels.at("check") : "?";
    name += "=" + (s->labels.count("result") ? s->labels.at("result") : "?");
    std::printf("  %-32s %10s\n", name.c_str(), fixed(s->value).c_str());
  }
  if (shown == 0) std::cout << "  (none yet)\n";

  std::cout << "\nProbes (connections without a message):";
  for (const auto* s : m.named("legit_probes_total"))
    if (s->value > 0 || s->labels.at("kind") != "other")
      std::cout << " " << s->labels.at("kind") << " " << fixed(s->value);
  double lookups = m.sum("legit_dns_lookups_total");
  std::cout << "\nDNS: " << fixed(lookups) << " lookups, " << fixed(m.sum("legit_dns_timeouts_total"))
            << " timeouts (" << pct(m.sum("legit_dns_timeouts_total"), lookups) << "), "
            << fixed(m.sum("legit_dns_temperrors_total")) << " temperrors";
  for (const auto* s : m.named("legit_dns_cache_hits_total"))
    std::cout << ", cache hits " << fixed(s->value) << " (" << pct(s->value, lookups) << ")";
  for (const auto* s : m.named("legit_dns_resolver_healthy"))
    std::cout << ", resolver " << (s->value > 0 ? "healthy" : "UNHEALTHY");
  std::cout << "\nReloads: " << fixed(m.sum("legit_reloads_total", {{"result", "ok"}})) << " ok, "
            << fixed(m.sum("legit_reloads_total", {{"result", "failed"}})) << " failed; errors (on-error applied): "
            << fixed(m.sum("legit_errors_total")) << "\n";
}

}  // namespace

int run_stats(int argc, char** argv) {
  ExtraOptions extra;
  extra.usage = "usage: legit-milter stats [-c FILE] [--metrics-listen inet:PORT@IP] [--raw]\n";
  extra.title = "stats options";
  extra.options = {{"raw", OptKind::boolean, "", "Print the Prometheus exposition text as it is."}};
  auto parsed = parse_config(argc, argv, extra);
  if (parsed.show_help) {
    std::cout << parsed.help_text;
    return 0;
  }
  if (!parsed.config) {
    std::cerr << "legit-milter stats: " << parsed.error << "\n";
    return 2;
  }
  const std::string& listen = parsed.config->str("metrics-listen");
  auto at = parse_metrics_listen(listen);
  if (!at) {
    std::cerr << "legit-milter stats: option 'metrics-listen' is not set: stats reads the milter's "
                 "/metrics endpoint (set metrics-listen in the config file, or give it with "
                 "--metrics-listen inet:PORT@IP)\n";
    return 2;
  }
  std::string err;
  auto text = fetch_metrics(*at, 5000, &err);
  if (!text) {
    std::cerr << "legit-milter stats: " << err << " (is the milter running with metrics-listen = "
              << listen << "?)\n";
    return 1;
  }
  if (parsed.extra_values["raw"] == std::vector<std::string>{"yes"}) {
    std::cout << *text;
    return 0;
  }
  std::string where = "http://" + (at->v6 ? "[" + at->host + "]" : at->host) + ":" + std::to_string(at->port) + "/metrics";
  print(Samples(parse_exposition(*text)), where);
  return 0;
}

}  // namespace legit::insight
