// redis_replica.h — the milter's local copy of a Redis memory (option
// memory-replica, the daemon only), kept in step by one thread that follows
// the write log every writer appends to (replica_map.h says why and the
// log's format; redis_script.h writes it).
//
// How: at start, and whenever it lost its place in the log, the thread
// notes the log's last entry, then copies every record (SCAN, then HMGET and
// TTL pipelined); then it reads the log from that entry on (XREAD BLOCK),
// applying each entry's records. Every entry carries the log's counter
// (n, INCR in the same script): an entry whose n is not the last one + 1
// (the log was trimmed past us, Redis restarted empty, a FLUSHDB) means
// changes were missed, and the copy is made again.
// In step = copied, and Redis answered within the last 3 s (XREAD returns
// at least every second). Only then does read() answer; otherwise it
// returns false and the caller reads Redis itself (redis_store.cc), so a
// Redis that is down still gives temperror, never a stale answer.
// A memory larger than `max_records` is not copied (logged once): every
// read then goes to Redis.
// Bad input: a malformed log entry or reply is logged and the copy made
// again; nothing throws out of the thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "legit/memory.h"
#include "redis_conn.h"
#include "replica_map.h"

namespace legit::redis_replica {

// The log's keys (after the store's prefix: redis_conn.h) and how many
// entries it keeps (XADD MAXLEN ~): a follower more than that many write
// batches behind copies everything again.
using redis_conn::kLog;
using redis_conn::kLogCount;
inline constexpr const char* kLogMax = "2000";

class Replica {
 public:
  Replica(const RedisOptions& o, redis_conn::Connector& conn, std::size_t max_records);
  ~Replica();  // stops the thread (wakes it from XREAD)
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // The records of `keys` from the copy, decayed to `now`; false when the
  // copy is not in step (then read Redis).
  bool read(const KeyBatch& keys, std::int64_t now, std::vector<std::optional<Record>>& out) const;
  bool in_step() const;
  bool kept() const { return !given_up_.load(std::memory_order_relaxed); }  // false: too big
  std::size_t size() const { return map_.size(); }

 private:
  void run();
  bool copy_all(redisContext* c);
  void follow(redisContext* c);
  bool apply_reply(const redisReply* r);
  bool counter_kept(redisContext* c);
  void pause(std::chrono::milliseconds d);
  void mark_fresh();

  RedisOptions o_;
  redis_conn::Connector& conn_;
  std::size_t max_records_;
  std::string log_key_, count_key_;
  replica::Map map_;
  std::atomic<bool> synced_{false};
  std::atomic<bool> given_up_{false};  // more records than max_records_: no copy
  std::atomic<std::int64_t> fresh_until_{0};  // steady_clock ticks
  std::string last_id_ = "0-0";  // the last log entry applied (thread only)
  long long last_n_ = 0;
  bool any_n_ = true;  // the log was empty when copied: its first entry is ours
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  int fd_ = -1;  // the thread's connection, shut down to stop it
  std::thread thread_;  // last: started when everything above is ready
};

}  // namespace legit::redis_replica
