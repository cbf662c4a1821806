// test_memory_redis_mux.cc — the messages' reads share one Redis connection
// (milter/memory/redis_mux.h), against a real redis-server (unix socket):
// each message gets its own answers, in any order of start and finish, from
// many threads at once, with messages that end without finishing; a message
// whose answer is late fails alone and the next ones read their own answers;
// Redis killed and started again: the reads in flight fail, later ones work.
#include <doctest/doctest.h>
#include <hiredis/hiredis.h>
#include <signal.h>

#include <atomic>
#include <ctime>
#include <random>
#include <thread>

#include "config_test_util.h"
#include "legit/memory.h"
#include "redis_server.h"

using namespace legit;

namespace {

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

// Records "k<i>" with count i (i = 1..n), written by the store's writer.
void seed(Store& s, int n) {
  std::vector<Update> u;
  for (int i = 1; i <= n; ++i) u.push_back({"k" + std::to_string(i), static_cast<double>(i), 0, 1000, now_s()});
  WriteResult r = WriteResult::retry;  // (a writer connection to a killed Redis fails once: retried)
  for (int i = 0; i < 5 && r != WriteResult::ok; ++i) r = s.write(u);
  REQUIRE(r == WriteResult::ok);
}

// The keys of "message" m: m % 7 + 1 keys k<m+j> and one absent key.
KeyBatch keys_of(int m) {
  KeyBatch k;
  for (int j = 0; j < m % 7 + 1; ++j) k.add("k" + std::to_string(m + j + 1));
  k.add("absent" + std::to_string(m));
  return k;
}

bool answers_right(int m, const std::vector<std::optional<Record>>& out) {
  std::size_t n = static_cast<std::size_t>(m % 7 + 1);
  if (out.size() != n + 1 || out[n]) return false;
  for (std::size_t j = 0; j < n; ++j)
    if (!out[j] || out[j]->count != static_cast<double>(m + static_cast<int>(j) + 1)) return false;
  return true;
}

long clients(const std::string& sock) {
  redisContext* c = redisConnectUnix(sock.c_str());
  auto* r = static_cast<redisReply*>(redisCommand(c, "INFO clients"));
  long n = -1;
  if (r && r->type == REDIS_REPLY_STRING) {
    std::string info(r->str, r->len);
    auto at = info.find("connected_clients:");
    if (at != std::string::npos) n = std::stol(info.substr(at + 18));
  }
  freeReplyObject(r);
  redisFree(c);
  return n - 1;  // not this one
}

}  // namespace

TEST_CASE("memory: the messages' Redis reads share one connection, each gets its own answers") {
  test::RedisWithStore r(2);  // a loaded test box: nothing here is meant to be late
  auto& redis = r.redis;
  auto& s = r.store;
  seed(*s, 400);

  SUBCASE("one at a time, and overlapping in any order") {
    std::vector<std::optional<Record>> out;
    for (int m = 0; m < 20; ++m) {
      KeyBatch k = keys_of(m);
      auto p = s->start_read(k);
      REQUIRE(p->finish(now_s(), out));
      CHECK(answers_right(m, out));
    }
    std::vector<KeyBatch> ks;
    for (int m = 0; m < 30; ++m) ks.push_back(keys_of(m));
    std::vector<std::unique_ptr<PendingRead>> ps;
    for (int m = 0; m < 30; ++m) ps.push_back(s->start_read(ks[static_cast<std::size_t>(m)]));
    for (int m = 29; m >= 0; m -= 2) {  // last first; every other one abandoned
      REQUIRE(ps[static_cast<std::size_t>(m)]->finish(now_s(), out));
      CHECK(answers_right(m, out));
      ps[static_cast<std::size_t>(m - 1)].reset();
    }
    KeyBatch k = keys_of(5);
    REQUIRE(s->start_read(k)->finish(now_s(), out));
    CHECK(answers_right(5, out));
  }

  SUBCASE("8 threads, 300 messages each, start and finish interleaved") {
    std::atomic<int> wrong{0}, failed{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 8; ++t)
      ts.emplace_back([&, t] {
        std::mt19937 rng(static_cast<unsigned>(t));
        std::vector<std::optional<Record>> out;
        for (int i = 0; i < 300; ++i) {
          int m = (t * 300 + i) % 390;
          KeyBatch k = keys_of(m);
          auto p = s->start_read(k);
          if (rng() % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 300));
          if (rng() % 10 == 0) continue;  // the message aborted: never finished
          if (!p->finish(now_s(), out)) ++failed;
          else if (!answers_right(m, out)) ++wrong;
        }
      });
    for (auto& th : ts) th.join();
    CHECK(wrong == 0);
    CHECK(failed == 0);
    CHECK(clients(redis.sock) <= 2);  // the shared read connection (+ the writer)
  }
}

TEST_CASE("memory: Redis killed under the shared read connection: reads in flight fail, later ones work") {
  // As in the milter (libmilter ignores SIGPIPE): the writer's connection
  // to the killed Redis fails with EPIPE instead of killing the process.
  signal(SIGPIPE, SIG_IGN);
  test::TempDir dir;
  RedisOptions o;
  std::vector<std::optional<Record>> out;
  std::unique_ptr<Store> s;
  {
    test::RedisServer redis(dir.path);
    REQUIRE(redis.up());
    o.unix_path = redis.sock;
    o.deadline = 2;
    s = make_redis_store(o);
    seed(*s, 20);
    KeyBatch k = keys_of(1);
    REQUIRE(s->start_read(k)->finish(now_s(), out));
    auto pending = s->start_read(k);
    kill(redis.pid, SIGKILL);
    waitpid(redis.pid, nullptr, 0);
    redis.pid = -1;
    // The answer may have come before the kill; what matters is no hang
    // and no wrong answer.
    if (pending->finish(now_s(), out)) CHECK(answers_right(1, out));
    CHECK_FALSE(s->start_read(k)->finish(now_s(), out));  // down: at once
  }
  std::filesystem::remove(dir.path + "/redis.sock");
  test::RedisServer again(dir.path);
  REQUIRE(again.up());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past the back-off
  seed(*s, 20);
  KeyBatch k = keys_of(2);
  bool ok = false;
  for (int i = 0; i < 20 && !ok; ++i) {
    ok = s->start_read(k)->finish(now_s(), out);
    if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(ok);
  CHECK(answers_right(2, out));
}

TEST_CASE("memory: an idle read connection that Redis closed is replaced before use, not a failure") {
  test::RedisWithStore r(2);
  auto& s = r.store;
  {  // Redis closes clients idle for 1 s (redis.conf `timeout 1`)
    redisContext* c = redisConnectUnix(r.redis.sock.c_str());
    REQUIRE((c && !c->err));
    freeReplyObject(redisCommand(c, "CONFIG SET timeout 1"));
    redisFree(c);
  }
  seed(*s, 20);
  std::vector<std::optional<Record>> out;
  for (int round = 0; round < 2; ++round) {
    KeyBatch k = keys_of(3 + round);
    REQUIRE(s->start_read(k)->finish(now_s(), out));
    CHECK(answers_right(3 + round, out));
    std::this_thread::sleep_for(std::chrono::milliseconds(2600));  // Redis closed it by now
  }
  KeyBatch k = keys_of(6);
  CHECK(s->start_read(k)->finish(now_s(), out));  // on a fresh connection, at once
  CHECK(answers_right(6, out));
}

TEST_CASE("memory: an idle writer connection that Redis closed is replaced before use, not a retry") {
  signal(SIGPIPE, SIG_IGN);  // as in the milter: a write to the closed socket is EPIPE
  test::RedisWithStore r(2);
  {  // Redis closes clients idle for 1 s (redis.conf `timeout 1`)
    redisContext* c = redisConnectUnix(r.redis.sock.c_str());
    REQUIRE((c && !c->err));
    freeReplyObject(redisCommand(c, "CONFIG SET timeout 1"));
    redisFree(c);
  }
  for (int round = 0; round < 3; ++round) {
    CHECK(r.store->write({{"w", 1, 0, 100, now_s()}}) == WriteResult::ok);  // at the first attempt
    std::this_thread::sleep_for(std::chrono::milliseconds(2600));         // Redis closed it by now
  }
  std::vector<std::optional<Record>> out;
  REQUIRE(r.store->read({"w"}, now_s(), out));
  REQUIRE(out[0]);
  CHECK(out[0]->count == 3);
}
