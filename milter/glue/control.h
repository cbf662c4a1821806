// control.h — the milter's control thread: reload the configuration on
// SIGHUP or SIGUSR1, drain and stop on SIGTERM or SIGINT (signals.h says why
// these signals are ours and not libmilter's).
//
// Reload: the command line and the config file are parsed again exactly as
// at start (command-line values still win) and validated; a good result is
// published as a new snapshot (runtime.h) for the connections that start
// from then on, and one line says what changed; a bad one is logged with the
// option, file and line and the old snapshot stays live. Never fatal.
//
// Stop: new connections get the on-error policy at once (sessions.h), the
// messages in flight get up to `stop-timeout` seconds to finish, then
// libmilter is stopped and its listener woken (no 5 s poll timeout).
#pragma once

#include <pthread.h>

#include <atomic>
#include <string>
#include <vector>

namespace legit::glue {

struct ControlArgs {
  std::vector<std::string> argv;  // as given at start, argv[0] included
  std::string config_file;        // for the log; "" = none
  pthread_t listener{};           // the thread running smfi_main()
  const std::atomic<bool>* listener_returned = nullptr;
  std::atomic<bool>* stopping = nullptr;  // set when a stop begins
};

// Runs until a stop is complete (smfi_main() has returned).
void run_control(const ControlArgs& args);

// Re-reads the configuration; true when the new one is live. `why` names
// the signal for the log ("SIGHUP").
bool reload(const ControlArgs& args, const char* why);

// The value of -c/--config in argv, "" if none.
std::string config_file_of(const std::vector<std::string>& argv);

}  // namespace legit::glue
