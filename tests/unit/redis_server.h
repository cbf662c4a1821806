// redis_server.h — a real redis-server for unit tests: on a unix socket in
// a temp dir, no persistence; up() is false when redis-server is not
// installed or did not start, and the test then FAILS (scripts/deps.sh
// installs it: a test that skips as a pass could never fail). Killed by the
// destructor.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "config_test_util.h"
#include "legit/memory.h"

namespace legit::test {

struct RedisServer {
  pid_t pid = -1;
  std::string sock;
  explicit RedisServer(const std::string& dir) : sock(dir + "/redis.sock") {
    if (access("/usr/bin/redis-server", X_OK) != 0) return;
    pid = fork();
    if (pid == 0) {
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      std::string unixsocket = sock;
      execl("/usr/bin/redis-server", "redis-server", "--port", "0", "--unixsocket", unixsocket.c_str(),
            "--save", "", "--appendonly", "no", "--dir", dir.c_str(), "--loglevel", "warning", nullptr);
      _exit(127);
    }
    for (int i = 0; i < 100 && !std::filesystem::exists(sock); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ~RedisServer() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
  bool up() const { return pid > 0 && std::filesystem::exists(sock); }
};

// A temp dir, a redis-server in it and a Redis store on its unix socket
// with `deadline` seconds per call (the test fails if Redis did not start).
struct RedisWithStore {
  TempDir dir;
  RedisServer redis{dir.path};
  std::unique_ptr<Store> store;
  explicit RedisWithStore(double deadline) {
    REQUIRE_MESSAGE(redis.up(), "redis-server did not start (scripts/deps.sh installs redis-server)");
    RedisOptions o;
    o.unix_path = redis.sock;
    o.deadline = deadline;
    store = make_redis_store(o);
  }
};

}  // namespace legit::test
