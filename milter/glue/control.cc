// control.cc — reload and drain-then-stop, run by the control thread
// (control.h).
#include "control.h"

#include <signal.h>

#include <chrono>
#include <thread>

#include "legit/config.h"
#include "legit/log.h"
#include "insight/metrics.h"
#include "legit/verdict.h"
#include "runtime.h"
#include "sessions.h"
#include "signals.h"

namespace legit::glue {
namespace {

using Clock = std::chrono::steady_clock;

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

const char* signal_name(int sig) {
  switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGUSR1: return "SIGUSR1";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
  }
  return "signal";
}

// Waits for the messages in flight (bounded by stop-timeout), then gives the
// last replies a moment to be written.
void drain(const char* why) {
  sessions::draining = true;
  auto snap = current_snapshot();
  double limit = snap ? snap->config.num("stop-timeout") : 10;
  bool tempfail = snap && snap->config.on_error == OnError::tempfail;
  int open = sessions::open, messages = sessions::in_flight;
  log_msg(LogLevel::info, std::string("stopping on ") + why + ": connections=" +
                              std::to_string(open) + " messages-in-flight=" +
                              std::to_string(messages) + " stop-timeout=" + format_points(limit) +
                              " new-connections=" + (tempfail ? "tempfail" : "accept"));
  auto start = Clock::now();
  auto deadline = start + std::chrono::milliseconds(static_cast<long long>(limit * 1000));
  while (sessions::in_flight > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  if (sessions::in_flight > 0)
    log_msg(LogLevel::warning, "stop: " + std::to_string(sessions::in_flight.load()) +
                                   " message(s) still in flight after stop-timeout: cut "
                                   "(Postfix applies milter_default_action to them)");
  else if (messages > 0)
    log_msg(LogLevel::info, "stop: messages in flight finished after " + std::to_string(waited) + " ms");
  // The reply to a last end-of-message is written by libmilter right after
  // our callback returned (and counted the message done).
  if (sessions::open > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace

std::string config_file_of(const std::vector<std::string>& argv) {
  std::string file;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if ((a == "-c" || a == "--config") && i + 1 < argv.size()) file = argv[++i];
    else if (a.rfind("--config=", 0) == 0) file = a.substr(9);
    else if (a.rfind("-c", 0) == 0 && a.size() > 2) file = a.substr(2);
  }
  return file;
}

bool reload(const ControlArgs& args, const char* why) {
  std::vector<const char*> cargv;
  for (const auto& a : args.argv) cargv.push_back(a.c_str());
  std::string from = args.config_file.empty() ? "the command line" : args.config_file;
  ParseResult p = parse_config(static_cast<int>(cargv.size()), cargv.data());
  auto old = current_snapshot();
  std::string error = p.error;
  std::shared_ptr<const Snapshot> next;
  if (p.config && old) {
    std::vector<std::string> changes = config_changes(old->config, *p.config);
    std::vector<std::string> restart = restart_only(old->config, *p.config);
    next = make_snapshot(std::move(*p.config), old.get(), &error);
    if (next) {
      publish_snapshot(next);
      insight::watch_resolver(next->resolver.get());
      insight::count_reload(true);
      log_msg(LogLevel::info, std::string("reload on ") + why + ": " + from + " is live (generation " +
                                  std::to_string(next->generation) + "); " +
                                  (changes.empty() ? "nothing changed" : "changed: " + join(changes, ", ")) +
                                  (next->resolver == old->resolver ? "" : "; new resolver"));
      if (!restart.empty())
        log_msg(LogLevel::warning, "reload: option(s) " + join(restart, ", ") +
                                       " take effect only at a restart; still using the old value(s)");
      return true;
    }
  }
  insight::count_reload(false);
  if (error.empty()) error = "no configuration is live";
  log_msg(LogLevel::error, std::string("reload on ") + why + " failed, still running on the previous "
                               "configuration: " + error);
  return false;
}

void run_control(const ControlArgs& args) {
  for (;;) {
    int sig = wait_control_signal();
    if (sig == SIGHUP || sig == SIGUSR1) {
      try {
        reload(args, signal_name(sig));
      } catch (const std::exception& e) {  // e.g. bad_alloc: the old config stays
        insight::count_reload(false);
        log_msg(LogLevel::error, std::string("reload failed: ") + e.what());
      }
      continue;
    }
    if (args.stopping) *args.stopping = true;
    drain(signal_name(sig));
    wake_listener(args.listener, *args.listener_returned);
    return;
  }
}

}  // namespace legit::glue
