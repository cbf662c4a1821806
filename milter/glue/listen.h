// listen.h — the milter's listening socket, before libmilter opens it:
// parse the `socket` option, refuse to take over a live unix socket, explain
// why an open failed, check a unix socket's directory (-t), and set
// TCP_NODELAY on the listener once it is open.
//
// Nothing here throws; failures come back as the text to print ("" = fine).
#pragma once

#include <string>
#include <string_view>

namespace legit::glue {

struct SocketSpec {
  enum class Kind { inet, unix_path, other } kind = Kind::other;
  int port = -1;      // inet/inet6 with a numeric port
  bool v6 = false;    // inet6
  std::string host;   // inet: the part after '@' ("" = every interface)
  std::string path;   // unix/local
};

// "inet:PORT@HOST", "inet6:PORT@HOST", "unix:/path", "local:/path", "/path".
SocketSpec parse_socket(std::string_view s);

// A unix socket file left at `path`: if something answers a connect() there,
// "socket unix:PATH is in use by a running milter"; if nothing does (stale),
// it is removed and "" returned; a file that is not a socket is refused too.
// "" when nothing is there.
std::string claim_unix_socket(const std::string& path);

// The unix socket file we created (device, inode), to remove it at exit
// only if it is still ours: libmilter leaves it behind when running as root.
struct SocketFileId {
  unsigned long long dev = 0, ino = 0;
  bool valid = false;
};
SocketFileId socket_file_id(const std::string& path);
void remove_socket_file(const std::string& path, const SocketFileId& id);

// Why libmilter could not open `spec` (it logs nothing we can read): for
// inet, a bind() of the same address tells EADDRINUSE ("address ... is in
// use by another process") from any other error (the system's text).
std::string explain_open_failure(const SocketSpec& spec);

// For a unix socket: its directory exists and `user` (empty = the current
// process) may create files in it. "" when fine or not a unix socket.
std::string check_socket_dir(const SocketSpec& spec, const std::string& user);

// libmilter exposes no listening fd: finds our listening TCP socket(s) among
// the process's descriptors (socket + SO_ACCEPTCONN + our port) and sets
// TCP_NODELAY, reading it back. Returns how many listeners got it.
int set_nodelay_on_listener(int port);

}  // namespace legit::glue
