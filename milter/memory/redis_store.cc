// redis_store.cc — the fleet store: every MX host of a site shares one Redis
// (hiredis, synchronous contexts with SO_RCVTIMEO/SO_SNDTIMEO deadlines).
//
// A record is a hash PREFIXkey {c: count, f: first, l: last, h: half-life}
// with EXPIRE. Writes: one Lua script (loaded once per writer connection
// with SCRIPT LOAD, then EVALSHA; a NOSCRIPT answer after a Redis restart or
// SCRIPT FLUSH loads it again and re-sends) applies up to kChunk updates per
// call (decay + add + expire each), atomically, pipelined: one round trip
// per write batch, one script run per 128 updates instead of one EVAL with
// the script's text per update (bench/memory.sh: see README).
// Exactly once: each update carries Memory's sequence number; the script
// keeps, per writer (a random id per store object), the highest sequence it
// applied (key PREFIXw:ID, 7 days) and skips updates at or below it, in the
// same atomic run. So a batch re-sent after the connection broke before its
// replies came back (applied or not: unknown) counts each update once.
// A message's reads (an HMGET per key, formatted here in one buffer) are
// started at end of headers and answered at end-of-data through ONE shared
// read connection (redis_mux.h): requests made while a batch is in flight
// go out together, and whoever reads the socket hands every answer to its
// message, so a busy milter pays one round trip for several messages. A
// read whose answer misses the deadline (Redis alive but late: a CPU-starved
// host stalls it for tens of ms now and then) fails that message only
// (temperror; its answers are dropped when they come; "missed its deadline"
// logged at most once a minute with how long after the request it was).
// When no answer came for 0.1 s while reads waited (a hung Redis), or on
// any other failure (connect, reset, protocol), the store answers false at
// once for one second (a dead or hung Redis costs nothing per message),
// logged at most once a minute, and "reachable again" after.
// Synchronous reads (read(): `check`, `memory show`) use the same shared
// connection, deadline and late rule.
// With a local copy (RedisOptions::replica_records, the daemon's default:
// redis_replica.h), a message's reads are answered from the copy and
// nothing is sent; the shared connection serves them only while the copy
// is not in step. The write script appends what it changed to the write
// log the copies follow, and erase_* append their deletions.
// Writes (the Memory writer thread only) get 10x the deadline, at most 1 s;
// a failed write batch is WriteResult::retry and is kept by Memory.
// Redis Cluster is not supported (a script's keys must share one slot);
// Sentinel / replicas: see README "A fleet of MX hosts".
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>

#include "legit/memory.h"
#include "memory_detail.h"
#include "redis_conn.h"
#include "redis_fields.h"
#include "redis_mux.h"
#include "redis_replica.h"
#include "redis_script.h"

namespace legit {
namespace {

using memory_detail::LogEvery;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunk = 128;        // updates per script run
constexpr const char* kMarkTtl = "604800";  // 7 days

using redis_conn::Ctx;
using redis_conn::Reply;

class RedisStore : public Store, public redis_mux::Host {
 public:
  explicit RedisStore(const RedisOptions& o) : o_(o), conn_(o), name_(conn_.name()), mux_(*this, o.prefix, o.deadline) {
    if (o.replica_records) replica_ = std::make_unique<redis_replica::Replica>(o, conn_, o.replica_records);
  }

  // Every read, a message's or `check`'s and `memory show`'s, goes through
  // the shared read connection (redis_mux.h): one request builder, one
  // parser, one deadline and late rule.
  bool read(const std::vector<std::string>& keys, std::int64_t now,
            std::vector<std::optional<Record>>& out) override {
    KeyBatch batch;
    for (const auto& k : keys) batch.add(k);
    out.assign(keys.size(), std::nullopt);
    auto t = mux_.start(batch);
    return mux_.finish(*t, now, out);
  }

  std::unique_ptr<PendingRead> start_read(const KeyBatch& keys) override;

  // redis_mux::Host: the messages' reads share one connection (redis_mux.h).
  void late(long ms) override {
    late_log_.log(LogLevel::warning, "memory: " + name_ + " read missed its deadline (no answer " +
                                         std::to_string(ms) + " ms after the request was sent, memory-timeout " +
                                         std::to_string(static_cast<long>(o_.deadline * 1000)) +
                                         " ms); that message's memory checks report temperror, mail flows "
                                         "(logged at most once a minute)");
  }
  Ctx connect_reader() override {
    if (Clock::now().time_since_epoch().count() < down_until_.load()) return nullptr;
    Ctx c = connect(o_.deadline);
    if (!c) mark_down();
    return c;
  }
  void failed(const char* what, const redisContext* c) override {
    problem(what, c);
    mark_down();
  }

  WriteResult write(const std::vector<Update>& updates) override {
    std::lock_guard<std::mutex> lock(writer_mu_);
    // A writer connection idle for a second may have been closed by Redis
    // (`timeout`): checked before use, so the batch goes on a fresh one
    // instead of failing, being logged as a failure and waiting a second.
    if (writer_ && Clock::now() - writer_used_ > std::chrono::seconds(1) && redis_conn::gone_while_idle(writer_.get()))
      writer_.reset();
    writer_used_ = Clock::now();
    for (int attempt = 0; attempt < 2; ++attempt) {  // the second after NOSCRIPT
      if (!writer_) writer_ = connect_writer();
      if (!writer_) return WriteResult::retry;
      std::size_t calls = 0;
      for (std::size_t at = 0; at < updates.size(); at += kChunk, ++calls)
        append_script(updates, at, std::min(updates.size(), at + kChunk));
      bool noscript = false;
      for (std::size_t i = 0; i < calls; ++i) {
        void* raw = nullptr;
        if (redisGetReply(writer_.get(), &raw) != REDIS_OK || !raw) {
          problem("write", writer_.get());
          writer_.reset();
          return WriteResult::retry;  // re-sent later: applied ones are skipped (seq)
        }
        Reply r(static_cast<redisReply*>(raw));
        if (r->type != REDIS_REPLY_ERROR) continue;
        std::string err(r->str, r->len);
        if (err.rfind("NOSCRIPT", 0) == 0) noscript = true;
        else conn_.log().log(LogLevel::error, "memory: " + name_ + " write: " + err);
      }
      if (!noscript) return WriteResult::ok;
      writer_.reset();  // reconnect loads the script again; applied calls are skipped (seq)
    }
    return WriteResult::retry;
  }

  bool erase_prefix(std::string_view prefix, std::size_t* n) override {
    *n = 0;
    std::vector<std::string> keys;
    Ctx c = connect(write_deadline());
    if (!c || !scan_keys(c.get(), prefix, 1000000, keys)) return false;
    for (const auto& k : keys) {
      Reply r(static_cast<redisReply*>(redisCommand(c.get(), "DEL %b", k.data(), k.size())));
      if (!r) return false;
      if (r->type == REDIS_REPLY_INTEGER) *n += static_cast<std::size_t>(r->integer);
    }
    return log_deletion(c.get(), item(o_.prefix + std::string(prefix), '*'));
  }

  bool erase_keys(const std::vector<std::string>& keys, std::size_t* n) override {
    *n = 0;
    Ctx c = keys.empty() ? nullptr : connect(write_deadline());
    if (!c) return keys.empty();
    std::string items;
    for (const auto& k : keys) items += item(o_.prefix + k, '-');
    for (std::size_t at = 0; at < keys.size(); at += 500) {  // DEL k1 k2 ...
      std::vector<std::string> args{"DEL"};
      for (std::size_t i = at; i < std::min(keys.size(), at + 500); ++i) args.push_back(o_.prefix + keys[i]);
      std::vector<const char*> argv;
      std::vector<std::size_t> lens;
      for (const auto& a : args) argv.push_back(a.data()), lens.push_back(a.size());
      Reply r(static_cast<redisReply*>(redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lens.data())));
      if (!r || r->type != REDIS_REPLY_INTEGER) return false;
      *n += static_cast<std::size_t>(r->integer);
    }
    return log_deletion(c.get(), items);
  }

  bool scan(std::string_view prefix, std::int64_t now, std::size_t limit,
            std::vector<std::pair<std::string, Record>>& out) override {
    std::vector<std::string> keys;
    {
      Ctx c = connect(write_deadline());
      if (!c || !scan_keys(c.get(), prefix, limit, keys)) return false;
    }
    for (auto& k : keys) k.erase(0, o_.prefix.size());
    std::vector<std::optional<Record>> recs;
    if (!read(keys, now, recs)) return false;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (recs[i]) out.emplace_back(keys[i], *recs[i]);
    return true;
  }

  std::string secret(bool create) override {
    Ctx c = connect(write_deadline());
    if (!c) return "";
    std::string key = o_.prefix + std::string(redis_conn::kSecret);
    if (create) {
      std::string fresh = memory_detail::random_hex(16);
      if (fresh.empty()) return "";
      Reply r(static_cast<redisReply*>(redisCommand(c.get(), "SET %b %b NX", key.data(), key.size(),
                                                    fresh.data(), fresh.size())));
      if (!r) return "";
    }
    Reply r(static_cast<redisReply*>(redisCommand(c.get(), "GET %b", key.data(), key.size())));
    return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
  }

  std::string describe() const override { return name_; }

  CopyState copy_state() const override {
    if (!replica_) return {};
    return {replica_->kept(), replica_->in_step(), replica_->size()};
  }

 private:
  // A deletion for the write log (replica_map.h): "LEN:KEY -" or "LEN:PREFIX *".
  static std::string item(const std::string& key, char op) {
    return std::to_string(key.size()) + ":" + key + " " + op + "\n";
  }
  // Tells the fleet's local copies (redis_replica.h) what was deleted.
  bool log_deletion(redisContext* c, const std::string& items) {
    std::string log = o_.prefix + std::string(redis_replica::kLog), count = o_.prefix + std::string(redis_replica::kLogCount);
    Reply r(static_cast<redisReply*>(redisCommand(c, "EVAL %s 2 %b %b %s %b", redis_script::kLogScript, log.data(),
                                                  log.size(), count.data(), count.size(), redis_replica::kLogMax,
                                                  items.data(), items.size())));
    return r && r->type == REDIS_REPLY_INTEGER;
  }

  // EVALSHA of updates [from, to) on the writer, pipelined (reply read
  // later), formatted here as RESP into one reused buffer (no string per
  // argument).
  void append_script(const std::vector<Update>& updates, std::size_t from, std::size_t to) {
    std::string& out = wbuf_;
    out.clear();
    std::size_t n = to - from;
    char head[48];
    // EVALSHA sha numkeys mark log count keys ttl maxlen args
    int h = std::snprintf(head, sizeof head, "*%zu\r\n", 8 + 6 * n);
    out.append(head, static_cast<std::size_t>(h));
    resp::bulk(out, "EVALSHA");
    resp::bulk(out, sha_);
    resp::bulk_int(out, static_cast<std::int64_t>(n + 3));
    resp::bulk(out, mark_);
    resp::bulk(out, o_.prefix, redis_replica::kLog);
    resp::bulk(out, o_.prefix, redis_replica::kLogCount);
    for (std::size_t i = from; i < to; ++i) resp::bulk(out, o_.prefix, updates[i].key);
    resp::bulk(out, kMarkTtl);
    resp::bulk(out, redis_replica::kLogMax);
    for (std::size_t i = from; i < to; ++i) {
      const Update& u = updates[i];
      resp::bulk_num(out, u.add);
      resp::bulk_num(out, u.half_life);
      resp::bulk_int(out, std::max<std::int64_t>(u.ttl, 1));
      resp::bulk_int(out, u.at);
      resp::bulk_int(out, static_cast<std::int64_t>(u.seq));
    }
    redisAppendFormattedCommand(writer_.get(), out.data(), out.size());
  }

  // The writer's context with the script loaded (sha_), or nullptr.
  Ctx connect_writer() {
    Ctx c = connect(write_deadline());
    if (!c) return nullptr;
    Reply r(static_cast<redisReply*>(redisCommand(c.get(), "SCRIPT LOAD %s", redis_script::kIncrScript)));
    if (!r || r->type != REDIS_REPLY_STRING) {
      if (r && r->type == REDIS_REPLY_ERROR)
        conn_.log().log(LogLevel::error, "memory: " + name_ + " SCRIPT LOAD: " + std::string(r->str, r->len));
      else
        problem("SCRIPT LOAD", c.get());
      return nullptr;
    }
    sha_.assign(r->str, r->len);
    return c;
  }

  // Random, so no two writers (processes, MX hosts) share a mark; without
  // /dev/urandom: host, pid and time.
  static std::string writer_id() {
    std::string id = memory_detail::random_hex(8);
    if (!id.empty()) return id;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    return std::string(host) + "." + std::to_string(getpid()) + "." +
           std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  }

  double write_deadline() const { return std::min(1.0, std::max(0.05, o_.deadline * 10)); }

  void mark_down() {
    auto until = Clock::now() + std::chrono::seconds(1);
    down_until_.store(until.time_since_epoch().count());
  }

  Ctx connect(double deadline) { return conn_.connect(deadline); }
  void problem(const char* what, const redisContext* c) { conn_.problem(what, c); }
  bool scan_keys(redisContext* c, std::string_view prefix, std::size_t limit, std::vector<std::string>& keys) {
    return redis_conn::scan_keys(c, o_.prefix, prefix, limit, keys);
  }

  RedisOptions o_;
  redis_conn::Connector conn_;
  std::string name_;
  std::mutex writer_mu_;
  Ctx writer_;
  Clock::time_point writer_used_{};  // the writer's last batch (writer_mu_)
  std::string sha_;  // of kIncrScript, from SCRIPT LOAD
  std::string wbuf_;  // the writer's request, reused (writer_mu_)
  std::string mark_ = o_.prefix + std::string(redis_conn::kMarkPrefix) + writer_id();  // this writer's high-water mark
  std::atomic<Clock::rep> down_until_{0};
  LogEvery late_log_;
  redis_mux::Mux mux_;  // uses the members above
  std::unique_ptr<redis_replica::Replica> replica_;  // last: stopped first
};

// A message's read, sent at end of headers through the shared read
// connection and answered at end-of-data (redis_mux.h). Unfinished (the
// message aborted), its answers are dropped.
class MuxRead : public PendingRead {
 public:
  MuxRead(redis_mux::Mux& mux, std::shared_ptr<redis_mux::Ticket> t) : mux_(mux), t_(std::move(t)) {}
  ~MuxRead() override {
    if (t_) mux_.abandon(*t_);
  }
  bool finish(std::int64_t now, std::vector<std::optional<Record>>& out) override {
    auto t = std::move(t_);
    return t && mux_.finish(*t, now, out);
  }

 private:
  redis_mux::Mux& mux_;
  std::shared_ptr<redis_mux::Ticket> t_;  // nullptr once finished
};

// A message's read from the local copy (redis_replica.h): nothing is sent;
// answered at end-of-data from the copy when it is in step, else from
// Redis then (one round trip, as a MuxRead started late).
class LocalRead : public PendingRead {
 public:
  LocalRead(const redis_replica::Replica& replica, redis_mux::Mux& mux, const KeyBatch& keys)
      : replica_(replica), mux_(mux), keys_(keys) {}
  bool finish(std::int64_t now, std::vector<std::optional<Record>>& out) override {
    if (replica_.read(keys_, now, out)) return true;
    auto t = mux_.start(keys_);
    return mux_.finish(*t, now, out);
  }

 private:
  const redis_replica::Replica& replica_;
  redis_mux::Mux& mux_;
  const KeyBatch& keys_;  // alive and unchanged until finish() (Store::start_read)
};

std::unique_ptr<PendingRead> RedisStore::start_read(const KeyBatch& keys) {
  if (replica_) return std::make_unique<LocalRead>(*replica_, mux_, keys);
  return std::make_unique<MuxRead>(mux_, mux_.start(keys));
}

}  // namespace

std::unique_ptr<Store> make_redis_store(const RedisOptions& o) { return std::make_unique<RedisStore>(o); }

}  // namespace legit
