// answer_cache.h — private to milter/dns: the answer cache in front of the
// upstream (DESIGN.md "Answers cached in the caller's thread").
//
// Parsed answers keyed by (type, lower-cased presentation name), held for
// their TTL: positive answers for the smallest TTL of their records (at most
// kMaxPositiveTtl), NXDOMAIN/NODATA for the negative TTL libunbound took from
// the SOA (RFC 2308 §5, at most kMaxNegativeTtl); temperror, malformed and
// TTL 0 are never held. Bounded: each of kShards shards holds at most
// max_entries / kShards answers and drops its least recently used one to
// make room (an eviction). Each shard has its own mutex, held for a map
// lookup and a list splice only, never across a wait, a callback or a
// syscall. Identical lookups in flight are joined: the first is a miss that
// reserves the key; later ones get the same future until complete().
//
// Bad input: none reaches it (names are checked before); nothing throws but
// std::bad_alloc.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "legit/dns.h"

namespace legit::dns_detail {

class AnswerCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kShards = 16;
  static constexpr std::uint32_t kMaxPositiveTtl = 86400;
  static constexpr std::uint32_t kMaxNegativeTtl = 3600;

  explicit AnswerCache(std::size_t max_entries);

  // The cache key of a presentation-form name and a type.
  static std::string key(std::string_view presentation, DnsType type);

  struct Found {
    enum Kind { hit, joined, miss } kind = miss;
    std::shared_ptr<const DnsAnswer> answer;   // hit
    std::shared_future<DnsAnswer> pending;     // joined, and miss when reserved
    bool reserved = false;                     // miss: the caller must start the
                                               // lookup and call complete(key, …)
  };
  // A held answer, or the lookup in flight for `key`; else a miss, which
  // reserves `key` (joinable from now on) when `reserve` is true.
  Found find(const std::string& key, Clock::time_point now, bool reserve);

  // The answer of a reserved lookup: held if it may be, joiners woken.
  void complete(const std::string& key, DnsAnswer a, Clock::time_point now);

  // Drops every NXDOMAIN/NODATA answer (when the resolver turns out to lie).
  void drop_negative();

  // How long an answer may be held (0 = not at all).
  static std::chrono::seconds hold_time(const DnsAnswer& a);

  void add_stats(ResolverStats& s) const;

 private:
  struct Node {
    std::string key;
    std::shared_ptr<const DnsAnswer> answer;
    Clock::time_point expires;
  };
  struct Flight {
    std::promise<DnsAnswer> promise;
    std::shared_future<DnsAnswer> future;
  };
  struct Shard {
    mutable std::mutex mu;
    std::list<Node> lru;  // front = most recently used
    std::unordered_map<std::string, std::list<Node>::iterator> held;
    std::unordered_map<std::string, Flight> flying;  // reserved, not yet complete
    std::uint64_t hits = 0, misses = 0, joined = 0, evictions = 0;
  };
  Shard& shard_of(const std::string& key);
  void erase(Shard& s, std::unordered_map<std::string, std::list<Node>::iterator>::iterator it);

  std::size_t per_shard_;
  std::vector<Shard> shards_;
};

}  // namespace legit::dns_detail
