// rdns.h — the client's reverse DNS, looked up once per connection and shared
// by every check that needs it (iprev, ptr, helo).
//
// start() sends the PTR query at connect. advance() (called by the engine at
// each later stage) starts the forward A/AAAA lookups of the PTR names as soon
// as the PTR answer is in, without blocking. result() blocks until everything
// is answered (each lookup has the resolver's deadline) and caches the outcome.
// Names from DNS are hostile: invalid ones are dropped and counted, never
// trusted. At most kMaxNames PTR names are forward-checked (RFC 8601 §3 / RFC
// 7208 §5.5 use the same limit of 10).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "legit/dns.h"

namespace legit {

struct RdnsResult {
  DnsStatus ptr_status = DnsStatus::temperror;  // status of the PTR lookup
  std::string ptr_why;                          // resolver's reason on temperror
  std::vector<std::string> names;      // valid PTR names (lower-case, no dot)
  std::vector<std::string> confirmed;  // names whose A/AAAA contain the IP
  bool forward_temperror = false;      // a forward lookup failed temporarily
  int invalid_names = 0;               // PTR targets that are not host names
};

class ReverseDns {
 public:
  static constexpr std::size_t kMaxNames = 10;

  void start(Resolver& r, const IpAddress& ip);
  void advance();          // non-blocking: start forward lookups if PTR is in
  const RdnsResult& result();  // blocking, cached
  // Non-blocking: true when result() would not wait (everything answered,
  // or nothing was started). Call advance() first: a PTR answer that is in
  // but not yet advanced still has its forward lookups to start.
  bool ready() const;
  bool started() const { return resolver_ != nullptr; }
  // The first confirmed name, else the first PTR name, else "".
  std::string best_name();

 private:
  void start_forward(const DnsAnswer& ptr);

  Resolver* resolver_ = nullptr;
  std::optional<IpAddress> ip_;
  DnsLookup ptr_;
  std::optional<DnsAnswer> ptr_answer_;
  std::vector<std::pair<std::string, DnsLookup>> forward_;
  std::optional<RdnsResult> result_;
};

}  // namespace legit
