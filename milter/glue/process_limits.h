// process_limits.h — start-up limits and socket permissions of the milter process.
//
//   raise_nofile      RLIMIT_NOFILE up to what max-sessions needs
//   secure_unix_socket  explicit mode and group on the unix socket
//   bound_malloc_arenas  at most 4 glibc malloc arenas
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

// glibc gives every thread that allocates under contention its own arena,
// up to 8 per core; with libmilter's session threads and the SPF pool (~40
// threads under load) memory then crept from arena to arena: RSS +7.2 % from
// message 10k to 100k (bench/run.sh F). With 4 arenas: +1.9 %, 1.5 MB less,
// the same CPU per message (measured side by side; 2 arenas cost +8 % CPU).
// MALLOC_ARENA_MAX in the environment wins. Call before threads start.
void bound_malloc_arenas();

}  // namespace legit::glue
