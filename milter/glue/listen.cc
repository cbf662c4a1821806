// listen.cc — the listening socket before and after libmilter opens it
// (listen.h).
#include "listen.h"

#include <dirent.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace legit::glue {
namespace {

// Owns one file descriptor.
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

// connect() to the unix socket at `path`: 0 when something accepted, else errno.
int try_connect(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return ENAMETOOLONG;
  std::memcpy(sa.sun_path, path.data(), path.size());
  Fd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.fd < 0) return errno;
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return 0;
  return errno;
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// May uid (with gid and supplementary groups) write and search in `st`?
bool may_write(const struct stat& st, uid_t uid, const std::vector<gid_t>& gids) {
  if (uid == 0) return true;
  if (st.st_uid == uid) return (st.st_mode & (S_IWUSR | S_IXUSR)) == (S_IWUSR | S_IXUSR);
  for (gid_t g : gids)
    if (st.st_gid == g) return (st.st_mode & (S_IWGRP | S_IXGRP)) == (S_IWGRP | S_IXGRP);
  return (st.st_mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
}

}  // namespace

SocketSpec parse_socket(std::string_view s) {
  SocketSpec spec;
  auto colon = s.find(':');
  std::string_view proto = colon == std::string_view::npos ? "" : s.substr(0, colon);
  std::string_view rest = colon == std::string_view::npos ? s : s.substr(colon + 1);
  if (proto == "inet" || proto == "inet6") {
    spec.kind = SocketSpec::Kind::inet;
    spec.v6 = proto == "inet6";
    auto at = rest.find('@');
    std::string port(rest.substr(0, at));
    if (at != std::string_view::npos) spec.host = std::string(rest.substr(at + 1));
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (!port.empty() && end && *end == '\0' && p > 0 && p < 65536) spec.port = static_cast<int>(p);
  } else if (proto == "unix" || proto == "local" || (proto.empty() && s.starts_with("/"))) {
    spec.kind = SocketSpec::Kind::unix_path;
    spec.path = std::string(rest);
  }
  return spec;
}

std::string claim_unix_socket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return errno == ENOENT ? "" : "socket unix:" + path + ": " + std::strerror(errno);
  if (!S_ISSOCK(st.st_mode))
    return "socket unix:" + path + ": a file that is not a socket is in the way (not removed)";
  int err = try_connect(path);
  if (err == 0) return "socket unix:" + path + " is in use by a running milter";
  if (err != ECONNREFUSED)
    return "socket unix:" + path + ": cannot tell whether it is in use: " + std::strerror(err);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return "socket unix:" + path + ": cannot remove the stale socket: " + std::strerror(errno);
  return "";
}

SocketFileId socket_file_id(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return {};
  return {static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino), true};
}

void remove_socket_file(const std::string& path, const SocketFileId& id) {
  SocketFileId now = socket_file_id(path);
  if (id.valid && now.valid && now.dev == id.dev && now.ino == id.ino) ::unlink(path.c_str());
}

std::string explain_open_failure(const SocketSpec& spec) {
  if (spec.kind != SocketSpec::Kind::inet) {
    std::string dir_err = check_socket_dir(spec, "");
    return dir_err.empty() ? "see the libmilter message in the log" : dir_err;
  }
  addrinfo hints{};
  hints.ai_family = spec.v6 ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(spec.port);
  // The listen address only (libmilter itself resolves it the same way).
  int gai = ::getaddrinfo(spec.host.empty() ? nullptr : spec.host.c_str(), port.c_str(), &hints, &res);
  if (gai != 0) return "host '" + spec.host + "': " + ::gai_strerror(gai);
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(res, ::freeaddrinfo);
  Fd s(::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.fd < 0) return std::strerror(errno);
  int one = 1;
  ::setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as libmilter does
  if (::bind(s.fd, res->ai_addr, res->ai_addrlen) != 0) {
    if (errno == EADDRINUSE) return "address in use (another process listens on it)";
    return std::strerror(errno);
  }
  return "see the libmilter message in the log";
}

std::string check_socket_dir(const SocketSpec& spec, const std::string& user) {
  if (spec.kind != SocketSpec::Kind::unix_path) return "";
  std::string dir = dir_of(spec.path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    return "socket directory " + dir + ": " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode)) return "socket directory " + dir + ": not a directory";
  if (user.empty()) {
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
      return "socket directory " + dir + ": not writable by this user: " + std::strerror(errno);
    return "";
  }
  passwd* pw = ::getpwnam(user.c_str());
  if (!pw) return "user '" + user + "': no such user";
  std::vector<gid_t> gids(64);
  int n = static_cast<int>(gids.size());
  if (::getgrouplist(pw->pw_name, pw->pw_gid, gids.data(), &n) < 0) {
    gids.resize(static_cast<size_t>(n));
    ::getgrouplist(pw->pw_name, pw->pw_gid, gids.data(), &n);
  }
  gids.resize(static_cast<size_t>(n > 0 ? n : 0));
  if (!may_write(st, pw->pw_uid, gids))
    return "socket directory " + dir + ": user '" + user + "' may not create the socket there";
  return "";
}

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

}  // namespace legit::glue
