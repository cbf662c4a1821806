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
#include <string>
#include <string_view>
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
class DnsLookup {
 public:
  DnsLookup() = default;
  explicit DnsLookup(std::shared_future<DnsAnswer> f) : f_(std::move(f)) {}
  static DnsLookup ready(DnsAnswer a);

  bool valid() const { return f_.valid(); }
  bool is_ready() const;
  // Blocks until answered. The resolver guarantees an answer by its deadline.
  DnsAnswer get() const;

 private:
  std::shared_future<DnsAnswer> f_;
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  // Starts a lookup now and returns immediately. `name` may carry a trailing
  // dot; an invalid name yields a ready `malformed` answer.
  virtual DnsLookup lookup(std::string_view name, DnsType type) = 0;

  // PTR lookup of an address (in-addr.arpa / ip6.arpa).
  DnsLookup reverse(const IpAddress& ip) { return lookup(ip.reverse_name(), DnsType::PTR); }
};

struct ResolverOptions {
  // "IP" or "IP@port"; empty = the system's /etc/resolv.conf.
  std::vector<std::string> servers;
  std::chrono::milliseconds timeout{5000};  // hard deadline per lookup
};

// The production resolver (libunbound async + ldns). Throws std::runtime_error
// at construction, naming the bad server, if it cannot be configured.
std::unique_ptr<Resolver> make_unbound_resolver(const ResolverOptions& opts);

}  // namespace legit
