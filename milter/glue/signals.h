// signals.h — SIGHUP/SIGUSR1 (reload) and SIGTERM/SIGINT (drain, then stop)
// handled by one control thread of ours instead of libmilter's.
//
// Why not libmilter's: smfi_main() starts a thread that sigwait()s for
// SIGHUP, SIGTERM and SIGINT and on any of them calls mi_stop_milters(),
// which (Debian's libmilter runs a worker pool) stops serving every open
// connection at once — a message in the middle of its DATA is cut, and SIGHUP
// ends the process. Two threads cannot share a sigwait() (the kernel gives a
// signal to either), so signals.cc defines sigwait() in the executable: the
// dynamic linker binds libmilter.so's call to it, and a caller waiting for
// SIGHUP or SIGTERM (only libmilter's thread does) is parked for good without
// taking any signal. Our thread waits with sigwaitinfo(). listener_parked()
// tells whether the interposition took effect (main.cc logs it if not).
//
// Why smfi_main() took ~5 s to return: libmilter's listener polls its socket
// with a 5 s timeout (MI_CHK_TIME) holding its listener mutex, and only then
// looks at the stop flag; smfi_stop() sets the flag and then waits for that
// mutex to close the socket. wake_listener() calls smfi_stop() from a helper
// thread and interrupts the poll with a thread-directed signal (a no-op
// handler, installed by prepare_listener_thread() in the thread that will
// run smfi_main()), repeated every 20 ms until smfi_main() has returned.
#pragma once

#include <pthread.h>

#include <atomic>

namespace legit::glue {

// Blocks SIGHUP, SIGUSR1, SIGTERM and SIGINT in the calling thread. Call it
// first in main(), before any thread exists: every thread inherits the mask.
void block_control_signals();

// The next control signal (SIGHUP, SIGUSR1, SIGTERM or SIGINT), waited for
// in the calling thread.
int wait_control_signal();

// In the thread that will call smfi_main(): installs the wake-up handler.
void prepare_listener_thread();

// smfi_stop(), then interrupts `listener`'s poll until `returned` is true.
void wake_listener(pthread_t listener, const std::atomic<bool>& returned);

// True once libmilter's signal thread has called (our) sigwait().
bool listener_parked();

}  // namespace legit::glue
