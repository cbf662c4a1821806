// bench/memory_cost.cc — what the sender memory's checks cost per message,
// measured alone in one process: the correspondent, history and greylist
// checks and the recorder (with the memory writer's thread and, for Redis,
// the local copy's follower) run through the real Engine/Dialogue on a mix
// of messages, against the same Dialogue with `memory = none`.
//
// The end-to-end bench (bench/memory.sh) measures the whole milter under
// the load generator: its ratio moves by a few percent from run to run
// with the machine's load, more than the memory's whole cost. This one
// counts process CPU time (descheduled time does not count) around the
// memory's own work only, so its figure is steady to a few tenths of a µs.
//
// The mix (deterministic, seeded by the message number): 3,000 client /24s,
// 20,000 senders in 2,000 domains, 50 recipients; 80 % score well with an
// SPF pass, 15 % in the greylisting band, 5 % quarantined; 1 in 5 refers to
// an earlier message (References); 1 in 50 is our authenticated user's
// outbound mail (recorded as correspondents). Most keys are cold, as on a
// real MX: the bench in bench/memory.sh repeats one sender.
//
// usage: memory_cost MESSAGES ROUNDS SPEC...   (SPEC: none, lmdb:/path,
// redis://..., followed by ,option=value for that memory's options, e.g.
// redis://127.0.0.1:6379/2,memory-replica=no; each SPEC runs once per round, in turn; medians printed, and
// each SPEC's median difference from `none` in the same round).
// Bad input: an unopenable SPEC is named and the bench exits 1.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../tests/unit/fake_resolver.h"
#include "legit/config.h"
#include "legit/engine.h"
#include "legit/memory.h"

namespace {

using legit::Finding;
using legit::Session;

// The other checks' verdict, scripted: a score word and, for "good", the
// SPF pass the history check's authenticated domain needs.
struct Scripted : legit::Check {
  std::vector<Finding> finish(Session& s) override {
    const std::string& from = s.msg.mail_from;
    unsigned k = static_cast<unsigned>(std::hash<std::string>{}(from) % 100);
    if (k < 80) {
      s.msg.auth.spf_mailfrom = "pass";
      s.msg.auth.spf_mailfrom_domain = from.substr(from.find('@') + 1);
      return {{"score", "good", "scripted", {}}};
    }
    return {{"score", k < 95 ? "doubt" : "bad", "scripted", {}}};
  }
};
const legit::CheckInfo kScripted{"score", "scripted", {}, {}, [](const legit::Config&) {
                                   return std::make_unique<Scripted>();
                                 }};

std::vector<const legit::CheckInfo*> checks() {
  std::vector<const legit::CheckInfo*> out{&kScripted};
  for (const auto& c : legit::check_registry())
    if (c.name == "correspondent" || c.name == "history" || c.name == "greylist") out.push_back(&c);
  return out;
}

double cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// One message of the mix, number i.
void send(const legit::Engine& engine, unsigned long i) {
  unsigned long r = i * 2654435761UL;
  std::string ip = "100.64." + std::to_string(r % 3000 / 250 + 1) + "." + std::to_string(r % 250 + 1);
  unsigned long who = (r >> 7) % 20000;
  std::string from = "user" + std::to_string(who) + "@sender" + std::to_string(who % 2000) + ".example";
  std::string rcpt = "u" + std::to_string((r >> 3) % 50) + "@our.example";
  bool outbound = i % 50 == 0;
  auto d = engine.open();
  d->server("mx.our.example", "192.0.2.1");
  d->connect(outbound ? "client.our.example" : "mail.sender.example", ip);
  d->helo("mail.sender.example");
  d->mail_from(outbound ? rcpt : from, outbound ? "u1" : "");
  d->rcpt(outbound ? from : rcpt);
  d->header("From", outbound ? rcpt : from);
  d->header("To", outbound ? from : rcpt);
  d->header("Subject", "bench message " + std::to_string(i));
  d->header("Date", "Sun, 29 Nov 2026 11:00:00 +0000");
  d->header("Message-ID", "<" + std::to_string(i) + ".bench@" + (outbound ? "our.example>" : "sender.example>"));
  if (i % 5 == 0 && i >= 50) d->header("References", "<" + std::to_string(i / 50 * 50) + ".bench@our.example>");
  d->end_of_headers();
  d->body("Hello,\r\n\r\nthe bench body.\r\n");
  d->end_of_message("B" + std::to_string(i));
  d->close();
}

double run(const legit::Config& cfg, const std::string& spec, unsigned long first, unsigned long n) {
  legit::test::FakeResolver dns;
  legit::Engine engine(cfg, dns, checks());
  std::unique_ptr<legit::Memory> memory;
  if (spec != "none") {
    // "SPEC,option=value,...": options of that memory (memory-replica=no).
    std::map<std::string, std::string> opts;
    std::size_t comma = spec.find(',');
    opts["memory"] = spec.substr(0, comma);
    while (comma != std::string::npos) {
      std::size_t next = spec.find(',', comma + 1), eq = spec.find('=', comma);
      if (eq < next) opts[spec.substr(comma + 1, eq - comma - 1)] = spec.substr(eq + 1, next - eq - 1);
      comma = next;
    }
    std::string why;
    auto c = legit::config_from(opts, &why);
    if (c) memory = legit::open_memory(*c, true, &why, true);
    if (!memory) {
      std::fprintf(stderr, "memory_cost: cannot open %s: %s\n", spec.c_str(), why.c_str());
      std::exit(1);
    }
    engine.set_memory(memory.get());
    for (unsigned long i = 0; i < 1000; ++i) send(engine, first + i);  // warm: the secret, the copy
    memory->flush(5);
  }
  double t0 = cpu_ns();
  for (unsigned long i = 0; i < n; ++i) send(engine, first + 1000 + i);
  if (memory) memory->flush(5);
  return (cpu_ns() - t0) / static_cast<double>(n);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: memory_cost MESSAGES ROUNDS SPEC...\n");
    return 2;
  }
  unsigned long n = std::strtoul(argv[1], nullptr, 10);
  int rounds = std::atoi(argv[2]);
  std::vector<std::string> specs(argv + 3, argv + argc);
  if (n == 0 || rounds <= 0) {
    std::fprintf(stderr, "memory_cost: MESSAGES and ROUNDS must be positive\n");
    return 2;
  }
  std::string why;
  auto cfg = legit::config_from({{"greylist-below", "0"}, {"quarantine-below", "-4"}, {"reject-below", "-8"}}, &why);
  if (!cfg) {
    std::fprintf(stderr, "memory_cost: %s\n", why.c_str());
    return 2;
  }
  cfg->point_table["score.good"] = 3;
  cfg->point_table["score.doubt"] = -2;
  cfg->point_table["score.bad"] = -5;
  std::vector<std::vector<double>> ns(specs.size()), diff(specs.size());
  for (int round = 0; round < rounds; ++round) {
    double none = run(*cfg, "none", 0, n);
    for (std::size_t k = 0; k < specs.size(); ++k) {
      // Each round and store starts further on: new senders, as time passes.
      ns[k].push_back(run(*cfg, specs[k], static_cast<unsigned long>(round) * (n + 1000), n));
      diff[k].push_back(ns[k].back() - none);
    }
  }
  std::printf("%-40s %12s %14s\n", "memory", "ns/msg", "vs none ns/msg");
  for (std::size_t k = 0; k < specs.size(); ++k)
    std::printf("%-40s %12.0f %+14.0f\n", specs[k].c_str(), median(ns[k]), median(diff[k]));
  return 0;
}
