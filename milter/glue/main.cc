// main.cc — the legit-milter entry point.
//
//   legit-milter check ...   offline check of one session (run_check)
//   legit-milter dig ...     resolver debugging tool (run_dig)
//   legit-milter stats ...   the running milter's counters (insight/stats_cli.cc)
//   legit-milter [options]   the milter, in the foreground, on --socket
//
// Start-up order: parse and freeze the config; open the log; create the
// resolver and the one Engine every milter thread shares read-only; open the
// listening socket and set TCP_NODELAY on it (libmilter never does, and
// Nagle + delayed ACK costs ~40 ms per message; accepted sockets inherit the
// option on Linux); drop privileges; run smfi_main() until SIGTERM/SIGHUP
// (graceful stop) or SIGINT (abort), which libmilter's own signal thread
// handles with its internal smfi_stop.
//
// Exit status: 0 success (also --help, --version, --dump-config, -t on a good
// configuration); 1 run-time failure (socket cannot be opened, privileges
// cannot be dropped, libmilter error); 2 bad command line or configuration
// (the message on stderr names the option), like Postfix's EX_USAGE-class
// errors.
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include <libmilter/mfapi.h>

#include "callbacks.h"
#include "legit/config.h"
#include "legit/dns.h"
#include "legit/engine.h"
#include "legit/log.h"
#include "legit/version.h"

#include "check_cli.h"
#include "dig_cli.h"
#include "macros.h"
#include "process_limits.h"
#include "memory_cli.h"
#include "insight/cli.h"
#include "insight/metrics.h"
#include "insight/metrics_http.h"

// Built once at start-up and never destroyed: libmilter threads may still
// run when smfi_main() returns. External linkage so the stores are kept and
// leak checkers see the objects as reachable.
namespace legit::glue {
const Config* g_config = nullptr;
Resolver* g_resolver = nullptr;
const Engine* g_engine = nullptr;
// Process-wide sender memory (memory.h): opened once, kept across reloads.
Memory* g_memory = nullptr;
insight::MetricsServer* g_metrics = nullptr;  // serves /metrics when metrics-listen is set
}  // namespace legit::glue

namespace {
using legit::glue::g_config;
using legit::glue::g_engine;
using legit::glue::g_resolver;

constexpr int kExitRuntime = 1;
constexpr int kExitConfig = 2;

int fail(int code, const std::string& msg) {
  std::cerr << "legit-milter: " << msg << "\n";
  return code;
}

struct SocketSpec {
  enum class Kind { inet, unix_path, other } kind = Kind::other;
  int port = -1;        // inet/inet6 with a numeric port
  std::string path;     // unix/local
};

// "inet:PORT@HOST", "inet6:PORT@HOST", "unix:/path", "local:/path", "/path".
SocketSpec parse_socket(std::string_view s) {
  SocketSpec spec;
  auto colon = s.find(':');
  std::string_view proto = colon == std::string_view::npos ? "" : s.substr(0, colon);
  std::string_view rest = colon == std::string_view::npos ? s : s.substr(colon + 1);
  if (proto == "inet" || proto == "inet6") {
    spec.kind = SocketSpec::Kind::inet;
    std::string port(rest.substr(0, rest.find('@')));
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (!port.empty() && end && *end == '\0' && p > 0 && p < 65536) spec.port = static_cast<int>(p);
  } else if (proto == "unix" || proto == "local" || (proto.empty() && s.starts_with("/"))) {
    spec.kind = SocketSpec::Kind::unix_path;
    spec.path = std::string(rest);
  }
  return spec;
}

// libmilter exposes no listening fd: find our listening TCP socket(s) among
// the process's descriptors (socket + SO_ACCEPTCONN + our port) and set
// TCP_NODELAY, reading it back. Returns how many listeners got it.
int set_nodelay_on_listener(int port) {
  int done = 0;
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return 0;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    struct stat st {};
    if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
        !listening)
      continue;
    sockaddr_storage ss{};
    socklen_t sl = sizeof ss;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&ss), &sl) != 0) continue;
    int p = -1;
    if (ss.ss_family == AF_INET) p = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    else if (ss.ss_family == AF_INET6) p = ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    else continue;
    if (port > 0 && p != port) continue;
    int one = 1, got = 0;
    socklen_t gl = sizeof got;
    if (setsockopt(static_cast<int>(fd), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0 &&
        getsockopt(static_cast<int>(fd), IPPROTO_TCP, TCP_NODELAY, &got, &gl) == 0 && got)
      ++done;
  }
  closedir(dir);
  return done;
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

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "system" : out;
}

int run_milter(int argc, char** argv) {
  legit::ParseResult parsed = legit::parse_config(argc, argv);
  if (parsed.show_help) {
    std::cout << parsed.help_text;
    return 0;
  }
  if (parsed.show_version) {
    std::cout << "legit-milter " << LEGIT_VERSION << "\n";
    return 0;
  }
  if (!parsed.man_page.empty()) {
    std::string page = legit::render_man_page(parsed.man_page);
    if (page.empty()) return fail(kExitConfig, "--man-page: '" + parsed.man_page + "' is not 8 or 5");
    std::cout << page;
    return 0;
  }
  if (!parsed.config) return fail(kExitConfig, parsed.error.empty() ? "bad configuration" : parsed.error);
  if (parsed.dump_config) {
    std::cout << parsed.dump_text;
    return 0;
  }

  // Frozen from here on; shared read-only by every milter thread.
  g_config = new legit::Config(std::move(*parsed.config));
  const legit::Config* cfg = g_config;

  SocketSpec sock = parse_socket(cfg->socket);
  if (sock.kind == SocketSpec::Kind::other)
    return fail(kExitConfig, "option 'socket': '" + cfg->socket +
                                 "' is not inet:PORT@HOST, inet6:PORT@HOST or unix:/path");
  if (!cfg->user.empty() && !getpwnam(cfg->user.c_str()))
    return fail(kExitConfig, "option 'user': no such user '" + cfg->user + "'");
  const std::string sock_group = cfg->str("socket-group");
  if (!sock_group.empty() && !getgrnam(sock_group.c_str()))
    return fail(kExitConfig, "option 'socket-group': no such group '" + sock_group + "'");

  // Block the stop signals before any thread exists (the resolver starts
  // some): every thread inherits the mask and libmilter's signal thread
  // receives them with sigwait.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  try {
    // Runs the first health probe (at most dns-timeout) before it returns.
    g_resolver = legit::make_unbound_resolver(legit::resolver_options(*cfg)).release();
  } catch (const std::exception& e) {
    return fail(kExitConfig, std::string("option 'dns-server': ") + e.what());
  }
  legit::ResolverStats dns = g_resolver->stats();

  if (parsed.check_only) {
    if (!dns.healthy)
      std::cout << "warning: DNS resolver unhealthy: " << dns.health_why
                << " (lookups will answer temperror until a dns-canary answers)\n";
    std::cout << "configuration OK (" << parsed.config_source << ")\n";
    return 0;
  }
  if (!legit::log_open(cfg->log))
    return fail(kExitConfig, "option 'log': unknown log destination '" + cfg->log + "'");

  // Limits (issue: no limits on connections): open files for max-sessions,
  // libmilter's read/write and idle timeout (its default is 7210 s).
  const long max_sessions = static_cast<long>(cfg->num("max-sessions"));
  long nofile = 0;
  if (std::string err = legit::glue::raise_nofile(max_sessions, &nofile); !err.empty())
    return fail(kExitRuntime, "option 'max-sessions': " + err);
  const int idle = static_cast<int>(cfg->num("idle-timeout"));
  smfi_settimeout(idle);
  legit::glue::macros_expect_timeout(idle);

  auto* engine = new legit::Engine(*cfg, *g_resolver);
  g_engine = engine;
  legit::insight::watch_resolver(g_resolver);
  if (!legit::glue::register_milter(*g_engine)) return fail(kExitRuntime, "smfi_register failed");
  std::string conn = cfg->socket;
  if (smfi_setconn(conn.data()) != MI_SUCCESS)
    return fail(kExitConfig, "option 'socket': libmilter rejects '" + cfg->socket + "'");
  // A unix socket is created owner-only (umask 0177) and then given
  // socket-mode/socket-group explicitly: never the umask's permissions, and
  // no moment where others could connect.
  mode_t old_umask = umask(0177);
  bool opened = smfi_opensocket(true) == MI_SUCCESS;
  umask(old_umask);
  if (!opened)
    return fail(kExitRuntime, "cannot open socket " + cfg->socket + " (in use, or no permission?)");
  if (sock.kind == SocketSpec::Kind::unix_path) {
    std::string err = legit::glue::secure_unix_socket(sock.path, cfg->str("socket-mode"), sock_group);
    if (!err.empty()) return fail(kExitRuntime, "unix socket: " + err);
  }

  // Before dropping privileges (a port below 1024 stays possible); kept for
  // the life of the process, like the engine.
  if (const std::string& listen = cfg->str("metrics-listen"); !listen.empty()) {
    std::string err;
    auto at = legit::insight::parse_metrics_listen(listen);
    legit::glue::g_metrics = at ? legit::insight::MetricsServer::start(*at, &err).release() : nullptr;
    if (!legit::glue::g_metrics) return fail(kExitRuntime, "option 'metrics-listen': " + (at ? err : "bad value '" + listen + "'"));
  }

  std::string nodelay = "n/a (unix socket)";
  if (sock.kind == SocketSpec::Kind::inet) {
    int n = set_nodelay_on_listener(sock.port);
    nodelay = n > 0 ? "on" : "FAILED";
    if (n == 0)
      legit::log_msg(legit::LogLevel::warning,
                     "could not set TCP_NODELAY on the listening socket: expect ~40 ms stalls");
  }

  if (!cfg->user.empty()) {
    std::string err = drop_privileges(cfg->user, sock);
    if (!err.empty()) return fail(kExitRuntime, "cannot drop privileges to " + err);
  }
  // After dropping privileges, so the LMDB file belongs to the milter's user.
  engine->set_memory(legit::glue::g_memory = legit::glue::open_process_memory(*cfg));

  legit::log_msg(legit::LogLevel::info,
                 std::string("starting legit-milter ") + LEGIT_VERSION + " socket=" + cfg->socket +
                     " dns-servers=" + join(cfg->dns_servers) +
                     " mode=" + (cfg->mode == legit::Mode::dry_run ? "dry-run" : "enforce") +
                     " on-error=" + (cfg->on_error == legit::OnError::tempfail ? "tempfail" : "accept") +
                     " tcp-nodelay=" + nodelay + " max-sessions=" + std::to_string(max_sessions) +
                     " idle-timeout=" + std::to_string(idle) + " open-files=" + std::to_string(nofile) +
                     (cfg->user.empty() ? "" : " user=" + cfg->user) +
                     " dns-health=" + (dns.healthy ? "healthy" : "UNHEALTHY") +
                     (cfg->str("metrics-listen").empty() ? "" : " metrics=" + cfg->str("metrics-listen")));
  if (cfg->user.empty() && geteuid() == 0)
    legit::log_msg(legit::LogLevel::warning,
                   "running as root: set 'user' (e.g. legit-milter) so that a flaw in the milter "
                   "or in a library it parses mail with does not run with root rights");
  legit::log_msg(legit::LogLevel::info, "config: " + parsed.config_source);
  int rc = smfi_main();
  if (legit::glue::g_memory) legit::glue::g_memory->flush(2);  // queued history updates
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
    return run_milter(argc, argv);
  } catch (const std::exception& e) {
    return fail(kExitRuntime, std::string("fatal: ") + e.what());
  }
}
