// reaper.h — closes milter connections that stay silent between commands
// longer than idle-timeout, and logs it (one line a minute).
//
// Why: Debian's libmilter is built with its worker pool (_FFR_WORKERS_POOL):
// a connection waiting for its next command sits in the pool controller's
// poll() set, and the controller looks for old sessions only every 600 s
// (DT_CHECK_OLD_SESSIONS in worker.c), so smfi_settimeout bounds only a
// single read or write. A connection that went quiet after EHLO lived up to
// idle-timeout + 600 s, holding a session slot (max-sessions) all along.
//
// How: each connection registers the socket libmilter reads it from (read
// from libmilter's private context, checked like the macros: macros.h) and
// the time its last callback ended. A timer thread shutdown()s the socket of
// a connection that is not inside a callback and has been silent longer than
// idle-timeout. shutdown() (never close()) leaves the descriptor to
// libmilter: its poll() / select() wakes, the read sees end-of-file, and
// libmilter ends the session the usual way (xxfi_abort in a transaction,
// xxfi_close, then close() of the descriptor).
//
// Why it is safe: a Watch is removed from the registry, under the registry
// lock, when its Conn is destroyed, i.e. in xxfi_close, which libmilter calls
// before it closes the descriptor (engine.c mi_engine, worker.c
// mi_close_session and its 600 s sweep). The timer thread shuts a socket
// down only while holding that lock, so the descriptor it names is still
// this connection's socket. Belt and braces for paths that close without
// xxfi_close (libmilter's own exit): the socket's device and inode, noted at
// registration, are compared (fstat) before shutdown(); a descriptor number
// reused by anything else is left alone and forgotten.
// A callback that runs longer than idle-timeout (slow DNS at end-of-data) is
// never cut: idle time counts from the end of the last callback.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>

namespace legit::glue::reaper {

struct Watch {
  int fd = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  std::atomic<long long> last_ms{0};  // steady clock, end of the last callback
  std::atomic<int> busy{0};           // callbacks running now
  std::atomic<bool> cut{false};       // shut down by the reaper
};

// Removes the Watch from the registry (under its lock), then deletes it.
struct Forget {
  void operator()(Watch* w) const noexcept;
};
using WatchPtr = std::unique_ptr<Watch, Forget>;

// Registers the connection whose socket is `fd`; null when fd is not an
// open socket (then the connection is left to libmilter's own timeouts).
WatchPtr watch(int fd) noexcept;

// Marks a callback running on the watched connection (null: no-op); when it
// ends the connection's idle clock restarts.
class Busy {
 public:
  explicit Busy(Watch* w) noexcept;
  ~Busy();
  Busy(const Busy&) = delete;
  Busy& operator=(const Busy&) = delete;

 private:
  Watch* w_;
};

// Seconds since the last callback on the watched connection ended (0 while
// one runs); what libmilter's own idle timeout compares too.
double idle_seconds(const Watch& w) noexcept;

// Counts a connection closed for idleness (by the reaper, or by libmilter's
// own timeout, seen at close); logs one line a minute.
void count_idle_close(long idle_timeout) noexcept;

// Starts / stops the timer thread (checks every min(1 s, idle-timeout/4)).
// stop() is idempotent; call it once smfi_main has returned.
void start(long idle_timeout_seconds);
void stop() noexcept;

}  // namespace legit::glue::reaper
