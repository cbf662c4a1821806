// process_limits.cc — see process_limits.h.
#include "process_limits.h"

#include <grp.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace legit::glue {

long files_needed(long max_sessions) { return 2 * max_sessions + 256; }

std::string raise_nofile(long max_sessions, long* now) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return std::string("getrlimit: ") + std::strerror(errno);
  const rlim_t need = static_cast<rlim_t>(files_needed(max_sessions));
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
    rlimit want = rl;
    want.rlim_cur = need;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) want.rlim_max = need;  // root only
    if (setrlimit(RLIMIT_NOFILE, &want) != 0)
      return "max-sessions " + std::to_string(max_sessions) + " needs " + std::to_string(need) +
             " open files, but the limit is " + std::to_string(rl.rlim_cur) + " (hard " +
             std::to_string(rl.rlim_max) + ") and cannot be raised (" + std::strerror(errno) +
             "): raise it (systemd LimitNOFILE=, ulimit -n) or lower max-sessions";
    rl = want;
  }
  if (now) *now = rl.rlim_cur == RLIM_INFINITY ? -1 : static_cast<long>(rl.rlim_cur);
  return "";
}

std::string secure_unix_socket(const std::string& path, const std::string& mode,
                               const std::string& group_name) {
  auto bits = static_cast<mode_t>(std::strtol(mode.c_str(), nullptr, 8));
  if (chmod(path.c_str(), bits) != 0)
    return "chmod " + mode + " " + path + ": " + std::strerror(errno);
  if (group_name.empty()) return "";
  errno = 0;
  group* gr = getgrnam(group_name.c_str());
  if (!gr) return "socket-group '" + group_name + "': " + (errno ? std::strerror(errno) : "no such group");
  if (chown(path.c_str(), static_cast<uid_t>(-1), gr->gr_gid) != 0)
    return "chown :" + group_name + " " + path + ": " + std::strerror(errno);
  return "";
}

void bound_malloc_arenas() {
  if (!std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, 4);
}

}  // namespace legit::glue
