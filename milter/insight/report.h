// report.h — what `legit-milter report` adds up from our log lines
// (report.cc), and its three renderings: text (report_text.cc), JSON
// (report_json.cc) and one self-contained HTML page with inline SVG
// (report_html.cc).
//
// Records outside --since/--until are skipped; so are records without a
// timestamp (journalctl -o cat) when either bound is given. Memory is
// bounded: per-client tables keep at most kMaxKeys entries (the rest is
// counted under "(other)"), probe times per client at most kMaxTimes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "log_record.h"

namespace legit::insight {

struct ReportOptions {
  std::optional<std::int64_t> since, until;  // [since, until)
  int top = 10;                              // rows per "top" table
};

struct ProbeClient {
  std::string name;
  std::map<std::string, int> kinds;    // ehlo-quit -> 12
  std::map<std::string, int> commands; // "." -> 30 (unknown commands, by first command)
  std::vector<std::int64_t> times;     // when each probe ended (timed lines only)
  int total = 0;
};

struct SlowMessage {
  double eom_ms = 0;
  int dns_lookups = -1;
  std::string queue_id, client_ip, client_name, helo, action;
  std::optional<std::int64_t> time;
};

struct SenderCost {  // per client: end-of-data latency and lookups
  int messages = 0;
  double sum_ms = 0, max_ms = 0;
  long sum_lookups = 0;
  int with_lookups = 0;
};

struct SlowSender {
  std::string ip, name;
  int messages = 0;
  double mean_ms = 0, max_ms = 0, mean_lookups = 0;
};

struct Report {
  static constexpr std::size_t kMaxKeys = 20000;
  static constexpr std::size_t kMaxTimes = 5000;

  ReportOptions opt;
  std::int64_t lines = 0, ours = 0, skipped = 0;  // read, parsed, outside the window
  std::optional<std::int64_t> first, last;
  std::map<std::string, int> actions;            // scored messages by (would-be) action
  int dry_run = 0;                               // of which logged in dry-run
  std::map<std::string, int> unscored;           // trusted / authenticated
  std::map<int, std::map<std::string, int>> scores;  // floor(score) -> action -> count
  std::map<std::string, int> fired;              // "helo:bare-ip" -> count (points < 0)
  std::map<std::string, double> fired_points;    // "helo:bare-ip" -> points
  std::map<std::string, int> bad_clients, bad_helos, bad_domains;  // below quarantine
  std::map<std::string, double> bad_worst;       // client -> lowest score
  std::map<std::string, std::string> client_names;
  std::map<std::string, ProbeClient> probes;     // by client IP
  std::map<std::string, int> probe_kinds;
  // hour (minute) start -> action, or "probe:<kind>" -> n; minutes stop
  // growing after kMaxKeys distinct minutes (two weeks), hours never do.
  std::map<std::int64_t, std::map<std::string, int>> hours, minutes;
  std::vector<double> eom_ms;                    // every message's latency (capped)
  std::vector<int> dns_lookups;
  std::vector<SlowMessage> slowest;              // top opt.top by eom-ms
  std::map<std::string, SenderCost> cost;        // by client IP

  void add(const LogRecord& r);
  void add_line(std::string_view line, const ParseContext& ctx);
};

// Helpers the renderers share.
std::vector<std::pair<std::string, int>> top_of(const std::map<std::string, int>& m, int n);
std::optional<double> percentile(std::vector<double> v, double q);  // nearest rank
// "ehlo-quit x12, every ~5 min" style summary of one probing client.
std::string probe_pattern(const ProbeClient& p);
// Clients by mean end-of-data latency, top opt.top.
std::vector<SlowSender> slow_senders(const Report& r);
std::string format_time(std::int64_t t, const char* fmt = "%Y-%m-%d %H:%M");  // local time
int scored_total(const Report& r);

std::string render_text(const Report& r);
std::string render_json(const Report& r);
std::string render_html(const Report& r);

}  // namespace legit::insight
