// replica_map.h — the Redis store's local copy of the fleet's records, and
// the parser of the write log that keeps it in step (redis_replica.cc).
//
// Why: a read from Redis costs this milter one round trip per message (a
// send that wakes Redis on another CPU, the answer's recv, the hand-over
// between threads: 7–12 % of the milter's CPU on the bench, README "Cost").
// With a local copy, a message's memory reads are lookups in this map, as
// cheap as LMDB's, whatever the message's keys: new senders and triplets
// too, since a key absent here is absent in Redis (up to the log's delay).
//
// The log: every write batch of every MX host (the writer's Lua script,
// redis_script.h) appends one stream entry whose field `r` is the records
// it changed, written in full after the change, as items
//   LEN:KEY C F L H E\n   a record (count, first, last, half-life, expiry
//                          as unix seconds, -1 = none), KEY with the prefix
//   LEN:KEY -\n           a record deleted (memory forget)
//   LEN:KEY *\n           every record whose key starts with KEY deleted
// LEN is KEY's length in bytes, so a key may hold any byte.
// Bad input: parse_items() returns false at the first malformed item (a
// length that overruns, a missing or non-finite number, trailing bytes);
// items before it were passed on. Nothing throws but std::bad_alloc.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "legit/memory.h"

namespace legit::replica {

struct Item {
  double count = 0;
  std::int64_t first = 0, last = 0;
  double half_life = 0;
  std::int64_t expires = -1;  // unix seconds; -1 = never
};

enum class Op { set, erase, erase_prefix };

// The whole of `s` as a number (a double must be finite); false otherwise.
template <typename T>
bool parse_number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return false;
  if constexpr (std::is_floating_point_v<T>) return std::isfinite(out);
  return true;
}

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
// Key without the store's prefix → record (string_view lookups).
using Records = std::unordered_map<std::string, Item, KeyHash, std::equal_to<>>;

// Each item of `text` whose key starts with `prefix`, to fn(op, key without
// the prefix, item); other keys are skipped. False = malformed (see above).
bool parse_items(std::string_view text, std::string_view prefix,
                 const std::function<void(Op, std::string_view, const Item&)>& fn);

// The copy: key (without the store's prefix) → record. Thread-safe: many
// readers, one writer (the follower).
class Map {
 public:
  // One entry per key, decayed to `now`; nullopt = absent or expired.
  void read(const KeyBatch& keys, std::int64_t now, std::vector<std::optional<Record>>& out) const;
  // Applies the items of log entries (parse_items' calls), under one lock.
  struct Change {
    Op op;
    std::string key;
    Item item;
  };
  void apply(const std::vector<Change>& changes);
  // Replaces everything (a full copy read from Redis).
  void replace(Records all);
  std::size_t sweep(std::int64_t now);  // drops expired records; count
  std::size_t size() const;

 private:
  mutable std::shared_mutex mu_;
  Records map_;
};

}  // namespace legit::replica
