// test_memory_redis_late.cc — a Redis that answers late (alive, but busy
// longer than memory-timeout: a CPU-starved host under load) fails only the
// reads that missed the deadline; the next read is answered as usual. Late
// answers with no answer in time for 0.1 s make the store back off like a
// dead Redis (false at once for a second). Redis is made busy by a Lua script that spins on TIME
// for a while on another connection (real redis-server, unix socket).
#include <doctest/doctest.h>
#include <hiredis/hiredis.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "config_test_util.h"
#include "legit/memory.h"
#include "redis_server.h"

using namespace legit;
using Clock = std::chrono::steady_clock;

namespace {

// A connection that keeps Redis busy for `ms` milliseconds (the script's
// answer is read by wait()).
struct Busy {
  redisContext* c;
  explicit Busy(const std::string& sock, int ms) : c(redisConnectUnix(sock.c_str())) {
    REQUIRE((c && !c->err));
    std::string script =
        "local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] "
        "repeat local n = redis.call('TIME') until n[1] * 1000000 + n[2] - s > " + std::to_string(ms * 1000);
    redisAppendCommand(c, "EVAL %s 0", script.c_str());
    int done = 0;
    while (!done) REQUIRE(redisBufferWrite(c, &done) == REDIS_OK);
    std::this_thread::sleep_for(std::chrono::milliseconds(15));  // Redis is inside the script
  }
  void wait() {
    void* r = nullptr;
    REQUIRE(redisGetReply(c, &r) == REDIS_OK);
    freeReplyObject(r);
  }
  ~Busy() { redisFree(c); }
};

// Redis with a 20 ms deadline per call and one record, "k" = 1.
struct OneRecord : test::RedisWithStore {
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  OneRecord() : RedisWithStore(0.02) { REQUIRE(store->write({{"k", 1, 0, 100, now}}) == WriteResult::ok); }
};

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

TEST_CASE("memory: a late Redis answer fails that read only, none in time for 0.1 s backs off") {
  OneRecord r;
  auto& redis = r.redis;
  auto& s = r.store;
  auto now = r.now;
  std::vector<std::optional<Record>> out;
  REQUIRE(s->read({"k"}, now, out));  // on the shared read connection, as in the milter

  {
    Busy busy(redis.sock, 200);
    auto t = Clock::now();
    CHECK_FALSE(s->read({"k"}, now, out));  // late: temperror for this message
    CHECK(ms_since(t) < 150);
    busy.wait();
  }
  // Redis answers again: so does the store, at once (it backed off for a
  // second after any failure before).
  REQUIRE(s->read({"k"}, now, out));
  REQUIRE(out[0]);
  CHECK(out[0]->count == 1);

  {  // the same through a message's read (sent at end of headers)
    KeyBatch keys;
    keys.add("k");
    Busy busy(redis.sock, 200);
    auto pending = s->start_read(keys);
    CHECK_FALSE(pending->finish(now, out));
    busy.wait();
    pending = s->start_read(keys);
    CHECK(pending->finish(now, out));
  }

  {  // late answers for more than 0.1 s: Redis is hung for now, back off
    REQUIRE(s->read({"k"}, now, out));  // the last answer in time
    auto start = Clock::now();
    Busy busy(redis.sock, 400);
    bool at_once = false;
    for (int i = 0; i < 30 && !at_once; ++i) {
      auto t = Clock::now();
      CHECK_FALSE(s->read({"k"}, now, out));
      at_once = ms_since(t) < 10;  // no wait for a deadline: backing off
    }
    CHECK(at_once);
    CHECK(ms_since(start) >= 95);  // not before 0.1 s without an answer
    busy.wait();
  }
  CHECK_FALSE(s->read({"k"}, now, out));  // still backing off (1 s)
}

TEST_CASE("memory: messages' reads on the shared connection: late ones fail alone, none in time for 0.1 s backs off") {
  OneRecord r;
  auto& redis = r.redis;
  auto& s = r.store;
  auto now = r.now;
  std::vector<std::optional<Record>> out;
  KeyBatch keys;
  keys.add("k");
  REQUIRE(s->start_read(keys)->finish(now, out));
  auto start = Clock::now();
  Busy busy(redis.sock, 400);
  bool at_once = false;
  int late = 0;
  for (int i = 0; i < 30 && !at_once; ++i) {
    auto t = Clock::now();
    CHECK_FALSE(s->start_read(keys)->finish(now, out));
    at_once = ms_since(t) < 10;  // no wait for a deadline: backing off
    late += !at_once;
  }
  CHECK(at_once);
  CHECK(late >= 3);  // the first late reads failed alone (20 ms each) ...
  CHECK(ms_since(start) >= 95);  // ... until 0.1 s without an answer
  busy.wait();
  CHECK_FALSE(s->start_read(keys)->finish(now, out));  // still backing off (1 s)
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  REQUIRE(s->start_read(keys)->finish(now, out));  // reconnected
  REQUIRE(out[0]);
  CHECK(out[0]->count == 1);
}
