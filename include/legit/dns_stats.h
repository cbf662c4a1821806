// dns_stats.h — process-wide DNS counters that outlive any one resolver (a
// reload may build a new one), read by the metrics endpoint (milter/insight).
// Plain relaxed atomics: counting costs one increment per lookup; readers see
// each counter eventually consistent with the others. The cache and health
// figures are the resolver's own (Resolver::stats()).
#pragma once

#include <atomic>
#include <cstdint>

namespace legit {

struct DnsStats {
  std::atomic<std::uint64_t> lookups{0};    // lookups the checks asked for (Session's resolver)
  std::atomic<std::uint64_t> timeouts{0};   // upstream queries that hit our deadline
  std::atomic<std::uint64_t> temperrors{0}; // upstream temperror answers (timeouts included)
};

// The one instance of the process (never destroyed).
DnsStats& dns_stats();

}  // namespace legit
