// main.cc — the legit-milter entry point.
//
//   legit-milter check ...   offline check of one session (run_check)
//   legit-milter dig ...     resolver debugging tool (run_dig)
//   legit-milter stats ...   the running milter's counters (insight/stats_cli.cc)
//   legit-milter [options]   the milter, in the foreground, on --socket
//
// Start-up order: block the control signals (before any thread exists);
// parse the config and publish it as the first snapshot (runtime.h: Config,
// resolver, Engine; a reload swaps it whole); open the log; refuse a unix
// socket a running milter answers on, remove a stale one (listen.h); open the
// listening socket and set TCP_NODELAY on it (libmilter never does, and
// Nagle + delayed ACK costs ~40 ms per message; accepted sockets inherit the
// option on Linux); drop privileges; start the control thread (control.h:
// SIGHUP/SIGUSR1 reload, SIGTERM/SIGINT drain then stop) and run smfi_main().
// Process-wide objects that must survive a reload are created here, before
// the first snapshot, and live outside it (see runtime.h).
//
// Exit status: 0 success (also --help, --version, --dump-config, -t on a good
// configuration); 1 run-time failure (socket cannot be opened or is in use,
// stdout cannot be written for --help/--version/--man-page/--dump-config,
// privileges cannot be dropped, libmilter error); 2 bad command line or
// configuration (the message on stderr names the option), like Postfix's
// EX_USAGE-class errors.
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <libmilter/mfapi.h>

#include "callbacks.h"
#include "control.h"
#include "legit/config.h"
#include "legit/log.h"
#include "legit/verdict.h"
#include "legit/version.h"
#include "listen.h"
#include "quickack.h"
#include "runtime.h"
#include "signals.h"

#include "check_cli.h"
#include "dig_cli.h"
#include "insight/cli.h"
#include "insight/metrics.h"
#include "insight/metrics_http.h"
#include "macros.h"
#include "memory_cli.h"
#include "process_limits.h"
#include "reaper.h"

// Process-wide sender memory (memory.h): opened once, kept across reloads
// (runtime.h). External linkage: leak checkers see it reachable.
namespace legit::glue {
Memory* g_memory = nullptr;
insight::MetricsServer* g_metrics = nullptr;  // serves /metrics when metrics-listen is set
}  // namespace legit::glue

namespace {
using legit::glue::SocketSpec;

constexpr int kExitRuntime = 1;
constexpr int kExitConfig = 2;

int fail(int code, const std::string& msg) {
  std::cerr << "legit-milter: " << msg << "\n";
  return code;
}

// Prints `text` on stdout and flushes it: 0, or 1 when the write failed (a
// full disk, a closed pipe): a --dump-config cut short must not exit 0 like
// a whole one.
int print_out(const std::string& text) {
  errno = 0;
  if (std::cout << text << std::flush) return 0;
  std::cout.clear();
  return fail(kExitRuntime, std::string("cannot write to standard output: ") +
                                (errno ? std::strerror(errno) : "write error"));
}

// Switches to `user` (supplementary groups, gid, uid); a unix socket is
// chowned to the user first so the dropped process can still remove it. Its
// group is left alone: in a setgid directory of group postfix (Postfix's
// chroot layout) it must stay postfix for smtpd to connect.
// Returns "" on success, else the error text.
std::string drop_privileges(const std::string& user, const SocketSpec& sock) {
  errno = 0;
  passwd* pw = getpwnam(user.c_str());
  if (!pw) return "user '" + user + "': " + (errno ? std::strerror(errno) : "no such user");
  if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid) return "";  // already that user
  if (sock.kind == SocketSpec::Kind::unix_path &&
      chown(sock.path.c_str(), pw->pw_uid, static_cast<gid_t>(-1)) != 0)
    return "user '" + user + "': chown " + sock.path + ": " + std::strerror(errno);
  if (initgroups(pw->pw_name, pw->pw_gid) != 0)
    return "user '" + user + "': initgroups: " + std::strerror(errno);
  if (setgid(pw->pw_gid) != 0) return "user '" + user + "': setgid: " + std::strerror(errno);
  if (setuid(pw->pw_uid) != 0) return "user '" + user + "': setuid: " + std::strerror(errno);
  if (pw->pw_uid != 0 && setuid(0) == 0) return "user '" + user + "': could regain root";
  return "";
}

std::string join(const std::vector<std::string>& v, const char* empty) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? empty : out;
}

std::string networks(const legit::Config& c) {
  std::vector<std::string> v;
  for (const auto& n : c.trusted_networks) v.push_back(n.to_string());
  return join(v, "none");
}

// Local-only last labels: such a name is no FQDN others can tell apart.
bool is_fqdn(const std::string& name) {
  auto dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == name.size()) return false;
  std::string last = name.substr(dot + 1);
  for (const char* local : {"localdomain", "localhost", "local", "lan", "home", "internal"})
    if (last == local) return false;
  return true;
}

// The start line: everything a postmaster checks first.
void log_start(const legit::Config& c, const std::string& file, const std::string& nodelay,
               bool dns_healthy, long nofile) {
  legit::log_msg(legit::LogLevel::info,
                 std::string("starting legit-milter ") + LEGIT_VERSION +
                     " config=" + (file.empty() ? "none" : file) + " socket=" + c.socket +
                     " authserv-id=" + c.authserv_id +
                     " mode=" + (c.mode == legit::Mode::dry_run ? "dry-run" : "enforce") +
                     " quarantine-below=" + legit::format_points(c.quarantine_below) +
                     " reject-below=" + legit::format_points(c.reject_below) +
                     " on-error=" + (c.on_error == legit::OnError::tempfail ? "tempfail" : "accept") +
                     " trusted-networks=" + networks(c) + " dns-servers=" + join(c.dns_servers, "system") +
                     " dns-timeout=" + legit::format_points(c.dns_timeout) + " tcp-nodelay=" + nodelay +
                     " max-sessions=" + legit::format_points(c.num("max-sessions")) +
                     " idle-timeout=" + legit::format_points(c.num("idle-timeout")) +
                     " open-files=" + std::to_string(nofile) +
                     (c.user.empty() ? "" : " user=" + c.user) +
                     " dns-health=" + (dns_healthy ? "healthy" : "UNHEALTHY") +
                     (c.str("metrics-listen").empty() ? "" : " metrics=" + c.str("metrics-listen")));
  if (c.user.empty() && geteuid() == 0)
    legit::log_msg(legit::LogLevel::warning,
                   "running as root: set 'user' (e.g. legit-milter) so that a flaw in the milter "
                   "or in a library it parses mail with does not run with root rights");
  if (!is_fqdn(c.authserv_id))
    legit::log_msg(legit::LogLevel::warning,
                   "authserv-id '" + c.authserv_id + "'" +
                       (c.values.at("authserv-id") == c.hostname ? " (the host name)" : "") +
                       " is not a fully-qualified domain name: set authserv-id (or hostname) to this "
                       "MX's name, or Authentication-Results of other hosts cannot be told apart");
}

// Opens the listening socket: a unix socket a running milter answers on is
// refused, a stale one removed first. A unix socket is created owner-only
// (umask 0177) and then given socket-mode/socket-group explicitly: never the
// umask's permissions, and no moment where others could connect. "" or the
// error text.
std::string open_socket(const legit::Config& c, const SocketSpec& sock) {
  std::string conn = c.socket;
  if (smfi_setconn(conn.data()) != MI_SUCCESS) return "libmilter rejects socket '" + c.socket + "'";
  if (sock.kind == SocketSpec::Kind::unix_path) {
    std::string err = legit::glue::claim_unix_socket(sock.path);
    if (!err.empty()) return err;
  }
  mode_t old_umask = umask(0177);
  bool opened = smfi_opensocket(false) == MI_SUCCESS;
  umask(old_umask);
  if (!opened) return "cannot open socket " + c.socket + ": " + legit::glue::explain_open_failure(sock);
  if (sock.kind == SocketSpec::Kind::unix_path) {
    std::string err = legit::glue::secure_unix_socket(sock.path, c.str("socket-mode"), c.str("socket-group"));
    if (!err.empty()) return "unix socket: " + err;
  }
  return "";
}

int run_milter(int argc, char** argv) {
  legit::glue::bound_malloc_arenas();  // before any thread (process_limits.h)
  legit::ParseResult parsed = legit::parse_config(argc, argv);
  if (parsed.show_help) return print_out(parsed.help_text);
  if (parsed.show_version) return print_out("legit-milter " LEGIT_VERSION "\n");
  if (!parsed.man_page.empty()) {
    std::string page = legit::render_man_page(parsed.man_page);
    if (page.empty()) return fail(kExitConfig, "--man-page: '" + parsed.man_page + "' is not 8 or 5");
    return print_out(page);
  }
  if (!parsed.config) return fail(kExitConfig, parsed.error.empty() ? "bad configuration" : parsed.error);
  if (parsed.dump_config) return print_out(parsed.dump_text);

  SocketSpec sock = legit::glue::parse_socket(parsed.config->socket);
  if (sock.kind == SocketSpec::Kind::other)
    return fail(kExitConfig, "option 'socket': '" + parsed.config->socket +
                                 "' is not inet:PORT@HOST, inet6:PORT@HOST or unix:/path");
  if (!parsed.config->user.empty() && !getpwnam(parsed.config->user.c_str()))
    return fail(kExitConfig, "option 'user': no such user '" + parsed.config->user + "'");
  const std::string sock_group = parsed.config->str("socket-group");
  if (!sock_group.empty() && !getgrnam(sock_group.c_str()))
    return fail(kExitConfig, "option 'socket-group': no such group '" + sock_group + "'");

  // Before any thread exists (the resolver starts one): every thread
  // inherits the mask; only the control thread waits for these.
  legit::glue::block_control_signals();
  // A write to a peer that closed (an MTA that hung up, a Redis that closed
  // an idle connection: hiredis and libmilter use plain write()) must be an
  // error (EPIPE) that the caller handles, not SIGPIPE ending the milter.
  // Neither libmilter nor hiredis ignores it (seen: SigIgn 0x6).
  signal(SIGPIPE, SIG_IGN);

  std::string error;
  auto snap = legit::glue::make_snapshot(std::move(*parsed.config), nullptr, &error);
  if (!snap) return fail(kExitConfig, error);
  const legit::Config& cfg = snap->config;
  std::string sock_dir = legit::glue::check_socket_dir(sock, cfg.user);

  legit::ResolverStats dns = snap->resolver->stats();  // the first health probe has run
  if (parsed.check_only) {
    if (!sock_dir.empty()) return fail(kExitConfig, "option 'socket': " + sock_dir);
    if (!dns.healthy)
      std::cout << "warning: DNS resolver unhealthy: " << dns.health_why
                << " (lookups will answer temperror until a dns-canary answers)\n";
    std::cout << "configuration OK (" << parsed.config_source << ")\n";
    return 0;
  }
  if (!legit::log_open(cfg.log))
    return fail(kExitConfig, "option 'log': unknown log destination '" + cfg.log + "'");
  // Limits: open files for max-sessions, libmilter's read/write and idle
  // timeout (its default is 7210 s). Fixed at start (a reload says so).
  const long max_sessions = static_cast<long>(cfg.num("max-sessions"));
  long nofile = 0;
  if (std::string err = legit::glue::raise_nofile(max_sessions, &nofile); !err.empty())
    return fail(kExitRuntime, "option 'max-sessions': " + err);
  const int idle = static_cast<int>(cfg.num("idle-timeout"));
  smfi_settimeout(idle);
  legit::glue::macros_expect_timeout(idle);

  legit::glue::publish_snapshot(snap);
  legit::insight::watch_resolver(snap->resolver.get());  // and after each reload (control.cc)
  // Before dropping privileges (a port below 1024 stays possible); kept for
  // the life of the process, like the session counts.
  if (const std::string& listen = cfg.str("metrics-listen"); !listen.empty()) {
    std::string err;
    auto at = legit::insight::parse_metrics_listen(listen);
    legit::glue::g_metrics = at ? legit::insight::MetricsServer::start(*at, &err).release() : nullptr;
    if (!legit::glue::g_metrics)
      return fail(kExitRuntime, "option 'metrics-listen': " + (at ? err : "bad value '" + listen + "'"));
  }
  if (!legit::glue::register_milter()) return fail(kExitRuntime, "smfi_register failed");
  if (std::string err = open_socket(cfg, sock); !err.empty()) return fail(kExitRuntime, err);
  legit::glue::SocketFileId sock_file;
  if (sock.kind == SocketSpec::Kind::unix_path) sock_file = legit::glue::socket_file_id(sock.path);

  legit::glue::quickack_listener_is_tcp(sock.kind == SocketSpec::Kind::inet);
  std::string nodelay = "n/a (unix socket)";
  if (sock.kind == SocketSpec::Kind::inet) {
    int n = legit::glue::set_nodelay_on_listener(sock.port);
    nodelay = n > 0 ? "on" : "FAILED";
    if (n == 0)
      legit::log_msg(legit::LogLevel::warning,
                     "could not set TCP_NODELAY on the listening socket: expect ~40 ms stalls");
  }

  if (!cfg.user.empty()) {
    std::string err = drop_privileges(cfg.user, sock);
    if (!err.empty()) return fail(kExitRuntime, "cannot drop privileges to " + err);
  }

  // After dropping privileges, so the LMDB file belongs to the milter's user;
  // before any connection can use the engine.
  legit::glue::g_memory = legit::glue::open_process_memory(cfg);
  legit::insight::watch_memory(legit::glue::g_memory);
  legit::glue::set_process_memory(legit::glue::g_memory);
  snap->engine->set_memory(legit::glue::g_memory);

  legit::glue::ControlArgs control;
  control.argv.assign(argv, argv + argc);
  control.config_file = legit::glue::config_file_of(control.argv);
  log_start(cfg, control.config_file, nodelay, dns.healthy, nofile);
  legit::log_msg(legit::LogLevel::info, "config: " + parsed.config_source);
  snap.reset();  // the published snapshot is the one that lives on

  std::atomic<bool> returned{false}, stopping{false};
  control.listener = pthread_self();
  control.listener_returned = &returned;
  control.stopping = &stopping;
  legit::glue::prepare_listener_thread();
  std::thread control_thread([&control] { legit::glue::run_control(control); });
  std::thread check_parked([] {  // libmilter starts its signal thread first thing
    std::this_thread::sleep_for(std::chrono::seconds(2));
    if (!legit::glue::listener_parked())
      legit::log_msg(legit::LogLevel::warning,
                     "libmilter's signal thread was not parked: SIGHUP/SIGTERM may stop the milter "
                     "without a reload or a drain (is libmilter linked statically?)");
  });
  check_parked.detach();
  legit::glue::reaper::start(idle);  // libmilter's pool sweeps idle sessions every 600 s only
  int rc = smfi_main();
  legit::glue::reaper::stop();
  returned = true;
  if (legit::glue::g_memory) legit::glue::g_memory->flush(2);  // queued history updates
  if (!stopping) pthread_kill(control_thread.native_handle(), SIGTERM);  // smfi_main failed alone
  control_thread.join();
  if (sock.kind == SocketSpec::Kind::unix_path) legit::glue::remove_socket_file(sock.path, sock_file);
  legit::log_msg(legit::LogLevel::info, rc == MI_SUCCESS ? "stopped" : "stopped: libmilter error");
  return rc == MI_SUCCESS ? 0 : kExitRuntime;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc > 1 && std::string_view(argv[1]) == "check") return legit::run_check(argc - 1, argv + 1);
    if (argc > 1 && std::string_view(argv[1]) == "dig") return legit::run_dig(argc - 1, argv + 1);
    if (argc > 1 && std::string_view(argv[1]) == "memory") return legit::run_memory(argc - 1, argv + 1);
    if (argc > 1 && std::string_view(argv[1]) == "stats") return legit::insight::run_stats(argc - 1, argv + 1);
    if (argc > 1 && std::string_view(argv[1]) == "report") return legit::insight::run_report(argc - 1, argv + 1);
    return run_milter(argc, argv);
  } catch (const std::exception& e) {
    return fail(kExitRuntime, std::string("fatal: ") + e.what());
  }
}
