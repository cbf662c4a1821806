// signals.cc — our control signals instead of libmilter's (signals.h).
#include "signals.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include <libmilter/mfapi.h>

namespace {

std::atomic<bool> g_parked{false};

sigset_t control_set() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGHUP);
  sigaddset(&s, SIGUSR1);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGINT);
  return s;
}

int wake_signal() { return SIGRTMIN + 1; }

extern "C" void on_wake(int) {}  // only interrupts the listener's poll()

}  // namespace

// Interposes libc's sigwait() for the whole process (see signals.h): a wait
// that includes SIGHUP or SIGTERM is libmilter's signal thread; it sleeps
// for good, consuming nothing. Any other caller gets the POSIX behaviour.
extern "C" int sigwait(const sigset_t* set, int* sig) {
  if (sigismember(set, SIGHUP) == 1 || sigismember(set, SIGTERM) == 1) {
    g_parked = true;
    for (;;) pause();  // every signal it could take stays blocked here
  }
  for (;;) {
    int r = sigwaitinfo(set, nullptr);
    if (r > 0) {
      *sig = r;
      return 0;
    }
    if (errno != EINTR) return errno;
  }
}

namespace legit::glue {

void block_control_signals() {
  sigset_t s = control_set();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
}

int wait_control_signal() {
  sigset_t s = control_set();
  for (;;) {
    int r = sigwaitinfo(&s, nullptr);
    if (r > 0) return r;
  }
}

void prepare_listener_thread() {
  struct sigaction sa {};
  sa.sa_handler = on_wake;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll() must return EINTR
  sigaction(wake_signal(), &sa, nullptr);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, wake_signal());
  pthread_sigmask(SIG_UNBLOCK, &s, nullptr);
}

// smfi_stop() sets libmilter's stop flag and then waits for the listener's
// mutex, which the listener holds across its 5 s poll: so it runs in a
// thread of its own while this one interrupts the poll, after which the
// listener sees the flag and returns.
void wake_listener(pthread_t listener, const std::atomic<bool>& returned) {
  std::thread stopper([] { smfi_stop(); });
  while (!returned) {
    pthread_kill(listener, wake_signal());
    timespec ts{0, 20 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  stopper.join();
}

bool listener_parked() { return g_parked; }

}  // namespace legit::glue
