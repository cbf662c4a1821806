// quickack.cc — see quickack.h: ACK the MTA's packet at once after a no-reply step.
#include "quickack.h"

#include <atomic>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "macros.h"

namespace legit::glue {
namespace {
std::atomic<int> g_listener_tcp{-1};  // -1: not said, ask each socket
}

void quickack_listener_is_tcp(bool tcp) { g_listener_tcp.store(tcp ? 1 : 0, std::memory_order_relaxed); }

int quickack_socket(SMFICTX* ctx) {
  int fd = session_socket(ctx);
  if (fd < 0) return -1;
  if (int known = g_listener_tcp.load(std::memory_order_relaxed); known >= 0) return known ? fd : -1;
  int domain = 0, type = 0;
  socklen_t dl = sizeof domain, tl = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dl) != 0 ||
      getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0)
    return -1;
  return (domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM ? fd : -1;
}

bool ack_now(int fd) {
  if (fd < 0) return true;
  int one = 1;
  return setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one) == 0;
}

}  // namespace legit::glue
