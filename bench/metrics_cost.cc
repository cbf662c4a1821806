// bench/metrics_cost.cc — what the always-on counting of milter/insight
// costs per message, measured alone: count_message() on a typical scored
// Outcome (nine checks, the milter's real call at end-of-data) in a tight
// loop on 1 and 2 threads, and one render_metrics() (a scrape). The
// end-to-end A/B (bench/loadgen.sh AB=metrics) cannot see the counting: it
// runs with and without metrics-listen, and the counters count either way.
// usage: metrics_cost [MESSAGES]  (default 2000000); prints CPU ns per
// message (process CPU time, so a loaded machine's waits do not count).
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "insight/metrics.h"

namespace {

legit::Outcome typical() {
  legit::Outcome o;
  o.kind = legit::Outcome::Kind::scored;
  o.action = legit::Action::accept;
  o.verdict.score = 3;
  for (auto [c, r] : {std::pair{"iprev", "pass"}, {"ptr", "good"}, {"helo", "matches-ptr"}, {"spf", "pass"},
                      {"spf-helo", "none"}, {"sender-domain", "ok"}, {"dkim", "pass"}, {"dmarc", "pass"},
                      {"relay", "ok"}}) {
    legit::ScoredFinding f;
    f.finding.check = c;
    f.finding.result = r;
    f.points = 0.5;
    o.verdict.items.push_back(f);
  }
  o.eom_seconds = 0.0003;
  o.dns_lookups = 8;
  return o;
}

// CPU time of the whole process (every thread), in ns: time spent
// descheduled on a loaded machine does not count.
double cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

double ns_per_message(long n, int threads) {
  const legit::Outcome o = typical();
  double t0 = cpu_ns();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      for (long i = 0; i < n / threads; ++i) legit::insight::count_message(o, legit::Mode::enforce);
    });
  for (auto& t : ts) t.join();
  return (cpu_ns() - t0) / static_cast<double>(n);  // CPU time per message
}

}  // namespace

int main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 2000000;
  if (n < 2) n = 2;
  ns_per_message(n / 10, 1);  // warm-up: the registry and its tables
  double one = ns_per_message(n, 1), two = ns_per_message(n, 2);
  double t0 = cpu_ns();
  std::size_t bytes = legit::insight::render_metrics().size();
  double scrape_us = (cpu_ns() - t0) / 1000;
  std::printf("count_message: %.0f ns CPU per message (1 thread), %.0f ns CPU per message (2 threads)\n", one, two);
  std::printf("render_metrics: %.0f us for %zu bytes (one scrape)\n", scrape_us, bytes);
  return 0;
}
