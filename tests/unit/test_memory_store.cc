// test_memory_store.cc — both stores behind the Store interface (LMDB file in
// a temp dir; a real redis-server on a unix socket in a temp dir: failed,
// not skipped, when redis-server is missing): counters, decay, expiry, batched
// reads, erase/scan by prefix, erase of keys, the site secret; a Redis that is not there
// answers false at once; a full LMDB drops writes without failing reads;
// Memory's queue, flush, keyed hash and read-only mode; the `memory` spec.
#include <doctest/doctest.h>
#include <hiredis/hiredis.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <thread>

#include "../../milter/memory/keys.h"
#include "config_test_util.h"
#include "redis_server.h"
#include "legit/memory.h"

using namespace legit;

namespace {

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }


std::unique_ptr<Store> redis_at(const std::string& sock) {
  RedisOptions o;
  o.unix_path = sock;
  o.deadline = 0.5;
  return make_redis_store(o);
}

void exercise(Store& s) {
  std::int64_t t = now_s();
  std::vector<std::optional<Record>> out;
  CHECK(s.read({"a", "b"}, t, out));
  CHECK_FALSE(out[0]);
  CHECK_FALSE(out[1]);

  CHECK(s.write({{"a", 1, 0, 100, t - 10}, {"a", 2, 0, 100, t}, {"c:x", 1, 0, 100, t}}) == WriteResult::ok);
  CHECK(s.read({"a", "b", "c:x"}, t, out));
  REQUIRE(out[0]);
  CHECK(out[0]->count == doctest::Approx(3));
  CHECK(out[0]->first == t - 10);
  CHECK(out[0]->last == t);
  CHECK_FALSE(out[1]);
  CHECK(out[2]);

  // Half-life 100 s: 4 at t-100 reads as 2 at t; a later add decays first.
  CHECK(s.write({{"d", 4, 100, 1000, t - 100}}) == WriteResult::ok);
  CHECK(s.read({"d"}, t, out));
  REQUIRE(out[0]);
  CHECK(out[0]->count == doctest::Approx(2).epsilon(0.01));
  CHECK(s.write({{"d", 1, 100, 1000, t}}) == WriteResult::ok);
  CHECK(s.read({"d"}, t, out));
  CHECK(out[0]->count == doctest::Approx(3).epsilon(0.01));

  // Expiry (real time: Redis expires by its own clock).
  CHECK(s.write({{"short", 1, 0, 1, t}}) == WriteResult::ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  CHECK(s.read({"short", "a"}, now_s(), out));
  CHECK_FALSE(out[0]);
  CHECK(out[1]);

  // Prefixes.
  CHECK(s.write({{"h:n:10.0.0.0/24:ok", 1, 0, 100, t}, {"h:n:10.0.0.0/24:q", 1, 0, 100, t},
                 {"h:n:10.0.1.0/24:ok", 1, 0, 100, t}}) == WriteResult::ok);
  std::vector<std::pair<std::string, Record>> recs;
  CHECK(s.scan("h:n:10.0.0.0/24:", now_s(), 100, recs));
  CHECK(recs.size() == 2);
  std::size_t n = 0;
  CHECK(s.erase_prefix("h:n:10.0.0.0/24:", &n));
  CHECK(n == 2);
  recs.clear();
  CHECK(s.scan("h:n:", now_s(), 100, recs));
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].first == "h:n:10.0.1.0/24:ok");
  CHECK(s.write({{"g:t:1", 1, 0, 100, t}, {"g:t:2", 1, 0, 100, t}}) == WriteResult::ok);
  CHECK(s.erase_keys({"g:t:1", "g:t:absent"}, &n));
  CHECK(n == 1);
  CHECK(s.read({"g:t:1", "g:t:2"}, t, out));
  CHECK_FALSE(out[0]);
  CHECK(out[1]);

  std::string secret = s.secret(true);
  CHECK(secret.size() == 32);
  CHECK(s.secret(true) == secret);
  CHECK(s.secret(false) == secret);
  recs.clear();
  CHECK(s.scan("", now_s(), 100, recs));  // the secret is not a record
  for (const auto& r : recs) CHECK(r.first.find("secret") == std::string::npos);
}

}  // namespace

TEST_CASE("memory: LMDB store behind the interface") {
  test::TempDir dir;
  auto s = make_lmdb_store({dir.path + "/m.lmdb", 8u << 20, false});
  exercise(*s);
  CHECK(s->describe() == "lmdb:" + dir.path + "/m.lmdb");
}

TEST_CASE("memory: LMDB keeps records across reopen, read-only never writes") {
  test::TempDir dir;
  std::string path = dir.path + "/m.lmdb";
  {
    auto s = make_lmdb_store({path, 8u << 20, false});
    CHECK(s->write({{"k", 5, 0, 1000, now_s()}}) == WriteResult::ok);
  }
  auto ro = make_lmdb_store({path, 8u << 20, true});
  std::vector<std::optional<Record>> out;
  CHECK(ro->read({"k"}, now_s(), out));
  REQUIRE(out[0]);
  CHECK(out[0]->count == 5);
  CHECK(ro->write({{"k", 1, 0, 1000, now_s()}}) == WriteResult::dropped);
  CHECK_THROWS(make_lmdb_store({dir.path + "/missing/m.lmdb", 8u << 20, false}));
  CHECK_THROWS(make_lmdb_store({dir.path + "/nothere.lmdb", 8u << 20, true}));
}

TEST_CASE("memory: a full LMDB drops writes, reads go on") {
  test::TempDir dir;
  auto s = make_lmdb_store({dir.path + "/m.lmdb", 64u << 10, false});
  std::vector<Update> batch;
  for (int i = 0; i < 5000; ++i) batch.push_back({"key-" + std::to_string(i), 1, 0, 1000, now_s()});
  CHECK(s->write(batch) == WriteResult::dropped);
  CHECK(s->write({{"small", 1, 0, 1000, now_s()}}) == WriteResult::ok);
  std::vector<std::optional<Record>> out;
  CHECK(s->read({"small"}, now_s(), out));
  CHECK(out[0]);
}

TEST_CASE("memory: Redis store behind the interface (real redis-server)") {
  test::TempDir dir;
  test::RedisServer redis(dir.path);
  REQUIRE_MESSAGE(redis.up(), "redis-server did not start (scripts/deps.sh installs redis-server)");
  auto s = redis_at(redis.sock);
  exercise(*s);
}

TEST_CASE("memory: Redis answers that are not a record's hash read as absent or fail the read") {
  test::TempDir dir;
  test::RedisServer redis(dir.path);
  REQUIRE_MESSAGE(redis.up(), "redis-server did not start (scripts/deps.sh installs redis-server)");
  redisContext* raw = redisConnectUnix(redis.sock.c_str());
  REQUIRE((raw && !raw->err));
  auto run = [&](const char* cmd) { freeReplyObject(redisCommand(raw, cmd)); };
  run("HSET legit:garbage c not-a-number f 1 l 2 h 0");
  run("HSET legit:partial c 2.5");
  run("SET legit:plain-string x");  // HMGET on it: a WRONGTYPE error reply
  redisFree(raw);
  auto s = redis_at(redis.sock);
  std::vector<std::optional<Record>> out;
  REQUIRE(s->read({"garbage", "partial", "absent"}, now_s(), out));
  CHECK(!out[0]);
  REQUIRE(out[1]);
  CHECK(out[1]->count == 2.5);
  CHECK(!out[2]);
  CHECK(!s->read({"partial", "plain-string"}, now_s(), out));  // temperror, never a throw
}

TEST_CASE("memory: an absent Redis answers false at once, writes are kept for retry") {
  test::TempDir dir;
  auto s = redis_at(dir.path + "/no.sock");
  std::vector<std::optional<Record>> out;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) CHECK_FALSE(s->read({"a"}, now_s(), out));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500));
  CHECK(s->write({{"a", 1, 0, 10, now_s()}}) == WriteResult::retry);
  CHECK(s->secret(true).empty());
}

TEST_CASE("memory: Memory queues writes, hashes with the secret, read-only ignores writes") {
  test::TempDir dir;
  std::string path = dir.path + "/m.lmdb";
  {
    Memory m(make_lmdb_store({path, 8u << 20, false}), true);
    std::string h = m.hash("Alice@Example.org");
    CHECK(h.size() == 16);
    CHECK(h == m.hash("alice@example.org"));
    CHECK(h != m.hash("bob@example.org"));
    m.write({{"c:a:" + h, 1, 0, 1000}});
    CHECK(m.flush());
    std::vector<std::optional<Record>> out;
    CHECK(m.read({"c:a:" + h}, out));
    CHECK(out[0]);
    Memory other(make_lmdb_store({dir.path + "/other.lmdb", 8u << 20, false}), true, "another-site-secret");
    CHECK(other.hash("alice@example.org") != h);
  }
  Memory ro(make_lmdb_store({path, 8u << 20, true}), false);
  CHECK_FALSE(ro.hash("alice@example.org").empty());  // the stored secret
  ro.write({{"x", 1, 0, 100}});
  CHECK(ro.flush());
  std::vector<std::optional<Record>> out;
  CHECK(ro.read({"x"}, out));
  CHECK_FALSE(out[0]);
}

namespace {

// A store that refuses its first `refusals` batches with retry (Redis down)
// and keeps every batch it is given, as given.
struct ScriptedStore : Store {
  std::mutex mu;
  std::vector<std::vector<Update>> batches;
  int refusals = 0;
  Batching how;
  bool read(const std::vector<std::string>&, std::int64_t, std::vector<std::optional<Record>>&) override {
    return false;
  }
  WriteResult write(const std::vector<Update>& u) override {
    std::lock_guard<std::mutex> lock(mu);
    batches.push_back(u);
    return refusals-- > 0 ? WriteResult::retry : WriteResult::ok;
  }
  bool erase_prefix(std::string_view, std::size_t*) override { return false; }
  bool scan(std::string_view, std::int64_t, std::size_t, std::vector<std::pair<std::string, Record>>&) override {
    return false;
  }
  std::string secret(bool) override { return "scripted-secret-0123"; }
  Batching batching() const override { return how; }
  std::string describe() const override { return "scripted"; }
};

}  // namespace

TEST_CASE("memory: a batch the store asks to retry is sent again whole; the store's batch size holds") {
  auto store = std::make_unique<ScriptedStore>();
  ScriptedStore& s = *store;
  s.refusals = 1;
  s.how = {std::chrono::milliseconds(20), 2};
  Memory m(std::move(store), true);  // owns the store: `s` lives as long as m
  m.write({{"h:n:192.0.2.0/24:ok", 1, 86400, 100}, {"c:a:0123456789abcdef", 2, 0, 100}, {"g:t:x", 3, 0, 100}});
  REQUIRE(m.flush(5));
  std::lock_guard<std::mutex> lock(s.mu);
  // refused [a, b], then [a, b] again (the retry, one second later), then [c]
  REQUIRE(s.batches.size() == 3);
  for (std::size_t i : {0u, 1u}) {
    REQUIRE(s.batches[i].size() == 2);
    CHECK(s.batches[i][0].key == "h:n:192.0.2.0/24:ok");
    CHECK(s.batches[i][0].add == 1);
    CHECK(s.batches[i][0].half_life == 86400);
    CHECK(s.batches[i][1].key == "c:a:0123456789abcdef");
    CHECK(s.batches[i][1].add == 2);
  }
  CHECK(s.batches[0][0].seq == s.batches[1][0].seq);  // the same updates, not new ones
  REQUIRE(s.batches[2].size() == 1);
  CHECK(s.batches[2][0].key == "g:t:x");
}

TEST_CASE("memory: keys and the memory option") {
  CHECK(mkeys::network_of(*IpAddress::parse("192.0.2.77")) == "192.0.2.0/24");
  CHECK(mkeys::network_of(*IpAddress::parse("2001:db8:1:2:3::9")) == "2001:db8:1:2::/64");
  for (const char* good : {"none", "lmdb:/var/lib/legit-milter/memory.lmdb", "redis://127.0.0.1:6379/0",
                           "redis://redis.example.net", "redis://[::1]:6380/2", "unix:/run/redis/redis.sock",
                           "unix:/run/redis.sock?db=3"})
    CHECK_MESSAGE(check_memory_spec(good).empty(), good);
  for (const char* bad : {"", "lmdb:relative", "redis://host:99999", "redis://host:1/x", "mysql://x",
                          "unix:relative", "unix:/x?db=a"})
    CHECK_MESSAGE(!check_memory_spec(bad).empty(), bad);
  auto o = parse_redis_spec("redis://[::1]:6380/2");
  CHECK(o.host == "::1");
  CHECK(o.port == 6380);
  CHECK(o.db == 2);
  o = parse_redis_spec("unix:/run/r.sock?db=3");
  CHECK(o.unix_path == "/run/r.sock");
  CHECK(o.db == 3);
  CHECK(decay(8, 0, 200, 100) == doctest::Approx(2));
  CHECK(decay(8, 0, 200, 0) == 8);
}
