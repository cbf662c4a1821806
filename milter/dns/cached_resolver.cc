// cached_resolver.cc — the production Resolver: the answer cache
// (answer_cache.h) in the calling thread, the health probe (health.h), and
// the libunbound upstream (unbound_resolver.cc) for misses.
//
// lookup(): check the name, then one shard lookup. A held answer is returned
// in a ready handle (no thread hop, no syscall: measured in test_dns_cache);
// a lookup of the same (name, type) in flight is joined (one query on the
// wire); a miss starts the upstream query, whose callback (on the upstream's
// loop thread) stores the answer and wakes every waiter. While the health
// probe says the resolver is unhealthy, a miss is answered temperror at once.
//
// Bad input: an invalid name gives a ready `malformed` answer; a bad server
// makes make_unbound_resolver() throw std::runtime_error naming it.
#include <atomic>
#include <memory>

#include "answer_cache.h"
#include "answer_parse.h"
#include "health.h"
#include "upstream.h"

namespace legit {
namespace {

using dns_detail::AnswerCache;
using dns_detail::Clock;

class CachedResolver final : public Resolver {
 public:
  CachedResolver(std::unique_ptr<dns_detail::Upstream> up, const ResolverOptions& opts)
      : timeout_(opts.timeout), cache_(opts.cache_entries), upstream_(std::move(up)) {
    std::vector<dns_detail::Canary> canaries;
    for (const auto& item : opts.canaries) {
      auto c = parse_canary(item, nullptr);
      if (c) canaries.push_back({c->first, c->second, item.substr(0, item.rfind('/'))});
    }
    if (canaries.empty()) return;
    health_ = std::make_unique<dns_detail::HealthProbe>(
        *upstream_, std::move(canaries), opts.timeout, opts.probe_interval,
        [this] { cache_.drop_negative(); });
    health_->start();
  }

  DnsLookup lookup(std::string_view name, DnsType type) override {
    std::string why;
    auto qname = dns_detail::query_name(name, &why);
    if (!qname) return DnsLookup::ready(DnsAnswer::of(DnsStatus::malformed, why));
    auto now = Clock::now();
    std::string key = AnswerCache::key(*qname, type);
    bool healthy = !health_ || health_->healthy();
    auto found = cache_.find(key, now, healthy);
    if (found.kind == AnswerCache::Found::hit) return DnsLookup(std::move(found.answer));
    if (found.kind == AnswerCache::Found::joined) return DnsLookup(std::move(found.pending));
    if (!found.reserved) {
      failed_fast_.fetch_add(1, std::memory_order_relaxed);
      return DnsLookup::ready(DnsAnswer::of(DnsStatus::temperror, "resolver unhealthy"));
    }
    upstream_->start(std::move(*qname), type, now + timeout_, [this, key](DnsAnswer a) {
      cache_.complete(key, std::move(a), Clock::now());
    });
    return DnsLookup(std::move(found.pending));
  }

  ResolverStats stats() const override {
    ResolverStats s;
    cache_.add_stats(s);
    if (health_) health_->add_stats(s);
    s.failed_fast = failed_fast_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  const std::chrono::milliseconds timeout_;
  // Destroyed in reverse: the probe first (it uses the upstream), then the
  // upstream (its last callbacks still store into the cache), then the cache.
  AnswerCache cache_;
  std::atomic<std::uint64_t> failed_fast_{0};
  std::unique_ptr<dns_detail::Upstream> upstream_;
  std::unique_ptr<dns_detail::HealthProbe> health_;
};

}  // namespace

std::unique_ptr<Resolver> make_caching_resolver(std::unique_ptr<dns_detail::Upstream> up,
                                                const ResolverOptions& opts) {
  return std::make_unique<CachedResolver>(std::move(up), opts);
}

std::unique_ptr<Resolver> make_unbound_resolver(const ResolverOptions& opts) {
  return make_caching_resolver(dns_detail::make_unbound_upstream(opts), opts);
}

}  // namespace legit
