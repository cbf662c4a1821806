// report.h — what `legit-milter report` adds up from our log lines
// (report.cc), and its three renderings: text (report_text.cc), JSON
// (report_json.cc) and one self-contained HTML page with inline SVG
// (report_html.cc).
//
// Two phases: add() every record, then finish() once, which computes what
// every rendering shows (Totals: counts, latency percentiles, the ranked
// probers and slow senders); a renderer of an unfinished report throws
// std::logic_error. add() after finish() needs finish() again.
//
// Time: every bucket (per minute, per hour, and the chart steps of the HTML
// page) starts on a boundary of LOCAL time (the zone of TZ, as the admin's
// syslog shows it), found per instant so +05:30 and DST days are right; the
// outputs say which zone.
//
// Records outside --since/--until are skipped; so are records without a
// timestamp (journalctl -o cat) when either bound is given. Memory is
// bounded: per-client tables keep at most kMaxKeys entries (the rest is
// counted under "(other)"), probe times per client at most kMaxTimes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
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

// What every rendering shows, computed once by Report::finish().
struct Totals {
  int scored = 0, unscored = 0, probes = 0;     // messages scored / not scored, probe sessions
  std::map<int, int> per_score;                 // floor(score) -> messages
  std::optional<double> p50_ms, p90_ms, p99_ms; // end-of-data latency (nearest rank)
  std::optional<double> lookups_mean;           // DNS lookups per message
  std::vector<std::pair<std::string, int>> probers;  // top opt.top clients by probe sessions
  std::vector<SlowSender> slow_senders;         // top opt.top clients by mean latency
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
  // local hour (minute) start -> action, or "probe:<kind>" -> n; minutes
  // stop growing after kMaxKeys distinct minutes (two weeks), hours never do.
  std::map<std::int64_t, std::map<std::string, int>> hours, minutes;
  std::vector<double> eom_ms;                    // every message's latency (capped; sorted by finish())
  std::vector<int> dns_lookups;
  std::vector<SlowMessage> slowest;              // top opt.top by eom-ms
  std::map<std::string, SenderCost> cost;        // by client IP

  void add(const LogRecord& r);
  void add_line(std::string_view line, const ParseContext& ctx);
  void finish();
  const Totals& totals() const {
    if (!finished_) throw std::logic_error("report: rendered before finish()");
    return totals_;
  }

 private:
  Totals totals_;
  bool finished_ = false;
};

// Helpers the renderers share.
std::vector<std::pair<std::string, int>> top_of(const std::map<std::string, int>& m, int n);
// Nearest rank of an ascending vector (no copy); nullopt when empty.
std::optional<double> percentile(const std::vector<double>& sorted, double q);
// "ehlo-quit x12, every ~5 min" style summary of one probing client.
std::string probe_pattern(const ProbeClient& p);
std::string format_time(std::int64_t t, const char* fmt = "%Y-%m-%d %H:%M");  // local time
// Start of the local-time step (60 s .. a week) holding t: 10:47 -> 10:00 for
// an hour in +05:30 too; a day starts at local midnight, DST or not.
std::int64_t local_floor(std::int64_t t, std::int64_t step);
// The start of the local step after the one starting at `start`.
std::int64_t local_next(std::int64_t start, std::int64_t step);

std::string render_text(const Report& r);
std::string render_json(const Report& r);
std::string render_html(const Report& r);

}  // namespace legit::insight
