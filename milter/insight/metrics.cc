// metrics.cc — the counters of metrics.h and their exposition text.
//
// Series (all counters survive a reload; the registry is never destroyed):
//   legit_messages_total{action,mode}        scored messages; action = what the
//                                            thresholds chose (dry-run too)
//   legit_messages_unscored_total{reason}    trusted / authenticated
//   legit_check_results_total{check,result}  one per finding of a scored message
//   legit_score                              histogram of scores
//   legit_eom_duration_seconds               histogram of end-of-data latency
//   legit_message_dns_lookups                histogram of lookups per message
//   legit_probes_total{kind}                 connections that sent no message
//   legit_sessions_open, legit_messages_in_flight, legit_sessions_refused_total
//                                            the glue's gauges (watch_sessions)
//   legit_reloads_total{result}              ok / failed
//   legit_errors_total{stage}                callbacks that applied on-error
//   legit_dns_lookups_total, legit_dns_timeouts_total, legit_dns_temperrors_total
//   legit_dns_cache_{hits,misses,joined,evictions}_total, legit_dns_cache_entries,
//   legit_dns_resolver_healthy, legit_dns_failed_fast_total  (watch_resolver)
//   legit_memory_copy_kept, legit_memory_copy_in_step, legit_memory_copy_records
//                                            the local copy of a Redis memory (watch_memory)
//   legit_start_time_seconds, legit_build_info{version}
#include "metrics.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "histogram.h"
#include "legit/check.h"
#include "legit/dns_stats.h"
#include "legit/version.h"
#include "log_record.h"

namespace legit::insight {
namespace {

using Counter = std::atomic<std::uint64_t>;
constexpr auto kRelaxed = std::memory_order_relaxed;

constexpr std::array<Action, 4> kActions = {Action::accept, Action::quarantine, Action::reject,
                                            Action::tempfail};
constexpr std::array<const char*, 5> kProbeKinds = {"ehlo-quit", "unknown-command", "no-helo",
                                                    "no-message", "other"};
constexpr std::array<const char*, 13> kStages = {"connect", "helo",  "mail",  "rcpt",  "data",
                                                 "header",  "eoh",   "body",  "eom",   "abort",
                                                 "close",   "unknown", "other"};
constexpr std::size_t kMaxOverflow = 200;  // distinct unexpected (check, result) pairs kept

// Transparent string hashing: look up a string_view without building a string.
struct Hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using Table = std::unordered_map<std::string, V, Hash, std::equal_to<>>;

template <std::size_t N>
std::size_t index_of(const std::array<const char*, N>& names, std::string_view s) {
  for (std::size_t i = 0; i + 1 < N; ++i)
    if (s == names[i]) return i;
  return N - 1;  // "other"
}

class Registry {
 public:
  Registry() : started_(std::chrono::system_clock::now()) {
    // Every result a check can report, from its points table, plus the
    // engine's "error"; laid out once, read without a lock afterwards.
    std::size_t n = 0;
    for (const auto& info : check_registry()) {
      auto& results = checks_[info.name];
      for (const auto& row : info.points) results.emplace(row.result, n++);
      if (!results.count("error")) results.emplace("error", n++);
      if (!results.count("temperror")) results.emplace("temperror", n++);
      order_.push_back(info.name);
    }
    results_ = std::make_unique<Counter[]>(n);
  }

  void message(const Outcome& o, Mode mode) {
    if (o.kind == Outcome::Kind::trusted) return (void)unscored_[0].fetch_add(1, kRelaxed);
    if (o.kind == Outcome::Kind::authenticated) return (void)unscored_[1].fetch_add(1, kRelaxed);
    const auto& v = o.verdict;
    std::size_t a = static_cast<std::size_t>(v.action) < kActions.size() ? static_cast<std::size_t>(v.action) : 0;
    messages_[a][mode == Mode::dry_run ? 1 : 0].fetch_add(1, kRelaxed);
    for (const auto& item : v.items) result(item.finding.check, item.finding.result);
    score_.observe(v.score);
    eom_.observe(o.eom_seconds);
    lookups_.observe(o.dns_lookups);
  }

  void probe(std::string_view kind) { probes_[index_of(kProbeKinds, kind)].fetch_add(1, kRelaxed); }
  void watch(const std::atomic<int>* open, const std::atomic<int>* in_flight, const std::atomic<long>* refused) {
    open_.store(open);
    in_flight_.store(in_flight);
    refused_.store(refused);
  }
  void watch(const Resolver* r) { resolver_.store(r); }
  void watch(const Memory* m) { memory_.store(m); }
  void reload(bool ok) { reloads_[ok ? 0 : 1].fetch_add(1, kRelaxed); }
  void error(std::string_view stage) { errors_[index_of(kStages, stage)].fetch_add(1, kRelaxed); }

  std::string render() const;

 private:
  void result(std::string_view check, std::string_view result) {
    if (auto c = checks_.find(check); c != checks_.end())
      if (auto r = c->second.find(result); r != c->second.end())
        return (void)results_[r->second].fetch_add(1, kRelaxed);
    std::lock_guard<std::mutex> g(overflow_mu_);
    std::string key = std::string(check) + '\n' + std::string(result);
    auto it = overflow_.find(key);
    if (it != overflow_.end()) ++it->second;
    else if (overflow_.size() < kMaxOverflow) overflow_.emplace(std::move(key), 1);
  }

  std::chrono::system_clock::time_point started_;
  Table<Table<std::size_t>> checks_;
  std::vector<std::string> order_;
  std::unique_ptr<Counter[]> results_;
  mutable std::mutex overflow_mu_;
  std::map<std::string, std::uint64_t> overflow_;  // "check\nresult" -> count
  Counter messages_[kActions.size()][2] = {};
  Counter unscored_[2] = {};
  Counter probes_[kProbeKinds.size()] = {};
  Counter reloads_[2] = {};
  Counter errors_[kStages.size()] = {};
  std::atomic<const Resolver*> resolver_{nullptr};
  std::atomic<const Memory*> memory_{nullptr};
  std::atomic<const std::atomic<int>*> open_{nullptr}, in_flight_{nullptr};
  std::atomic<const std::atomic<long>*> refused_{nullptr};
  Histogram score_{{-20, -12, -8, -6, -4, -2, 0, 2, 4, 6, 8}};
  Histogram eom_{{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
  Histogram lookups_{{0, 1, 2, 4, 8, 12, 16, 24, 32, 64}};
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: milter threads may outlive main
  return *r;
}

// Label values come from code or the check registry; escaped all the same.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void head(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void line(std::string& out, const std::string& series, double value) {
  char buf[40];
  std::snprintf(buf, sizeof buf, " %.17g\n", value);
  out += series + buf;
}

std::string Registry::render() const {
  std::string out;
  out.reserve(16384);
  head(out, "legit_messages_total", "counter",
       "Scored messages by the action the thresholds chose and the mode (dry-run: not applied).");
  for (std::size_t a = 0; a < kActions.size(); ++a)
    for (int m = 0; m < 2; ++m)
      line(out, std::string("legit_messages_total{action=\"") + to_string(kActions[a]) +
                    "\",mode=\"" + (m ? "dry-run" : "enforce") + "\"}",
           static_cast<double>(messages_[a][m].load(kRelaxed)));
  head(out, "legit_messages_unscored_total", "counter",
       "Messages passed without scoring: trusted network or SASL-authenticated client.");
  line(out, "legit_messages_unscored_total{reason=\"trusted\"}", static_cast<double>(unscored_[0].load(kRelaxed)));
  line(out, "legit_messages_unscored_total{reason=\"authenticated\"}",
       static_cast<double>(unscored_[1].load(kRelaxed)));

  head(out, "legit_check_results_total", "counter", "Findings of scored messages by check and result word.");
  for (const auto& check : order_) {
    const auto& results = checks_.at(check);
    std::map<std::string, std::size_t> sorted(results.begin(), results.end());
    for (const auto& [result, idx] : sorted)
      line(out, "legit_check_results_total{check=\"" + label(check) + "\",result=\"" + label(result) + "\"}",
           static_cast<double>(results_[idx].load(kRelaxed)));
  }
  {
    std::lock_guard<std::mutex> g(overflow_mu_);
    for (const auto& [key, n] : overflow_) {
      auto nl = key.find('\n');
      line(out, "legit_check_results_total{check=\"" + label(key.substr(0, nl)) + "\",result=\"" +
                    label(key.substr(nl + 1)) + "\"}", static_cast<double>(n));
    }
  }

  score_.render(out, "legit_score", "Legitimacy score of scored messages (higher is more legitimate).");
  eom_.render(out, "legit_eom_duration_seconds",
              "Time from end-of-data to the verdict (waiting for lookups, scoring).");
  lookups_.render(out, "legit_message_dns_lookups", "DNS lookups started per scored message.");

  head(out, "legit_probes_total", "counter", "Connections that ended without a message, by what the client did.");
  for (std::size_t i = 0; i < kProbeKinds.size(); ++i)
    line(out, std::string("legit_probes_total{kind=\"") + kProbeKinds[i] + "\"}",
         static_cast<double>(probes_[i].load(kRelaxed)));

  auto gauge = [](const auto* p) { return p ? static_cast<double>(p->load(kRelaxed)) : 0.0; };
  head(out, "legit_sessions_open", "gauge", "Milter connections open now.");
  line(out, "legit_sessions_open", gauge(open_.load()));
  head(out, "legit_messages_in_flight", "gauge", "Messages between MAIL FROM and end-of-data now.");
  line(out, "legit_messages_in_flight", gauge(in_flight_.load()));
  head(out, "legit_sessions_refused_total", "counter", "Connections refused by the session cap.");
  line(out, "legit_sessions_refused_total", gauge(refused_.load()));
  head(out, "legit_reloads_total", "counter", "Configuration reloads (SIGHUP) by outcome.");
  line(out, "legit_reloads_total{result=\"ok\"}", static_cast<double>(reloads_[0].load(kRelaxed)));
  line(out, "legit_reloads_total{result=\"failed\"}", static_cast<double>(reloads_[1].load(kRelaxed)));
  head(out, "legit_errors_total", "counter", "Milter callbacks that failed and applied the on-error policy, by stage.");
  for (std::size_t i = 0; i < kStages.size(); ++i)
    line(out, std::string("legit_errors_total{stage=\"") + kStages[i] + "\"}",
         static_cast<double>(errors_[i].load(kRelaxed)));

  const auto& dns = dns_stats();
  head(out, "legit_dns_lookups_total", "counter", "DNS queries handed to the resolver.");
  line(out, "legit_dns_lookups_total", static_cast<double>(dns.lookups.load(kRelaxed)));
  head(out, "legit_dns_timeouts_total", "counter", "DNS lookups answered temperror because the deadline passed.");
  line(out, "legit_dns_timeouts_total", static_cast<double>(dns.timeouts.load(kRelaxed)));
  head(out, "legit_dns_temperrors_total", "counter", "DNS lookups answered temperror (timeouts, SERVFAIL, ...).");
  line(out, "legit_dns_temperrors_total", static_cast<double>(dns.temperrors.load(kRelaxed)));

  if (const Resolver* r = resolver_.load()) {
    ResolverStats rs = r->stats();
    head(out, "legit_dns_cache_hits_total", "counter", "Lookups answered from the answer cache.");
    line(out, "legit_dns_cache_hits_total", static_cast<double>(rs.cache_hits));
    head(out, "legit_dns_cache_misses_total", "counter", "Lookups the answer cache sent upstream.");
    line(out, "legit_dns_cache_misses_total", static_cast<double>(rs.cache_misses));
    head(out, "legit_dns_cache_joined_total", "counter", "Lookups that joined an identical one in flight.");
    line(out, "legit_dns_cache_joined_total", static_cast<double>(rs.cache_joined));
    head(out, "legit_dns_cache_evictions_total", "counter", "Live answers pushed out by the cache size bound.");
    line(out, "legit_dns_cache_evictions_total", static_cast<double>(rs.cache_evictions));
    head(out, "legit_dns_cache_entries", "gauge", "Answers held in the cache now.");
    line(out, "legit_dns_cache_entries", static_cast<double>(rs.cache_entries));
    head(out, "legit_dns_resolver_healthy", "gauge", "1 while the canary queries answer, 0 while the resolver is unhealthy.");
    line(out, "legit_dns_resolver_healthy", rs.healthy ? 1 : 0);
    head(out, "legit_dns_failed_fast_total", "counter", "Lookups answered temperror at once while the resolver was unhealthy.");
    line(out, "legit_dns_failed_fast_total", static_cast<double>(rs.failed_fast));
  }

  const Memory* m = memory_.load();
  CopyState copy = m ? m->copy_state() : CopyState{};
  head(out, "legit_memory_copy_kept", "gauge",
       "1 when the milter keeps a local copy of its Redis memory (memory-replica), 0 otherwise.");
  line(out, "legit_memory_copy_kept", copy.kept ? 1 : 0);
  head(out, "legit_memory_copy_in_step", "gauge",
       "1 while the local copy follows Redis' write log and answers the reads, 0 while reads go to Redis.");
  line(out, "legit_memory_copy_in_step", copy.in_step ? 1 : 0);
  head(out, "legit_memory_copy_records", "gauge", "Records in the local copy of the Redis memory.");
  line(out, "legit_memory_copy_records", static_cast<double>(copy.records));

  head(out, "legit_start_time_seconds", "gauge", "Start of the process, seconds since the epoch.");
  line(out, "legit_start_time_seconds",
       static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(started_.time_since_epoch()).count()));
  head(out, "legit_build_info", "gauge", "Always 1; the version is a label.");
  line(out, std::string("legit_build_info{version=\"") + label(LEGIT_VERSION) + "\"}", 1);
  return out;
}

}  // namespace

void count_message(const Outcome& o, Mode mode) { registry().message(o, mode); }

void count_probe(std::string_view probe_line) {
  auto rec = parse_log_line(probe_line);
  registry().probe(rec && rec->kind == LogRecord::Kind::probe ? std::string_view(rec->probe) : "other");
}

void watch_sessions(const std::atomic<int>* open, const std::atomic<int>* in_flight,
                    const std::atomic<long>* refused) {
  registry().watch(open, in_flight, refused);
}
void watch_resolver(const Resolver* resolver) { registry().watch(resolver); }
void watch_memory(const Memory* memory) { registry().watch(memory); }
void count_reload(bool ok) { registry().reload(ok); }
void count_error(std::string_view stage) { registry().error(stage); }
std::string render_metrics() { return registry().render(); }

}  // namespace legit::insight
