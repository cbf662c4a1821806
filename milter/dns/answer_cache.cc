// answer_cache.cc — the sharded, TTL-honouring, size-bounded answer cache
// with joining of identical lookups in flight (answer_cache.h).
//
// Bad input: none reaches it; nothing throws but std::bad_alloc.
#include "answer_cache.h"

#include <algorithm>
#include <functional>

namespace legit::dns_detail {

AnswerCache::AnswerCache(std::size_t max_entries)
    : per_shard_(max_entries == 0 ? 0 : (max_entries + kShards - 1) / kShards),
      shards_(kShards) {}

std::string AnswerCache::key(std::string_view presentation, DnsType type) {
  std::string k;
  k.reserve(presentation.size() + 3);
  auto t = static_cast<std::uint16_t>(type);
  k += static_cast<char>(t >> 8);
  k += static_cast<char>(t & 0xff);
  for (char c : presentation) k += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return k;
}

std::chrono::seconds AnswerCache::hold_time(const DnsAnswer& a) {
  switch (a.status) {
    case DnsStatus::ok: return std::chrono::seconds(std::min(a.ttl, kMaxPositiveTtl));
    case DnsStatus::nxdomain:
    case DnsStatus::nodata: return std::chrono::seconds(std::min(a.ttl, kMaxNegativeTtl));
    case DnsStatus::temperror:
    case DnsStatus::malformed: break;
  }
  return std::chrono::seconds(0);
}

AnswerCache::Shard& AnswerCache::shard_of(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % kShards];
}

void AnswerCache::erase(Shard& s,
                        std::unordered_map<std::string, std::list<Node>::iterator>::iterator it) {
  s.lru.erase(it->second);
  s.held.erase(it);
}

AnswerCache::Found AnswerCache::find(const std::string& key, Clock::time_point now, bool reserve) {
  Shard& s = shard_of(key);
  Found f;
  std::lock_guard<std::mutex> g(s.mu);
  auto it = s.held.find(key);
  if (it != s.held.end()) {
    if (it->second->expires > now) {
      s.lru.splice(s.lru.begin(), s.lru, it->second);
      ++s.hits;
      f.kind = Found::hit;
      f.answer = it->second->answer;
      return f;
    }
    erase(s, it);
  }
  auto fl = s.flying.find(key);
  if (fl != s.flying.end()) {
    ++s.joined;
    f.kind = Found::joined;
    f.pending = fl->second.future;
    return f;
  }
  ++s.misses;
  f.kind = Found::miss;
  if (reserve) {
    Flight& flight = s.flying[key];
    flight.future = flight.promise.get_future().share();
    f.pending = flight.future;
    f.reserved = true;
  }
  return f;
}

void AnswerCache::complete(const std::string& key, DnsAnswer a, Clock::time_point now) {
  Shard& s = shard_of(key);
  std::promise<DnsAnswer> promise;
  bool had = false;
  auto hold = hold_time(a);
  {
    std::lock_guard<std::mutex> g(s.mu);
    auto fl = s.flying.find(key);
    if (fl != s.flying.end()) {
      promise = std::move(fl->second.promise);
      s.flying.erase(fl);
      had = true;
    }
    if (hold.count() > 0 && per_shard_ > 0) {
      auto it = s.held.find(key);
      if (it != s.held.end()) erase(s, it);
      while (s.held.size() >= per_shard_ && !s.lru.empty()) {
        const Node& last = s.lru.back();
        if (last.expires > now) ++s.evictions;
        s.held.erase(last.key);
        s.lru.pop_back();
      }
      s.lru.push_front(Node{key, std::make_shared<const DnsAnswer>(a), now + hold});
      s.held[key] = s.lru.begin();
    }
  }
  // Outside the lock: waking the joiners may take a futex syscall.
  if (had) promise.set_value(std::move(a));
}

void AnswerCache::drop_negative() {
  for (Shard& s : shards_) {
    std::lock_guard<std::mutex> g(s.mu);
    for (auto it = s.held.begin(); it != s.held.end();) {
      auto status = it->second->answer->status;
      auto next = std::next(it);
      if (status == DnsStatus::nxdomain || status == DnsStatus::nodata) erase(s, it);
      it = next;
    }
  }
}

void AnswerCache::add_stats(ResolverStats& out) const {
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> g(s.mu);
    out.cache_hits += s.hits;
    out.cache_misses += s.misses;
    out.cache_joined += s.joined;
    out.cache_evictions += s.evictions;
    out.cache_entries += s.held.size();
  }
}

}  // namespace legit::dns_detail
