// redis_conn.h — the Redis store's connections (redis_store.cc): owners of
// hiredis contexts and replies, connecting with a deadline per call plus
// AUTH and SELECT, the rate-limited problem log with its "reachable again",
// and SCAN of the store's keys by prefix (memory show / forget).
// Bad input: a Redis that refuses, times out or answers garbage gives
// nullptr / false, logged at most once a minute; nothing throws.
#pragma once

#include <hiredis/hiredis.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "legit/memory.h"
#include "memory_detail.h"

namespace legit::redis_conn {

struct CtxDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Ctx = std::unique_ptr<redisContext, CtxDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

class Connector {
 public:
  explicit Connector(const RedisOptions& o);
  const std::string& name() const { return name_; }  // "redis://host:port/db", "unix:/path?db=N"
  // A connected, authenticated context with `deadline` seconds per call, or
  // nullptr (the reason logged). After a problem, the first success logs
  // "reachable again".
  Ctx connect(double deadline);
  // Logs "WHAT failed: why" (at most once a minute).
  void problem(const char* what, const redisContext* c);
  memory_detail::LogEvery& log() { return log_; }

 private:
  RedisOptions o_;
  std::string name_;
  std::atomic<bool> down_{false};  // a problem was logged: log the recovery
  memory_detail::LogEvery log_;
};

// True when an idle connection (nothing due on it) has something to read:
// Redis closed it (redis.conf `timeout`, a proxy or NAT dropping idle
// flows) or sent what nobody asked for. One poll(), no wait.
bool gone_while_idle(const redisContext* c);

// The store's own keys (after its prefix) that are not records: each
// writer's high-water mark (w:ID), the site secret, the write log and its
// counter (redis_replica.h).
inline constexpr std::string_view kMarkPrefix = "w:", kSecret = "secret", kLog = "log", kLogCount = "log:n";

// Keys starting with key_prefix + prefix (at most `limit`, key_prefix kept),
// leaving out the store's own keys that are not records (above).
bool scan_keys(redisContext* c, const std::string& key_prefix, std::string_view prefix, std::size_t limit,
               std::vector<std::string>& keys);

}  // namespace legit::redis_conn
