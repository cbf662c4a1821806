// health.h — private to milter/dns: the resolver health probe (issue 8).
//
// A few canary queries (option dns-canary; "auto" = the root's NS and the NS
// of the authserv-id's registrable domain) are asked at start and every
// probe interval, straight from the upstream (never from the cache). The
// resolver is healthy while at least one canary answers with records; when
// none does — all time out, fail, or come back NXDOMAIN/NODATA (a dead
// resolver, a captive or broken one that says NXDOMAIN to everything) — it
// is unhealthy: the caching resolver then answers every lookup it does not
// hold temperror at once ("fail fast", so nothing rests on an NXDOMAIN from
// a liar and nobody waits dns-timeout), and held negative answers are
// dropped. While unhealthy the probe runs every min(interval, 10 s) and one
// warning a minute is logged; one info line when it is healthy again.
//
// Bad input: parse_canary() refuses anything but NAME or NAME/TYPE with a
// reason; nothing throws but std::bad_alloc.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "legit/dns.h"
#include "upstream.h"

namespace legit::dns_detail {

struct Canary {
  std::string qname;  // presentation form ("." for the root)
  DnsType type = DnsType::NS;
  std::string text;   // as configured, for messages
};

// One round's verdict: healthy when some canary answered with records.
struct HealthVerdict {
  bool healthy = true;
  std::string why;  // "no canary answered (. NS: timeout; example.org NS: nxdomain)"
};
HealthVerdict judge(const std::vector<Canary>& canaries, const std::vector<DnsAnswer>& answers);

class HealthProbe {
 public:
  // on_unhealthy runs (on the probe's thread) each time the state turns bad.
  HealthProbe(Upstream& up, std::vector<Canary> canaries, std::chrono::milliseconds timeout,
              std::chrono::milliseconds interval, std::function<void()> on_unhealthy);
  ~HealthProbe();
  HealthProbe(const HealthProbe&) = delete;
  HealthProbe& operator=(const HealthProbe&) = delete;

  // The first round, now (blocks at most the timeout), then the thread.
  void start();
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
  std::string why() const;
  void add_stats(ResolverStats& s) const;

 private:
  HealthVerdict round();
  void apply(const HealthVerdict& v);
  void run();

  Upstream& up_;
  const std::vector<Canary> canaries_;
  const std::chrono::milliseconds timeout_, interval_;
  std::function<void()> on_unhealthy_;

  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> probes_{0};
  mutable std::mutex mu_;  // guards why_, last_warn_, stop_
  std::string why_;
  Clock::time_point last_warn_{};
  bool stop_ = false;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace legit::dns_detail
