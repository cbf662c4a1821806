// redis_replica.cc — the local copy of a Redis memory and the thread that
// keeps it in step with the write log (redis_replica.h).
#include "redis_replica.h"

#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>

namespace legit::redis_replica {
namespace {

using Clock = std::chrono::steady_clock;
using redis_conn::Reply;
constexpr double kCallDeadline = 3.0;  // XREAD blocks 1 s; Redis answers by then or is hung
constexpr auto kFreshFor = std::chrono::seconds(3);
constexpr std::size_t kCopyChunk = 256;  // records per pipelined round trip while copying

std::string_view str(const redisReply* r) { return std::string_view(r->str, r->len); }

using replica::parse_number;

bool is(const redisReply* r, int type) { return r && r->type == type; }

// A log entry [id, [field, value, ...]]: its id, counter n and records r.
bool entry_fields(const redisReply* e, std::string_view& id, long long& n, std::string_view& recs) {
  if (!is(e, REDIS_REPLY_ARRAY) || e->elements != 2 || !is(e->element[0], REDIS_REPLY_STRING) ||
      !is(e->element[1], REDIS_REPLY_ARRAY) || e->element[1]->elements % 2)
    return false;
  id = str(e->element[0]);
  bool have_n = false, have_r = false;
  const redisReply* f = e->element[1];
  for (std::size_t i = 0; i < f->elements; i += 2) {
    if (!is(f->element[i], REDIS_REPLY_STRING) || !is(f->element[i + 1], REDIS_REPLY_STRING)) return false;
    std::string_view name = str(f->element[i]), value = str(f->element[i + 1]);
    if (name == "n") have_n = parse_number(value, n);
    else if (name == "r") recs = value, have_r = true;
  }
  return have_n && have_r;
}

}  // namespace

Replica::Replica(const RedisOptions& o, redis_conn::Connector& conn, std::size_t max_records)
    : o_(o), conn_(conn), max_records_(max_records), log_key_(o.prefix + std::string(kLog)),
      count_key_(o.prefix + std::string(kLogCount)), thread_([this] { run(); }) {}

Replica::~Replica() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    // Out of XREAD (or any wait for an answer) at once: reads see end of
    // file. Not SHUT_WR: a command the follower is about to write would then
    // raise SIGPIPE, which only the milter ignores (`check`, tests, tools).
    if (fd_ >= 0) shutdown(fd_, SHUT_RD);
  }
  cv_.notify_all();
  thread_.join();
}

bool Replica::in_step() const {
  return synced_.load(std::memory_order_acquire) &&
         Clock::now().time_since_epoch().count() < fresh_until_.load(std::memory_order_acquire);
}

bool Replica::read(const KeyBatch& keys, std::int64_t now, std::vector<std::optional<Record>>& out) const {
  if (!in_step()) return false;
  map_.read(keys, now, out);
  return true;
}

void Replica::mark_fresh() { fresh_until_.store((Clock::now() + kFreshFor).time_since_epoch().count()); }

void Replica::pause(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, d, [this] { return stop_; });
}

void Replica::run() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    redis_conn::Ctx c = conn_.connect(kCallDeadline);
    if (!c) {
      pause(std::chrono::seconds(1));
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      fd_ = c->fd;
    }
    bool ok = synced_ || copy_all(c.get());
    if (ok) follow(c.get());
    fresh_until_.store(0);
    {
      std::lock_guard<std::mutex> lock(mu_);
      fd_ = -1;
    }
    c.reset();
    if (max_records_ == 0) return;  // too big to copy: every read goes to Redis
    if (!ok) pause(std::chrono::seconds(1));
  }
}

// The log's position, then every record. A change made while copying is in
// the log after that position, so following it from there ends in step
// (records are written in full: applying one twice changes nothing).
bool Replica::copy_all(redisContext* c) {
  Reply last(static_cast<redisReply*>(
      redisCommand(c, "XREVRANGE %b + - COUNT 1", log_key_.data(), log_key_.size())));
  if (!is(last.get(), REDIS_REPLY_ARRAY) || last->elements > 1) {
    if (!last) conn_.problem("copy (XREVRANGE)", c);
    return false;
  }
  std::string_view id, recs;
  long long n = 0;
  if (last->elements == 1 && !entry_fields(last->element[0], id, n, recs)) return false;
  std::vector<std::string> keys;
  if (!redis_conn::scan_keys(c, o_.prefix, "", max_records_ + 1, keys)) {
    conn_.problem("copy (SCAN)", c);
    return false;
  }
  if (keys.size() > max_records_) {
    conn_.log().log(LogLevel::warning, "memory: " + conn_.name() + " holds more than " +
                                           std::to_string(max_records_) +
                                           " records (memory-size): no local copy, every message reads Redis");
    max_records_ = 0;
    given_up_.store(true, std::memory_order_relaxed);
    map_.replace({});  // a copy that grew past the limit is freed
    return false;
  }
  replica::Records all;
  all.reserve(keys.size());
  std::int64_t now = std::time(nullptr);
  for (std::size_t at = 0; at < keys.size(); at += kCopyChunk) {
    std::size_t to = std::min(keys.size(), at + kCopyChunk);
    for (std::size_t i = at; i < to; ++i) {
      redisAppendCommand(c, "HMGET %b c f l h", keys[i].data(), keys[i].size());
      redisAppendCommand(c, "TTL %b", keys[i].data(), keys[i].size());
    }
    for (std::size_t i = at; i < to; ++i) {
      void* a = nullptr;
      void* b = nullptr;
      if (redisGetReply(c, &a) != REDIS_OK || redisGetReply(c, &b) != REDIS_OK) {
        freeReplyObject(a);
        conn_.problem("copy (HMGET)", c);
        return false;
      }
      Reply fields(static_cast<redisReply*>(a)), ttl(static_cast<redisReply*>(b));
      // Not a record (a key of another kind under our prefix: WRONGTYPE), or
      // gone since SCAN: left out, as the milter's own reads would find nothing.
      if (!is(fields.get(), REDIS_REPLY_ARRAY) || fields->elements != 4 || !is(ttl.get(), REDIS_REPLY_INTEGER) ||
          ttl->integer == -2 || !is(fields->element[0], REDIS_REPLY_STRING))
        continue;
      replica::Item it;
      auto field = [&](std::size_t k) { return is(fields->element[k], REDIS_REPLY_STRING) ? str(fields->element[k]) : ""; };
      if (!parse_number(field(0), it.count)) continue;
      if (!parse_number(field(1), it.first)) it.first = now;
      if (!parse_number(field(2), it.last)) it.last = now;
      if (!parse_number(field(3), it.half_life)) it.half_life = 0;
      it.expires = ttl->integer < 0 ? -1 : now + ttl->integer;
      all.insert_or_assign(keys[i].substr(o_.prefix.size()), it);
    }
  }
  std::size_t copied = all.size();
  map_.replace(std::move(all));
  last_id_ = last->elements ? std::string(id) : "0-0";
  last_n_ = n;
  any_n_ = last->elements == 0;
  synced_.store(true, std::memory_order_release);
  mark_fresh();
  log_msg(LogLevel::info, "memory: local copy of " + std::to_string(copied) + " records from " + conn_.name() +
                              ", kept in step by its write log");
  return true;
}

// XREAD from the last entry applied until the connection fails, the log
// has a gap (synced_ false: copy again) or the replica stops.
void Replica::follow(redisContext* c) {
  auto last_sweep = Clock::now();
  for (;;) {
    Reply r(static_cast<redisReply*>(redisCommand(c, "XREAD COUNT 100 BLOCK 1000 STREAMS %b %s", log_key_.data(),
                                                  log_key_.size(), last_id_.c_str())));
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    if (!r) {
      conn_.problem("log (XREAD)", c);
      return;
    }
    if (r->type == REDIS_REPLY_NIL ? !counter_kept(c) : !apply_reply(r.get())) {
      synced_.store(false, std::memory_order_release);
      return;
    }
    mark_fresh();
    if (Clock::now() - last_sweep > std::chrono::minutes(1)) {
      last_sweep = Clock::now();
      map_.sweep(std::time(nullptr));
    }
  }
}

// A quiet second: the log's counter must not have gone back (a FLUSHDB, a
// Redis restarted without its data: nothing is logged for those). False =
// copy again (logged) or the connection failed (synced_ then stays).
bool Replica::counter_kept(redisContext* c) {
  Reply r(static_cast<redisReply*>(redisCommand(c, "GET %b", count_key_.data(), count_key_.size())));
  if (!r) {
    conn_.problem("log (GET)", c);
    return true;  // reconnect and go on from the same entry
  }
  long long n = 0;
  if (r->type == REDIS_REPLY_STRING) parse_number(str(r.get()), n);
  if (n >= last_n_) return true;
  conn_.log().log(LogLevel::info, "memory: " + conn_.name() + " write log counter went back from " +
                                      std::to_string(last_n_) + " to " + std::to_string(n) +
                                      " (flushed, or restarted without its data): copying the memory again");
  return false;
}

// One XREAD answer [[log, [entry, ...]]]: false when it is malformed or
// the log has a gap (logged: the copy is made again).
bool Replica::apply_reply(const redisReply* r) {
  auto again = [&](const std::string& why) {
    conn_.log().log(LogLevel::info, "memory: " + conn_.name() + " write log " + why + ": copying the memory again");
    return false;
  };
  if (!is(r, REDIS_REPLY_ARRAY) || r->elements != 1 || !is(r->element[0], REDIS_REPLY_ARRAY) ||
      r->element[0]->elements != 2 || !is(r->element[0]->element[1], REDIS_REPLY_ARRAY))
    return again("answer malformed");
  const redisReply* entries = r->element[0]->element[1];
  std::vector<replica::Map::Change> changes;
  for (std::size_t i = 0; i < entries->elements; ++i) {
    std::string_view id, recs;
    long long n = 0;
    if (!entry_fields(entries->element[i], id, n, recs)) return again("entry malformed");
    if (!any_n_ && n != last_n_ + 1)
      return again("skipped from " + std::to_string(last_n_) + " to " + std::to_string(n) +
                   " (trimmed, restarted or flushed)");
    bool ok = replica::parse_items(recs, o_.prefix, [&](replica::Op op, std::string_view key, const replica::Item& it) {
      changes.push_back({op, std::string(key), it});
    });
    if (!ok) return again("entry " + std::string(id) + " malformed");
    last_id_.assign(id);
    last_n_ = n;
    any_n_ = false;
  }
  map_.apply(changes);
  if (map_.size() > max_records_) {
    synced_.store(false, std::memory_order_release);
    return again("grew past " + std::to_string(max_records_) + " records (memory-size)");
  }
  return true;
}

}  // namespace legit::redis_replica
