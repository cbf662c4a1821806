// dns.h — the one resolver interface every lookup goes through.
//
// A lookup is started with Resolver::lookup() and returns at once with a
// DnsLookup handle (future-like); get() blocks until the answer is in or the
// resolver's per-lookup deadline has passed. An answer always has one of five
// outcomes, kept apart as Postfix keeps DNS_RETRY and DNS_NOTFOUND apart:
//   ok         records present (records non-empty)
//   nxdomain   the name does not exist (RCODE 3)
//   nodata     the name exists, no records of that type
//   temperror  timeout, SERVFAIL, REFUSED, network error: never evidence
//   malformed  the query name is invalid, or the answer could not be parsed
// Nothing here throws on bad input.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "legit/ip.h"

namespace legit {

enum class DnsType : std::uint16_t {
  A = 1, NS = 2, CNAME = 5, PTR = 12, MX = 15, TXT = 16, AAAA = 28, SPF = 99
};
const char* to_string(DnsType t);

enum class DnsStatus { ok, nxdomain, nodata, temperror, malformed };
const char* to_string(DnsStatus s);

struct DnsAnswer {
  DnsStatus status = DnsStatus::temperror;
  // Records of the asked type only, in answer order, as text:
  //   A, AAAA         address ("192.0.2.1", "2001:db8::1")
  //   PTR, CNAME, NS  lower-case name without the trailing dot
  //   MX              "<preference> <exchange>" (exchange lower-case, no dot;
  //                   "0 " + empty exchange for a null MX "0 .")
  //   TXT, SPF        the character-strings of one record concatenated
  std::vector<std::string> records;
  std::uint32_t ttl = 0;
  std::string why;  // for temperror/malformed: "timeout", "SERVFAIL", ...

  bool ok() const { return status == DnsStatus::ok; }
  static DnsAnswer of(DnsStatus s, std::string why = {}) {
    DnsAnswer a;
    a.status = s;
    a.why = std::move(why);
    return a;
  }
};

// Future-like handle of one lookup. Copyable; get() may be called many times
// and from any thread. A default-constructed handle answers temperror.
// A handle made from an answer already in hand (a cache hit) holds it
// directly: no promise, no lock, no syscall.
class DnsLookup {
 public:
  DnsLookup() = default;
  explicit DnsLookup(std::shared_future<DnsAnswer> f) : f_(std::move(f)) {}
  explicit DnsLookup(std::shared_ptr<const DnsAnswer> a) : answer_(std::move(a)) {}
  static DnsLookup ready(DnsAnswer a);

  bool valid() const { return answer_ != nullptr || f_.valid(); }
  bool is_ready() const;
  // Blocks until answered. The resolver guarantees an answer by its deadline.
  DnsAnswer get() const;

 private:
  std::shared_future<DnsAnswer> f_;
  std::shared_ptr<const DnsAnswer> answer_;
};

// What the resolver has done so far (read at any time, from any thread;
// each field is a consistent count on its own). For metrics and -t.
struct ResolverStats {
  // Answer cache (answer_cache.h).
  std::uint64_t cache_hits = 0;       // answered from the cache
  std::uint64_t cache_misses = 0;     // went to libunbound
  std::uint64_t cache_joined = 0;     // joined an identical lookup in flight
  std::uint64_t cache_evictions = 0;  // live entries pushed out by the size bound
  std::uint64_t cache_entries = 0;    // answers held now
  // Health probe (health.h).
  bool healthy = true;                // false while no canary answers
  std::string health_why;             // why it is unhealthy ("" when healthy)
  std::uint64_t health_probes = 0;    // probe rounds run
  std::uint64_t failed_fast = 0;      // lookups answered temperror at once while unhealthy
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  // Starts a lookup now and returns immediately. `name` may carry a trailing
  // dot; an invalid name yields a ready `malformed` answer.
  virtual DnsLookup lookup(std::string_view name, DnsType type) = 0;

  // Counters and health (a resolver without cache or probe: all zero/healthy).
  virtual ResolverStats stats() const { return {}; }

  // PTR lookup of an address (in-addr.arpa / ip6.arpa).
  DnsLookup reverse(const IpAddress& ip) { return lookup(ip.reverse_name(), DnsType::PTR); }
};

struct ResolverOptions {
  // "IP" or "IP@port"; empty = the system's /etc/resolv.conf.
  std::vector<std::string> servers;
  std::chrono::milliseconds timeout{5000};  // hard deadline per lookup
  // Answers held by the answer cache (0 = no cache).
  std::size_t cache_entries = 50000;
  // Health probe: canary queries "NAME" (type NS) or "NAME/TYPE" asked at
  // start and every probe_interval (more often while unhealthy). Empty = no
  // probe, the resolver is always taken as healthy.
  std::vector<std::string> canaries;
  std::chrono::milliseconds probe_interval{60000};
};

// One dns-canary item, "NAME" (type NS) or "NAME/TYPE" (A AAAA MX NS TXT
// PTR; "." is the root): the query name in presentation form and the type,
// or nullopt and *why ("is not a DNS name (empty label)").
std::optional<std::pair<std::string, DnsType>> parse_canary(std::string_view item,
                                                            std::string* why);

class Config;
// The resolver options a Config asks for (dns-server, dns-timeout,
// dns-cache-size, dns-canary; "auto" canaries = the root's NS and the NS of
// the authserv-id's registrable domain). A new resolver can be built from a
// reloaded Config with it.
ResolverOptions resolver_options(const Config& cfg);

// The production resolver: an answer cache (answer_cache.h) with a health
// probe (health.h) in front of libunbound async + ldns. Throws
// std::runtime_error at construction, naming the bad server, if it cannot
// be configured. The first health probe has run when it returns.
std::unique_ptr<Resolver> make_unbound_resolver(const ResolverOptions& opts);

}  // namespace legit
