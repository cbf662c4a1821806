// process_limits.h — start-up limits and socket permissions of the milter process.
//
//   raise_nofile      RLIMIT_NOFILE up to what max-sessions needs
//   secure_unix_socket  explicit mode and group on the unix socket
//
// Each returns "" on success, else the error text for the start-up failure
// (the caller exits; nothing here exits or logs).
#pragma once

#include <string>

namespace legit::glue {

// Open files max-sessions needs: one socket per admitted session, as many
// again for connections refused by the cap until the MTA closes them, and
// 256 for the listener, the resolver's sockets, logs and libraries.
long files_needed(long max_sessions);

// Raises the soft RLIMIT_NOFILE to files_needed(max_sessions) when it is
// lower (never lowers it). Fails when the hard limit is lower still and
// cannot be raised (not root). *now receives the resulting soft limit.
std::string raise_nofile(long max_sessions, long* now);

// chmod(path, mode) and, when `group` is not empty, chown(path, -1, gid).
// `mode` is octal text ("0660", checked by the option table).
std::string secure_unix_socket(const std::string& path, const std::string& mode,
                               const std::string& group);

}  // namespace legit::glue
