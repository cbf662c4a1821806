// miltergen.cc — a milter-protocol load generator: the MTA side of milter
// protocol 6 as Postfix 3.7 speaks it, N concurrent connections, M messages
// per connection, a corpus of message files sent in turn. Checks every reply
// and reports msg/s and per-stage latency (p50/p99).
//
// It negotiates like Postfix: version 6, every action, every protocol step
// offered (NO*, NR*, SKIP, HDR_LEADSPC). Steps the filter marks "no reply"
// (SMFIP_NR_*) are sent without waiting; steps it marks "not sent" (SMFIP_NO*)
// are skipped; a body answered with SMFIS_SKIP ('s') stops the body there.
// Macros are sent per stage as Postfix does (j, {daemon_addr}, {client_addr},
// ..., i, {mail_addr}, {rcpt_addr}), whatever the filter asked for.
//
// Bad replies (an unexpected command, a connection closed, a reply to a step
// that was negotiated no-reply arriving late) count as errors; the exit code
// is 1 when any message failed. Nothing here is project code: a bench tool.
//
// usage: miltergen -p PORT [-H HOST] [-c CONNS] [-m MSGS_PER_CONN] [-n TOTAL]
//                  [-i CLIENT_IP] [-N CLIENT_NAME] [-h HELO] [-f FROM] [-r RCPT]
//                  [--pace MS] [--json] FILE...
// --pace MS waits MS before HELO, MAIL, RCPT, DATA and the final '.', like a
// real client on a real network (the time a filter has to look things up).
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// SMFIP_* protocol bits (libmilter/mfdef.h).
constexpr uint32_t NOCONNECT = 0x1, NOHELO = 0x2, NOMAIL = 0x4, NORCPT = 0x8, NOBODY = 0x10,
                   NOHDRS = 0x20, NOEOH = 0x40, NR_HDR = 0x80, NODATA = 0x200,
                   NR_CONN = 0x1000, NR_HELO = 0x2000, NR_MAIL = 0x4000, NR_RCPT = 0x8000,
                   NR_DATA = 0x10000, NR_EOH = 0x40000, NR_BODY = 0x80000;
constexpr uint32_t ALL_STEPS = 0x1FFFFF, ALL_ACTIONS = 0x1FF;

enum Stage { S_CONN, S_HELO, S_MAIL, S_RCPT, S_DATA, S_HDRS, S_EOH, S_BODY, S_EOM, S_N };
const char* const kStageNames[S_N] = {"connect", "helo", "mail", "rcpt", "data",
                                      "headers", "eoh",  "body", "eom"};

struct Options {
  std::string host = "127.0.0.1";
  int port = 0, conns = 10, per_conn = 1, total = 1000;
  std::string client_ip = "127.0.0.1", client_name = "localhost", helo = "mail.bench.test";
  std::string from = "sender@bench.test", rcpt = "user@example.net";
  bool json = false;
  int pace_ms = 0;  // pause before HELO, MAIL, RCPT, DATA and the final '.'
  std::vector<std::string> files;
};

struct Message {  // a parsed message file
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

Message load_message(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str(), line;
  Message m;
  size_t pos = 0;
  while (pos < text.size()) {  // header section up to the empty line
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string l = text.substr(pos, eol - pos);
    if (!l.empty() && l.back() == '\r') l.pop_back();
    pos = eol + 1;
    if (l.empty()) break;
    if ((l[0] == ' ' || l[0] == '\t') && !m.headers.empty()) {
      m.headers.back().second += "\r\n" + l;  // folded line, as Postfix sends it
      continue;
    }
    size_t colon = l.find(':');
    if (colon == std::string::npos) continue;
    std::string value = l.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    m.headers.emplace_back(l.substr(0, colon), value);
  }
  for (; pos < text.size(); ++pos) {  // body with CRLF line ends, as on the wire
    if (text[pos] == '\n' && (m.body.empty() || m.body.back() != '\r')) m.body += '\r';
    m.body += text[pos];
  }
  return m;
}

class Conn {
 public:
  explicit Conn(const Options& o) {
    addrinfo hints{}, *res = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(o.host.c_str(), std::to_string(o.port).c_str(), &hints, &res) != 0 || !res)
      throw std::runtime_error("cannot resolve " + o.host);
    fd_ = socket(res->ai_family, SOCK_STREAM, 0);
    int rc = fd_ < 0 ? -1 : connect(fd_, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (rc != 0) throw std::runtime_error(std::string("connect: ") + strerror(errno));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{30, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Queues one packet; flush() writes everything queued in one write, as
  // Postfix writes a macro packet and its command together.
  void queue(char cmd, const std::string& data = "") {
    uint32_t n = htonl(static_cast<uint32_t>(data.size() + 1));
    out_.append(reinterpret_cast<const char*>(&n), 4);
    out_ += cmd;
    out_ += data;
  }
  void flush() {
    size_t off = 0;
    while (off < out_.size()) {
      ssize_t w = ::send(fd_, out_.data() + off, out_.size() - off, MSG_NOSIGNAL);
      if (w <= 0) throw std::runtime_error("write failed");
      off += static_cast<size_t>(w);
    }
    out_.clear();
  }
  std::pair<char, std::string> read() {
    uint32_t n = 0;
    read_exact(reinterpret_cast<char*>(&n), 4);
    n = ntohl(n);
    if (n == 0 || n > (1u << 24)) throw std::runtime_error("bad reply length");
    std::string pkt(n, '\0');
    read_exact(pkt.data(), n);
    return {pkt[0], pkt.substr(1)};
  }
  // Reads until a final reply; modification requests (h, i, m, q, ...) and
  // progress are skipped. Returns the final reply command.
  char await_final() {
    for (;;) {
      auto [cmd, data] = read();
      if (std::strchr("aclrtyds", cmd)) return cmd;
      if (!std::strchr("pmhi+-qefb2", cmd))
        throw std::runtime_error(std::string("unexpected reply '") + cmd + "'");
    }
  }

 private:
  void read_exact(char* p, size_t n) {
    while (n) {
      ssize_t r = ::recv(fd_, p, n, 0);
      if (r <= 0) throw std::runtime_error("milter closed the connection or timed out");
      p += r;
      n -= static_cast<size_t>(r);
    }
  }
  int fd_ = -1;
  std::string out_;
};

std::string z(std::initializer_list<std::string> parts) {
  std::string s;
  for (auto& p : parts) s += p + '\0';
  return s;
}

struct Stats {
  std::mutex mu;
  std::vector<double> lat[S_N];  // microseconds per stage
  std::atomic<long> ok{0}, failed{0};
  std::atomic<long> actions[128] = {};
  std::string first_error;
};

class Worker {
 public:
  Worker(const Options& o, const std::vector<Message>& corpus, Stats& st)
      : o_(o), corpus_(corpus), st_(st) {}

  void run(std::atomic<long>& budget, std::atomic<long>& seq) {
    while (budget.fetch_sub(o_.per_conn) > 0) {
      try {
        session(seq);
      } catch (const std::exception& e) {
        st_.failed += 1;
        std::lock_guard lk(st_.mu);
        if (st_.first_error.empty()) st_.first_error = e.what();
      }
    }
    std::lock_guard lk(st_.mu);
    for (int s = 0; s < S_N; ++s) st_.lat[s].insert(st_.lat[s].end(), lat_[s].begin(), lat_[s].end());
  }

 private:
  // Sends what is queued; waits for a reply unless the step is no-reply.
  char step(Conn& c, Stage s, bool no_reply) {
    if (o_.pace_ms && (s == S_HELO || s == S_MAIL || s == S_RCPT || s == S_DATA || s == S_EOM))
      std::this_thread::sleep_for(std::chrono::milliseconds(o_.pace_ms));
    auto t0 = Clock::now();
    c.flush();
    char r = 'c';
    if (!no_reply) r = c.await_final();
    lat_[s].push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    return r;
  }

  void session(std::atomic<long>& seq) {
    Conn c(o_);
    c.queue('O', pack3(6, ALL_ACTIONS, ALL_STEPS));
    c.flush();
    auto [cmd, data] = c.read();
    if (cmd != 'O' || data.size() < 12) throw std::runtime_error("bad negotiate reply");
    uint32_t p = ntohl(*reinterpret_cast<const uint32_t*>(data.data() + 8));

    if (!(p & NOCONNECT)) {
      c.queue('D', "C" + z({"j", "mx.bench.test", "{daemon_name}", "smtpd", "{daemon_addr}",
                            "127.0.0.1", "{client_addr}", o_.client_ip, "{client_name}",
                            o_.client_name, "{client_ptr}", o_.client_name, "_",
                            o_.client_name + " [" + o_.client_ip + "]"}));
      bool v6 = o_.client_ip.find(':') != std::string::npos;
      std::string body = o_.client_name + '\0' + (v6 ? '6' : '4');
      uint16_t port = htons(25000);
      body.append(reinterpret_cast<const char*>(&port), 2);
      body += o_.client_ip + '\0';
      c.queue('C', body);
      if (expect_continue(step(c, S_CONN, p & NR_CONN))) return;
    }
    if (!(p & NOHELO)) {
      c.queue('H', z({o_.helo}));
      if (expect_continue(step(c, S_HELO, p & NR_HELO))) return;
    }
    for (int m = 0; m < o_.per_conn; ++m) {
      long n = seq++;  // corpus in turn over all connections
      const Message& msg = corpus_[static_cast<size_t>(n) % corpus_.size()];
      std::string qid = "Q" + std::to_string(n + 1);
      if (!(p & NOMAIL)) {
        c.queue('D', "M" + z({"i", qid, "{mail_addr}", o_.from}));
        c.queue('M', z({"<" + o_.from + ">"}));
        if (expect_continue(step(c, S_MAIL, p & NR_MAIL))) continue;
      }
      if (!(p & NORCPT)) {
        c.queue('D', "R" + z({"{rcpt_addr}", o_.rcpt}));
        c.queue('R', z({"<" + o_.rcpt + ">"}));
        if (expect_continue(step(c, S_RCPT, p & NR_RCPT))) continue;
      }
      if (!(p & NODATA)) {
        c.queue('D', "T" + z({"i", qid}));
        c.queue('T');
        if (expect_continue(step(c, S_DATA, p & NR_DATA))) continue;
      }
      if (!(p & NOHDRS)) {
        bool aborted = false;
        for (auto& [n, v] : msg.headers) {
          c.queue('L', z({n, v}));
          if (expect_continue(step(c, S_HDRS, p & NR_HDR))) { aborted = true; break; }
        }
        if (aborted) continue;
      }
      if (!(p & NOEOH)) {
        c.queue('N');
        if (expect_continue(step(c, S_EOH, p & NR_EOH))) continue;
      }
      if (!(p & NOBODY)) {
        for (size_t off = 0; off < msg.body.size(); off += 65535) {
          c.queue('B', msg.body.substr(off, 65535));
          char r = step(c, S_BODY, p & NR_BODY);
          if (r == 's') break;  // SMFIS_SKIP: the filter needs no more body
          if (r != 'c') throw std::runtime_error(std::string("body reply '") + r + "'");
        }
      }
      c.queue('D', "E" + z({"i", qid}));
      c.queue('E');
      char final = step(c, S_EOM, false);
      if (!std::strchr("acrtyd", final))
        throw std::runtime_error(std::string("eom reply '") + final + "'");
      st_.actions[static_cast<unsigned char>(final) & 127] += 1;
      st_.ok += 1;
    }
    c.queue('Q');
    c.flush();
  }

  // true when the filter ended the transaction early (not counted as ok).
  bool expect_continue(char r) {
    if (r == 'c') return false;
    if (std::strchr("artyd", r)) {
      st_.actions[static_cast<unsigned char>(r) & 127] += 1;
      st_.ok += 1;
      return true;
    }
    throw std::runtime_error(std::string("unexpected reply '") + r + "'");
  }

  static std::string pack3(uint32_t a, uint32_t b, uint32_t c) {
    uint32_t v[3] = {htonl(a), htonl(b), htonl(c)};
    return std::string(reinterpret_cast<const char*>(v), sizeof v);
  }

  const Options& o_;
  const std::vector<Message>& corpus_;
  Stats& st_;
  std::vector<double> lat_[S_N];
};

double pct(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error("option " + a + " needs a value");
      return argv[++i];
    };
    if (a == "-p") o.port = std::stoi(next());
    else if (a == "-H") o.host = next();
    else if (a == "-c") o.conns = std::stoi(next());
    else if (a == "-m") o.per_conn = std::stoi(next());
    else if (a == "-n") o.total = std::stoi(next());
    else if (a == "-i") o.client_ip = next();
    else if (a == "-N") o.client_name = next();
    else if (a == "-h") o.helo = next();
    else if (a == "-f") o.from = next();
    else if (a == "-r") o.rcpt = next();
    else if (a == "--json") o.json = true;
    else if (a == "--pace") o.pace_ms = std::stoi(next());
    else if (!a.empty() && a[0] == '-') throw std::runtime_error("unknown option " + a);
    else o.files.push_back(a);
  }
  if (o.port <= 0 || o.files.empty() || o.conns < 1 || o.per_conn < 1 || o.total < 1)
    throw std::runtime_error(
        "usage: miltergen -p PORT [-H HOST] [-c CONNS] [-m MSGS_PER_CONN] [-n TOTAL] "
        "[-i CLIENT_IP] [-N CLIENT_NAME] [-h HELO] [-f FROM] [-r RCPT] [--pace MS] [--json] "
        "FILE...");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options o = parse(argc, argv);
    std::vector<Message> corpus;
    for (auto& f : o.files) corpus.push_back(load_message(f));
    Stats st;
    std::atomic<long> budget{o.total};
    std::atomic<long> seq{0};
    std::vector<std::thread> threads;
    auto t0 = Clock::now();
    for (int i = 0; i < o.conns; ++i) {
      threads.emplace_back([&] { Worker(o, corpus, st).run(budget, seq); });
    }
    for (auto& t : threads) t.join();
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    double rate = static_cast<double>(st.ok.load()) / secs;
    if (o.json) {
      std::printf("{\"messages\": %ld, \"failed\": %ld, \"seconds\": %.3f, \"msg_per_s\": %.1f, "
                  "\"stages\": {", st.ok.load(), st.failed.load(), secs, rate);
      bool first = true;
      for (int s = 0; s < S_N; ++s) {
        if (st.lat[s].empty()) continue;
        std::printf("%s\"%s\": {\"n\": %zu, \"p50_us\": %.1f, \"p99_us\": %.1f}", first ? "" : ", ",
                    kStageNames[s], st.lat[s].size(), pct(st.lat[s], 0.5), pct(st.lat[s], 0.99));
        first = false;
      }
      std::printf("}, \"actions\": {");
      first = true;
      for (int a = 0; a < 128; ++a)
        if (st.actions[a]) {
          std::printf("%s\"%c\": %ld", first ? "" : ", ", a, st.actions[a].load());
          first = false;
        }
      std::printf("}}\n");
    } else {
      std::printf("%ld messages in %.3f s: %.1f msg/s, %ld failed\n", st.ok.load(), secs, rate,
                  st.failed.load());
      for (int s = 0; s < S_N; ++s)
        if (!st.lat[s].empty())
          std::printf("  %-8s n=%-7zu p50 %8.1f us  p99 %8.1f us\n", kStageNames[s],
                      st.lat[s].size(), pct(st.lat[s], 0.5), pct(st.lat[s], 0.99));
    }
    if (!st.first_error.empty()) std::fprintf(stderr, "miltergen: first error: %s\n", st.first_error.c_str());
    return st.failed ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "miltergen: %s\n", e.what());
    return 2;
  }
}
