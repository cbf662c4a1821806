// dig_cli.cc — `legit-milter dig` (see dig_cli.h): asks the unbound resolver
// for each NAME/TYPE pair and prints the DnsAnswer, one line per query, so
// scripts can check the resolver end to end against a test DNS server.
//
// Bad input: an unknown option, a missing value, a bad --dns-timeout or a
// TYPE before any NAME prints usage and returns 2; a bad server string
// returns 2 with the resolver's message. Record bytes outside printable
// ASCII are printed as \DDD, so hostile TXT data cannot garble the output.
#include "dig_cli.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "legit/dns.h"

namespace legit {
namespace {

struct Query {
  std::string name;
  DnsType type;
};

struct DigArgs {
  ResolverOptions opts;
  bool parallel = false;
  bool timing = false;
  bool stats = false;
  long repeat = 0;
  std::vector<Query> queries;
};

std::optional<DnsType> parse_type(std::string_view s) {
  for (DnsType t : {DnsType::A, DnsType::NS, DnsType::CNAME, DnsType::PTR, DnsType::MX,
                    DnsType::TXT, DnsType::AAAA, DnsType::SPF})
    if (s == to_string(t)) return t;
  return std::nullopt;
}

const char* kDigUsage =
    "usage: legit-milter dig [--dns-server IP[@PORT]]... [--dns-timeout SEC] [--parallel] "
    "[--timing] [--repeat N] [--stats] NAME TYPE... [NAME TYPE...]...\n";

int usage(const char* why) {
  std::fprintf(stderr, "legit-milter dig: %s\n%s", why, kDigUsage);
  return 2;
}

// `dig --help`: what it does, on stdout.
void help() {
  std::printf("%s\nAsks legit-milter's own resolver (libunbound, as the milter uses it) and prints\n"
              "one line per query: NAME TYPE STATUS ttl=N [why=WHY] [record|record...].\n"
              "TYPE: A AAAA MX TXT PTR CNAME NS SPF (upper case).\n\n"
              "  --dns-server IP[@PORT]  ask this server (repeatable; default: the system's)\n"
              "  --dns-timeout SEC       deadline per lookup (default 5)\n"
              "  --parallel              start every lookup before waiting for the first\n"
              "  --timing                print each lookup's time on stderr\n"
              "  --repeat N              ask every query N more times without printing\n"
              "  --stats                 print the answer cache's counters\n",
              kDigUsage);
}

// Returns nullopt (after printing why) on a usage error.
std::optional<DigArgs> parse_args(int argc, char** argv) {
  DigArgs a;
  std::string name;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--dns-server" && has_value) {
      a.opts.servers.emplace_back(argv[++i]);
    } else if (arg == "--dns-timeout" && has_value) {
      char* end = nullptr;
      double sec = std::strtod(argv[++i], &end);
      if (end == argv[i] || *end != '\0' || !(sec > 0 && sec <= 3600)) {
        usage("bad --dns-timeout");
        return std::nullopt;
      }
      a.opts.timeout = std::chrono::milliseconds(static_cast<long>(sec * 1000));
    } else if (arg == "--parallel") {
      a.parallel = true;
    } else if (arg == "--timing") {
      a.timing = true;
    } else if (arg == "--stats") {
      a.stats = true;
    } else if (arg == "--repeat" && has_value) {
      char* end = nullptr;
      a.repeat = std::strtol(argv[++i], &end, 10);
      if (end == argv[i] || *end != '\0' || a.repeat < 0 || a.repeat > 10000000) {
        usage("bad --repeat");
        return std::nullopt;
      }
    } else if (arg.rfind("--", 0) == 0) {
      usage("unknown option or missing value");
      return std::nullopt;
    } else if (auto t = parse_type(arg)) {
      if (name.empty()) {
        usage("TYPE before NAME");
        return std::nullopt;
      }
      a.queries.push_back({name, *t});
    } else {
      name = std::string(arg);
    }
  }
  if (a.queries.empty()) {
    usage("nothing to look up");
    return std::nullopt;
  }
  return a;
}

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(c));
      out += buf;
    }
  }
  return out;
}

void print(const Query& q, const DnsAnswer& a) {
  std::string line = printable(q.name) + " " + to_string(q.type) + " " + to_string(a.status) +
                     " ttl=" + std::to_string(a.ttl);
  if (!a.why.empty()) line += " why=" + printable(a.why);
  for (std::size_t i = 0; i < a.records.size(); ++i)
    line += (i == 0 ? " " : "|") + printable(a.records[i]);
  std::printf("%s\n", line.c_str());
}

void run_queries(Resolver& r, const DigArgs& a) {
  using Clock = std::chrono::steady_clock;
  std::vector<DnsLookup> started;
  auto t0 = Clock::now();
  if (a.parallel)
    for (const auto& q : a.queries) started.push_back(r.lookup(q.name, q.type));
  for (std::size_t i = 0; i < a.queries.size(); ++i) {
    auto t = Clock::now();
    DnsAnswer ans = a.parallel ? started[i].get() : r.lookup(a.queries[i].name, a.queries[i].type).get();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count();
    print(a.queries[i], ans);
    if (a.timing) std::fprintf(stderr, "# %s %s %lld us\n", printable(a.queries[i].name).c_str(),
                               to_string(a.queries[i].type), static_cast<long long>(us));
  }
  std::fflush(stdout);
  auto total = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
  if (a.timing)
    std::fprintf(stderr, "# %zu lookups in %lld us\n", a.queries.size(),
                 static_cast<long long>(total));
}

// --repeat: the queries again, N rounds, nothing printed (and no syscall of
// ours) inside the loop; then the median with --timing.
void repeat_queries(Resolver& r, const DigArgs& a) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> ns;
  ns.reserve(static_cast<std::size_t>(a.repeat) * a.queries.size());
  std::size_t ok = 0;
  for (long i = 0; i < a.repeat; ++i) {
    for (const auto& q : a.queries) {
      auto t = Clock::now();
      DnsAnswer ans = r.lookup(q.name, q.type).get();
      ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t).count());
      ok += ans.ok();
    }
  }
  if (!a.timing || ns.empty()) return;
  std::nth_element(ns.begin(), ns.begin() + ns.size() / 2, ns.end());
  std::fprintf(stderr, "# repeat: %zu lookups (%zu ok), median %.0f ns\n", ns.size(), ok,
               ns[ns.size() / 2]);
}

}  // namespace

int run_dig(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") {
      help();
      return 0;
    }
  auto args = parse_args(argc, argv);
  if (!args) return 2;
  std::unique_ptr<Resolver> resolver;
  try {
    resolver = make_unbound_resolver(args->opts);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "legit-milter dig: %s\n", e.what());
    return 2;
  }
  run_queries(*resolver, *args);
  repeat_queries(*resolver, *args);
  if (args->stats) {
    ResolverStats st = resolver->stats();
    std::printf("# cache hits=%llu misses=%llu joined=%llu evictions=%llu entries=%llu\n",
                static_cast<unsigned long long>(st.cache_hits),
                static_cast<unsigned long long>(st.cache_misses),
                static_cast<unsigned long long>(st.cache_joined),
                static_cast<unsigned long long>(st.cache_evictions),
                static_cast<unsigned long long>(st.cache_entries));
  }
  return 0;
}

}  // namespace legit
