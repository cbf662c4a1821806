// bench/redis_rtt_cost.cc — what ONE Redis round trip costs the client's CPU
// on this host, the floor under any per-message Redis read: a send of one
// small request (PING) and the recv of its answer on a TCP connection,
// timed with the thread's CPU clock around the two syscalls only, so the
// pause between round trips does not count. Two paces: back to back (Redis
// stays awake) and one round trip per GAP µs (Redis sleeps in between, as
// under mail traffic: the send must wake it, which on a virtual machine
// means an inter-CPU interrupt paid in the sender's time).
// bench/memory.sh prints it next to the memory's measured cost.
// usage: redis_rtt_cost PORT [ROUND_TRIPS=20000] [GAP_US=1000]
// Prints "back-to-back X us, idle-gap Y us" (µs of client CPU per round
// trip); exit 1 with a message when Redis cannot be reached or answers
// something else than +PONG.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

double thread_cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// One PING round trip; false on any error or an answer other than +PONG.
bool ping(int fd) {
  static const char kPing[] = "PING\r\n";
  if (send(fd, kPing, sizeof kPing - 1, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof kPing - 1)) return false;
  char buf[64];
  std::size_t got = 0;
  while (got < 7) {  // "+PONG\r\n"
    ssize_t n = recv(fd, buf + got, sizeof buf - got, 0);
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return got == 7 && std::memcmp(buf, "+PONG\r\n", 7) == 0;
}

// Mean client CPU (µs) per round trip over `n`, pausing `gap_us` between
// them; < 0 on a failed round trip. The clock reads' own cost is removed.
double measure(int fd, int n, int gap_us) {
  double clock_cost = 0;
  {
    double a = thread_cpu_us();
    for (int i = 0; i < 1000; ++i) thread_cpu_us();
    clock_cost = (thread_cpu_us() - a) / 1000;
  }
  double total = 0;
  for (int i = 0; i < n; ++i) {
    if (gap_us > 0) {
      timespec pause{0, gap_us * 1000L};
      nanosleep(&pause, nullptr);
    }
    double a = thread_cpu_us();
    if (!ping(fd)) return -1;
    total += thread_cpu_us() - a - clock_cost;
  }
  return total / n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: redis_rtt_cost PORT [ROUND_TRIPS] [GAP_US]\n");
    return 2;
  }
  int port = std::atoi(argv[1]);
  int n = argc > 2 ? std::atoi(argv[2]) : 20000;
  int gap = argc > 3 ? std::atoi(argv[3]) : 1000;
  if (port <= 0 || port > 65535 || n <= 0 || gap < 0 || gap > 1000000) {
    std::fprintf(stderr, "redis_rtt_cost: bad PORT, ROUND_TRIPS or GAP_US\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::fprintf(stderr, "redis_rtt_cost: cannot connect to 127.0.0.1:%d: %s\n", port, std::strerror(errno));
    return 1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as hiredis does
  double hot = measure(fd, n, 0);
  double idle = hot < 0 ? -1 : measure(fd, n / 4 > 0 ? n / 4 : 1, gap);
  close(fd);
  if (hot < 0 || idle < 0) {
    std::fprintf(stderr, "redis_rtt_cost: PING failed (not Redis on port %d?)\n", port);
    return 1;
  }
  std::printf("back-to-back %.1f us, idle-gap %.1f us\n", hot, idle);
  return 0;
}
