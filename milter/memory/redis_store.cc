// redis_store.cc — the fleet store: every MX host of a site shares one Redis
// (hiredis, synchronous contexts with SO_RCVTIMEO/SO_SNDTIMEO deadlines).
//
// A record is a hash PREFIXkey {c: count, f: first, l: last, h: half-life}
// with EXPIRE; an update is one Lua script (decay + add + expire, atomic in
// Redis), a batch is pipelined: one round trip per read or write batch.
// Reads take a context from a small pool (libmilter threads run in
// parallel; a hiredis context is not thread-safe) and get `deadline` per
// call; after any failure the store answers false at once for one second
// (a dead Redis costs nothing per message) and logs at most once a minute.
// Writes (the Memory writer thread only) get 10x the deadline, at most 1 s;
// a failed write batch is WriteResult::retry and is kept by Memory.
#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>

#include "legit/memory.h"
#include "memory_detail.h"

namespace legit {
namespace {

using memory_detail::LogEvery;
using Clock = std::chrono::steady_clock;

constexpr const char* kIncrScript =
    "local at = tonumber(ARGV[4]) "
    "local r = redis.call('HMGET', KEYS[1], 'c', 'f', 'l', 'h') "
    "local c = tonumber(r[1]) or 0 "
    "local f = tonumber(r[2]) or at "
    "local l = tonumber(r[3]) or at "
    "local h = tonumber(r[4]) or tonumber(ARGV[2]) "
    "if h > 0 and at > l then c = c * math.pow(0.5, (at - l) / h) end "
    "if at > l then l = at end "
    "if at < f then f = at end "
    "redis.call('HSET', KEYS[1], 'c', string.format('%.17g', c + tonumber(ARGV[1])), "
    "  'f', string.format('%d', f), 'l', string.format('%d', l), 'h', string.format('%.17g', h)) "
    "local ttl = tonumber(ARGV[3]) "
    "if redis.call('TTL', KEYS[1]) < ttl then redis.call('EXPIRE', KEYS[1], ttl) end "
    "return 1";

struct CtxDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Ctx = std::unique_ptr<redisContext, CtxDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

timeval tv_of(double seconds) {
  timeval tv{};
  tv.tv_sec = static_cast<long>(seconds);
  tv.tv_usec = static_cast<long>((seconds - static_cast<double>(tv.tv_sec)) * 1e6);
  return tv;
}

double num(const redisReply* r, double fallback) {
  if (!r || r->type != REDIS_REPLY_STRING) return fallback;
  std::string s(r->str, r->len);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  return end && *end == '\0' && std::isfinite(v) ? v : fallback;
}

class RedisStore : public Store {
 public:
  explicit RedisStore(const RedisOptions& o) : o_(o) {
    name_ = o.unix_path.empty() ? "redis://" + o.host + ":" + std::to_string(o.port) + "/" + std::to_string(o.db)
                                : "unix:" + o.unix_path + "?db=" + std::to_string(o.db);
  }

  bool read(const std::vector<std::string>& keys, std::int64_t now,
            std::vector<std::optional<Record>>& out) override {
    out.assign(keys.size(), std::nullopt);
    if (keys.empty()) return true;
    Ctx c = take();
    if (!c) return false;
    for (const auto& k : keys) {
      std::string key = o_.prefix + k;
      redisAppendCommand(c.get(), "HMGET %b c f l h", key.data(), key.size());
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(c.get(), &raw) != REDIS_OK || !raw) return failed(std::move(c), "read");
      Reply r(static_cast<redisReply*>(raw));
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) return failed(std::move(c), "read (bad reply)");
      if (r->element[0]->type != REDIS_REPLY_STRING) continue;
      double count = num(r->element[0], 0), half = num(r->element[3], 0);
      auto first = static_cast<std::int64_t>(num(r->element[1], 0));
      auto last = static_cast<std::int64_t>(num(r->element[2], 0));
      out[i] = Record{decay(count, last, now, half), first, last};
    }
    give(std::move(c));
    return true;
  }

  WriteResult write(const std::vector<Update>& updates) override {
    std::lock_guard<std::mutex> lock(writer_mu_);
    if (!writer_) writer_ = connect(write_deadline());
    if (!writer_) return WriteResult::retry;
    for (const auto& u : updates) {
      std::string key = o_.prefix + u.key;
      std::string add = fmt(u.add), half = fmt(u.half_life), ttl = std::to_string(std::max<std::int64_t>(u.ttl, 1)),
                  at = std::to_string(u.at);
      redisAppendCommand(writer_.get(), "EVAL %s 1 %b %b %b %b %b", kIncrScript, key.data(), key.size(),
                         add.data(), add.size(), half.data(), half.size(), ttl.data(), ttl.size(),
                         at.data(), at.size());
    }
    for (std::size_t i = 0; i < updates.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(writer_.get(), &raw) != REDIS_OK || !raw) {
        problem("write", writer_.get());
        writer_.reset();
        return WriteResult::retry;  // the script is idempotent enough: a re-sent +1 at worst
      }
      Reply r(static_cast<redisReply*>(raw));
      if (r->type == REDIS_REPLY_ERROR) log_.log(LogLevel::error, "memory: " + name_ + " write: " + std::string(r->str, r->len));
    }
    return WriteResult::ok;
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
    return true;
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
    std::string key = o_.prefix + "secret";
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

 private:
  static std::string fmt(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
  }

  double write_deadline() const { return std::min(1.0, std::max(0.05, o_.deadline * 10)); }

  // A connected, authenticated context with `deadline` per call, or nullptr
  // (the reason logged, rate-limited).
  Ctx connect(double deadline) {
    timeval tv = tv_of(deadline);
    Ctx c(o_.unix_path.empty() ? redisConnectWithTimeout(o_.host.c_str(), o_.port, tv)
                               : redisConnectUnixWithTimeout(o_.unix_path.c_str(), tv));
    if (!c || c->err) {
      problem("connect", c.get());
      return nullptr;
    }
    redisSetTimeout(c.get(), tv);
    if (!o_.password.empty()) {
      auto sp = o_.password.find(' ');
      Reply r(static_cast<redisReply*>(
          sp == std::string::npos
              ? redisCommand(c.get(), "AUTH %s", o_.password.c_str())
              : redisCommand(c.get(), "AUTH %s %s", o_.password.substr(0, sp).c_str(),
                             o_.password.substr(sp + 1).c_str())));
      if (!r || r->type == REDIS_REPLY_ERROR) {
        log_.log(LogLevel::error, "memory: " + name_ + ": AUTH failed" +
                                      (r ? ": " + std::string(r->str, r->len) : std::string()));
        return nullptr;
      }
    }
    if (o_.db != 0) {
      Reply r(static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", o_.db)));
      if (!r || r->type == REDIS_REPLY_ERROR) {
        problem("SELECT", c.get());
        return nullptr;
      }
    }
    log_.recovered("memory: " + name_ + " reachable again");
    return c;
  }

  Ctx take() {
    auto now = Clock::now().time_since_epoch().count();
    if (now < down_until_.load()) return nullptr;
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (!pool_.empty()) {
        Ctx c = std::move(pool_.back());
        pool_.pop_back();
        return c;
      }
    }
    Ctx c = connect(o_.deadline);
    if (!c) mark_down();
    return c;
  }

  void give(Ctx c) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (pool_.size() < 64) pool_.push_back(std::move(c));
  }

  bool failed(Ctx c, const char* what) {
    problem(what, c.get());
    mark_down();
    std::lock_guard<std::mutex> lock(pool_mu_);
    pool_.clear();  // the others may be as stale as this one
    return false;
  }

  void mark_down() {
    auto until = Clock::now() + std::chrono::seconds(1);
    down_until_.store(until.time_since_epoch().count());
  }

  void problem(const char* what, const redisContext* c) {
    std::string why = c && c->err ? std::string(c->errstr) : "no context";
    log_.log(LogLevel::warning, "memory: " + name_ + " " + what + " failed: " + why +
                                    "; memory checks report temperror, mail flows "
                                    "(logged at most once a minute)");
  }

  bool scan_keys(redisContext* c, std::string_view prefix, std::size_t limit, std::vector<std::string>& keys) {
    std::string match = o_.prefix;
    for (char ch : prefix) {  // glob-escape the prefix
      if (ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch == '\\') match += '\\';
      match += ch;
    }
    match += '*';
    std::string cursor = "0";
    do {
      Reply r(static_cast<redisReply*>(redisCommand(c, "SCAN %s MATCH %b COUNT 1000", cursor.c_str(),
                                                    match.data(), match.size())));
      if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return false;
      cursor.assign(r->element[0]->str, r->element[0]->len);
      for (std::size_t i = 0; i < r->element[1]->elements && keys.size() < limit; ++i) {
        const redisReply* k = r->element[1]->element[i];
        std::string key(k->str, k->len);
        if (key != o_.prefix + "secret") keys.push_back(std::move(key));
      }
    } while (cursor != "0" && keys.size() < limit);
    return true;
  }

  RedisOptions o_;
  std::string name_;
  std::mutex pool_mu_;
  std::vector<Ctx> pool_;
  std::mutex writer_mu_;
  Ctx writer_;
  std::atomic<Clock::rep> down_until_{0};
  LogEvery log_;
};

}  // namespace

std::unique_ptr<Store> make_redis_store(const RedisOptions& o) { return std::make_unique<RedisStore>(o); }

}  // namespace legit
