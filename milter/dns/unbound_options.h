// unbound_options.h — private to milter/dns: builds the fully configured
// libunbound context the resolver runs on (forwarders, local zones off,
// timeout handling, async mode). See unbound_options.cc for each option.
//
// Bad input: make_ub_ctx() throws std::runtime_error naming the bad server
// string or the option libunbound refused.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "legit/dns.h"

struct ub_ctx;

namespace legit::dns_detail {

struct UbCtxDelete {
  void operator()(ub_ctx* c) const;
};
using UbCtxPtr = std::unique_ptr<ub_ctx, UbCtxDelete>;

UbCtxPtr make_ub_ctx(const ResolverOptions& opts);

// unbound's infra-cache-min-rtt for a dns-timeout: 60 % of it (at least
// unbound's default of 50 ms), so a slow answer is heard on the first try.
long long min_rtt_ms(std::chrono::milliseconds timeout);

// "IP" or "IP@port" (IPv4 or IPv6, port 1..65535) in the form
// ub_ctx_set_fwd takes; nullopt if the string is not one.
std::optional<std::string> forwarder(std::string_view server);

// Every zone unbound answers locally by default (RFC 6761/6303/6598/8375,
// AS112): each is overridden by an empty `transparent` zone so queries
// reach the forwarders.
std::vector<std::string> default_local_zones();

}  // namespace legit::dns_detail
