// upstream.h — private to milter/dns: what sits behind the answer cache (the
// libunbound loop of unbound_resolver.cc; a fake in unit tests).
//
// start() begins one lookup of a name already checked and put in
// presentation form (answer_parse.h query_name) and calls `done` exactly
// once: with the answer, with temperror "timeout" at `deadline`, or with
// temperror "shutdown" when the upstream is destroyed first. `done` runs on
// the upstream's own thread (or on the caller's, when the lookup fails at
// once), must not block and must not throw.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "legit/dns.h"

namespace legit::dns_detail {

using Clock = std::chrono::steady_clock;

class Upstream {
 public:
  using Done = std::function<void(DnsAnswer)>;
  virtual ~Upstream() = default;
  virtual void start(std::string qname, DnsType type, Clock::time_point deadline, Done done) = 0;
};

// libunbound async behind one loop thread. Throws std::runtime_error (bad
// server, refused option) like make_unbound_resolver.
std::unique_ptr<Upstream> make_unbound_upstream(const ResolverOptions& opts);

}  // namespace legit::dns_detail

namespace legit {
// The caching resolver in front of any upstream (unit tests pass a fake).
std::unique_ptr<Resolver> make_caching_resolver(std::unique_ptr<dns_detail::Upstream> up,
                                                const ResolverOptions& opts);
}  // namespace legit
