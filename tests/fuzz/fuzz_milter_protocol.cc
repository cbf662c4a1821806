// fuzz_milter_protocol.cc — the milter glue through a real libmilter session:
// libmilter (smfi_main, in a thread) listens on a unix socket in a private
// directory with legit-milter's callbacks registered on an Engine whose
// resolver answers from a table (no network); each input is one connection
// carrying a mutated sequence of milter packets. What the glue must survive:
// macro packets with odd string counts, unknown commands without NUL, steps
// out of order, no-reply negotiation offers of any kind, bodies after SKIP.
//
// Input: 4 bytes of MTA protocol flags offered in the negotiation (so every
// no-reply/SKIP combination is tried), then records [command][len:2 LE]
// [payload]. A command byte is taken modulo the table below ('D' macro, 'C'
// connect, ... 'K' quit-new-connection); the payload is sent as is. The
// negotiation ('O', version 6, every action) always goes first.
// Property: the process survives (ASan/UBSan report anything else) and the
// milter closes the connection when the input ends (it does not hang).
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <libmilter/mfapi.h>

#include "callbacks.h"
#include "fake_resolver.h"
#include "fuzz_input.h"
#include "legit/config.h"
#include "legit/engine.h"
#include "legit/log.h"
#include "macros.h"
#include "runtime.h"

namespace {

constexpr char kCommands[] = "DCHMRTLNBEAUQK";
constexpr int kTimeout = 3;  // libmilter read/write timeout (s); 2x stays under run.sh -timeout=10

std::string g_path;

// Starts the milter once: config, fake resolver, engine, libmilter thread.
bool start_milter() {
  char dir[] = "/tmp/legit-fuzz-milter.XXXXXX";
  if (!mkdtemp(dir)) return false;
  g_path = std::string(dir) + "/milter.sock";
  std::string err;
  auto cfg = legit::config_from({{"max-sessions", "64"}}, &err);
  if (!cfg) return false;
  static legit::test::FakeResolver resolver;
  resolver.add("mail.fuzz.test", legit::DnsType::A, {"192.0.2.10"});
  resolver.add("10.2.0.192.in-addr.arpa", legit::DnsType::PTR, {"mail.fuzz.test"});
  resolver.add("fuzz.test", legit::DnsType::TXT, {"v=spf1 ip4:192.0.2.0/24 -all"});
  auto snap = std::make_shared<legit::glue::Snapshot>();  // what main.cc publishes
  snap->config = std::move(*cfg);
  snap->resolver = std::shared_ptr<legit::Resolver>(&resolver, [](legit::Resolver*) {});
  snap->engine = std::make_unique<legit::Engine>(snap->config, *snap->resolver);
  snap->generation = 1;
  legit::glue::publish_snapshot(std::move(snap));
  legit::log_open("syslog");  // quiet: no /dev/log here, and stderr would slow libFuzzer
  if (!legit::glue::register_milter()) return false;
  std::string conn = "unix:" + g_path;
  if (smfi_setconn(conn.data()) != MI_SUCCESS || smfi_opensocket(true) != MI_SUCCESS) return false;
  smfi_settimeout(kTimeout);
  legit::glue::macros_expect_timeout(kTimeout);
  std::thread([] { smfi_main(); }).detach();
  return true;
}

void put_packet(std::string& out, char cmd, std::string_view payload) {
  std::uint32_t n = htonl(static_cast<std::uint32_t>(payload.size() + 1));
  out.append(reinterpret_cast<const char*>(&n), 4);
  out += cmd;
  out.append(payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool started = start_milter();
  legit::fuzz::fuzz_require(started, "libmilter started");
  if (size < 4) return 0;

  std::string wire;
  std::uint32_t offer;
  std::memcpy(&offer, data, 4);
  std::string opt(12, '\0');
  std::uint32_t words[3] = {htonl(6), htonl(0x1ff), htonl(offer & 0x1fffff)};
  std::memcpy(opt.data(), words, 12);
  put_packet(wire, 'O', opt);
  for (std::size_t i = 4; i + 3 <= size && wire.size() < (1u << 20);) {
    char cmd = kCommands[data[i] % (sizeof kCommands - 1)];
    std::size_t len = data[i + 1] | (static_cast<std::size_t>(data[i + 2]) << 8);
    i += 3;
    len = std::min(len, size - i);
    put_packet(wire, cmd, legit::fuzz::text(data + i, len));
    i += len;
  }

  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  legit::fuzz::fuzz_require(fd >= 0, "socket");
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, g_path.c_str(), sizeof sa.sun_path - 1);
  bool connected = false;
  for (int tries = 0; tries < 200 && !connected; ++tries) {  // the listener may still be starting
    connected = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    if (!connected) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  legit::fuzz::fuzz_require(connected, "connect to the milter");
  timeval tv{kTimeout * 2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  // Writes and reads interleaved: the milter's replies must not fill the
  // socket buffer while we are still writing.
  std::size_t sent = 0;
  char buf[65536];
  while (sent < wire.size()) {
    ssize_t n = send(fd, wire.data() + sent, std::min<std::size_t>(wire.size() - sent, 16384), MSG_NOSIGNAL);
    if (n <= 0) break;  // the milter closed the connection: fine
    sent += static_cast<std::size_t>(n);
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
  }
  shutdown(fd, SHUT_WR);
  auto t0 = std::chrono::steady_clock::now();
  for (;;) {  // until the milter closes: it read our EOF and ended the session
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) break;
    legit::fuzz::fuzz_require(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(kTimeout * 2),
                              "the milter closes the connection after the input ends");
  }
  close(fd);
  return 0;
}
