// reaper.cc — see reaper.h: the idle-connection reaper.
#include "reaper.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "legit/log.h"
#include "throttle.h"

namespace legit::glue::reaper {
namespace {

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Registry {
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_set<Watch*> watched;
  bool stopping = false;
  std::thread thread;
};

Registry& registry() {
  static auto* r = new Registry;  // never destroyed: callbacks may run during exit
  return *r;
}

Throttle g_idle_log;

// True when fd still names the socket noted at registration.
bool same_socket(const Watch& w) {
  struct stat st {};
  return fstat(w.fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == w.dev && st.st_ino == w.ino;
}

void run(long idle_seconds) {
  Registry& r = registry();
  const long long limit_ms = idle_seconds * 1000;
  const auto tick = std::chrono::milliseconds(std::clamp<long long>(limit_ms / 4, 50, 1000));
  std::unique_lock lock(r.mu);
  while (!r.stopping) {
    r.cv.wait_for(lock, tick);
    if (r.stopping) break;
    const long long now = now_ms();
    int cut = 0;
    std::vector<Watch*> stale;
    for (Watch* w : r.watched) {
      if (w->cut.load() || w->busy.load() > 0 || now - w->last_ms.load() <= limit_ms) continue;
      w->cut = true;
      if (!same_socket(*w)) {
        stale.push_back(w);  // closed without xxfi_close: not ours any more
        continue;
      }
      shutdown(w->fd, SHUT_RDWR);  // libmilter sees end-of-file and closes the session
      ++cut;
    }
    for (Watch* w : stale) r.watched.erase(w);  // the Conn (if any) still deletes it
    lock.unlock();
    for (int i = 0; i < cut; ++i) count_idle_close(idle_seconds);
    lock.lock();
  }
}

}  // namespace

void Forget::operator()(Watch* w) const noexcept {
  if (!w) return;
  {
    std::lock_guard lock(registry().mu);
    registry().watched.erase(w);
  }
  delete w;
}

WatchPtr watch(int fd) noexcept {
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return nullptr;
  try {
    WatchPtr w(new Watch);
    w->fd = fd;
    w->dev = st.st_dev;
    w->ino = st.st_ino;
    w->last_ms = now_ms();
    std::lock_guard lock(registry().mu);
    registry().watched.insert(w.get());
    return w;
  } catch (...) {
    return nullptr;  // no memory: libmilter's own timeouts still apply
  }
}

Busy::Busy(Watch* w) noexcept : w_(w) {
  if (w_) w_->busy.fetch_add(1);
}

Busy::~Busy() {
  if (!w_) return;
  w_->last_ms = now_ms();
  w_->busy.fetch_sub(1);
}

double idle_seconds(const Watch& w) noexcept {
  if (w.busy.load() > 0) return 0;
  return static_cast<double>(now_ms() - w.last_ms.load()) / 1000;
}

void count_idle_close(long idle_timeout) noexcept {
  try {
    if (g_idle_log.due())
      log_msg(LogLevel::warning, "idle-timeout: closed " + std::to_string(g_idle_log.take()) +
                                     " milter connection(s) idle for " + std::to_string(idle_timeout) +
                                     " s or more (one line a minute)");
  } catch (...) {
  }
}

void start(long idle_timeout_seconds) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  if (r.thread.joinable()) return;
  r.stopping = false;
  r.thread = std::thread(run, idle_timeout_seconds);
}

void stop() noexcept {
  Registry& r = registry();
  std::thread t;
  {
    std::lock_guard lock(r.mu);
    r.stopping = true;
    t = std::move(r.thread);
  }
  r.cv.notify_all();
  if (t.joinable()) t.join();
}

}  // namespace legit::glue::reaper
