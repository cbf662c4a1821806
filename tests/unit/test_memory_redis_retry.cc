// test_memory_redis_retry.cc — the Redis store counts every update once,
// also when a write batch is re-sent after the connection broke before the
// replies came back (Redis applied it, the writer could not know): a relay
// between the store and a real redis-server (unix sockets) forwards the
// writer's EVALSHA and Redis' answer is cut off; the store reports retry,
// Memory would re-send the same updates (same seq), and the counts must be
// those of one application. Also: EVALSHA after SCRIPT FLUSH (NOSCRIPT) is
// re-sent once, and two writers (two stores) never skip each other's updates.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <cstring>
#include <ctime>

#include "config_test_util.h"
#include "legit/memory.h"
#include "redis_server.h"

using namespace legit;

namespace {

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

int unix_socket(const std::string& path, bool listen_on) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  int r = listen_on ? bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a)
                    : connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (r != 0 || (listen_on && listen(fd, 8) != 0)) {
    close(fd);
    return -1;
  }
  return fd;
}

// Relays connections from `path` to Redis at `target`, one at a time. While
// `cut` is set, a connection whose client sent EVALSHA gets Redis' answer
// read and thrown away, then is closed: the writer sees the connection break
// after Redis applied the scripts.
struct CuttingRelay {
  std::string path;
  std::atomic<bool> cut{false}, stop{false};
  std::atomic<int> cuts{0};
  int lfd;
  std::thread t;
  CuttingRelay(const std::string& p, const std::string& target) : path(p), lfd(unix_socket(p, true)) {
    t = std::thread([this, target] {
      while (!stop) {
        pollfd pl{lfd, POLLIN, 0};
        if (poll(&pl, 1, 50) <= 0) continue;
        int c = accept(lfd, nullptr, nullptr), s = unix_socket(target, false);
        relay(c, s);
        close(c);
        close(s);
      }
    });
  }
  ~CuttingRelay() {
    stop = true;
    t.join();
    close(lfd);
  }
  void relay(int c, int s) {
    bool eval_sent = false;
    auto cut_at = std::chrono::steady_clock::time_point::max();
    char buf[65536];
    while (!stop && std::chrono::steady_clock::now() < cut_at) {
      pollfd p[2] = {{c, POLLIN, 0}, {s, POLLIN, 0}};
      if (poll(p, 2, 20) <= 0) continue;
      if (p[0].revents) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) return;
        if (cut && memmem(buf, static_cast<std::size_t>(n), "EVALSHA", 7)) eval_sent = true;
        if (write(s, buf, static_cast<std::size_t>(n)) != n) return;
      }
      if (p[1].revents) {
        ssize_t n = read(s, buf, sizeof buf);
        if (n <= 0) return;
        if (eval_sent) {  // Redis answers: it applies them all. The writer never hears it.
          if (cut_at == std::chrono::steady_clock::time_point::max()) {
            cut_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
            ++cuts;
          }
          continue;
        }
        if (write(c, buf, static_cast<std::size_t>(n)) != n) return;
      }
    }
  }
};

std::unique_ptr<Store> store_at(const std::string& sock) {
  RedisOptions o;
  o.unix_path = sock;
  o.deadline = 0.5;
  return make_redis_store(o);
}

double count_of(Store& s, const std::string& key) {
  std::vector<std::optional<Record>> out;
  REQUIRE(s.read({key}, now_s(), out));
  return out[0] ? out[0]->count : 0;
}

// n updates (seq first..first+n-1) of +1 spread over 3 keys, enough for
// several script runs (128 each).
std::vector<Update> batch(std::uint64_t first, std::size_t n) {
  std::vector<Update> b;
  for (std::size_t i = 0; i < n; ++i) {
    Update u{"k" + std::to_string(i % 3), 1, 0, 600, now_s()};
    u.seq = first + i;
    b.push_back(u);
  }
  return b;
}

}  // namespace

TEST_CASE("memory: a Redis write batch re-sent after a broken connection counts once") {
  test::TempDir dir;
  test::RedisServer redis(dir.path);
  REQUIRE_MESSAGE(redis.up(), "redis-server did not start (scripts/deps.sh installs redis-server)");
  CuttingRelay relay(dir.path + "/relay.sock", redis.sock);
  auto writer = store_at(relay.path);
  auto reader = store_at(redis.sock);

  auto first = batch(1, 300);  // 3 script runs
  relay.cut = true;
  CHECK(writer->write(first) == WriteResult::retry);  // Redis applied it; the answer was lost
  CHECK(relay.cuts == 1);
  CHECK(count_of(*reader, "k0") == 100);  // applied once, by Redis
  relay.cut = false;
  CHECK(writer->write(first) == WriteResult::ok);  // what Memory does: the same updates again
  CHECK(count_of(*reader, "k0") == 100);
  CHECK(count_of(*reader, "k1") == 100);
  CHECK(count_of(*reader, "k2") == 100);

  // A later batch that starts with some of the applied ones (Memory re-batches
  // from its queue front): only the new ones count.
  auto overlap = batch(291, 30);  // 291..300 applied, 301..320 new
  CHECK(writer->write(overlap) == WriteResult::ok);
  CHECK(count_of(*reader, "k0") + count_of(*reader, "k1") + count_of(*reader, "k2") == 320);

  // Another writer (another milter) with the same seq numbers is not skipped.
  auto other = store_at(redis.sock);
  CHECK(other->write(batch(1, 3)) == WriteResult::ok);
  CHECK(count_of(*reader, "k0") + count_of(*reader, "k1") + count_of(*reader, "k2") == 323);

  // The marks are not records: scan and show ignore them.
  std::vector<std::pair<std::string, Record>> recs;
  CHECK(reader->scan("", now_s(), 100, recs));
  CHECK(recs.size() == 3);
}

TEST_CASE("memory: Redis EVALSHA after SCRIPT FLUSH loads the script again") {
  test::TempDir dir;
  test::RedisServer redis(dir.path);
  REQUIRE_MESSAGE(redis.up(), "redis-server did not start (scripts/deps.sh installs redis-server)");
  auto s = store_at(redis.sock);
  CHECK(s->write(batch(1, 3)) == WriteResult::ok);
  int fd = unix_socket(redis.sock, false);
  REQUIRE(fd >= 0);
  const char flush[] = "SCRIPT FLUSH\r\n";
  REQUIRE(write(fd, flush, sizeof flush - 1) == static_cast<ssize_t>(sizeof flush - 1));
  char buf[64];
  CHECK(read(fd, buf, sizeof buf) > 0);  // +OK
  close(fd);
  CHECK(s->write(batch(4, 3)) == WriteResult::ok);
  CHECK(count_of(*s, "k0") + count_of(*s, "k1") + count_of(*s, "k2") == 6);
}
