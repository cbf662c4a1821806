// unbound_options.cc — creates and fully configures the ub_ctx for the
// resolver, on the constructing thread (libunbound's config parser is not
// thread-safe), before any lookup runs.
//
// Bad input: make_ub_ctx() throws std::runtime_error naming a server string
// that is not "IP" / "IP@port", or an option libunbound refused.
#include "unbound_options.h"

#include <unbound.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "legit/ip.h"

namespace legit::dns_detail {
namespace {

// Options and why they are set.
const std::pair<const char*, const char*> kOptions[] = {
    // The forwarders may well be a resolver on 127.0.0.1 (and tests are).
    {"do-not-query-localhost:", "no"},
    // Private (RFC 1918), link-local, shared (RFC 6598) and documentation
    // reverse zones are AS112 zones; let the site's resolvers answer them.
    {"unblock-lan-zones:", "yes"},
    {"insecure-lan-zones:", "yes"},
    // A forwarder that times out on some names must stay usable for the
    // others. Cancelled queries keep being retried inside unbound, each
    // retry doubling the server's timeout; at infra-cache-max-rtt (keep the
    // default 120 s: a lower cap declares the server dead sooner, measured)
    // unbound answers SERVFAIL for every name without asking. Measured with
    // 16 names timing out in a row: defaults then SERVFAIL the next names;
    // infra-host-ttl 0 (forget RTT/backoff state within a second) keeps the
    // server usable, and keep-probing still tries a server marked down.
    {"infra-keep-probing:", "yes"},
    {"infra-host-ttl:", "0"},
    // Never answer from expired data; the milter wants fresh evidence.
    {"serve-expired:", "no"},
    // Forwarding only: no need for minimised queries to the forwarder.
    {"qname-minimisation:", "no"},
};

void set_option(ub_ctx* ctx, const char* opt, const std::string& value) {
  int err = ub_ctx_set_option(ctx, opt, value.c_str());
  if (err != 0)
    throw std::runtime_error(std::string("dns: unbound option ") + opt + " " + value + ": " +
                             ub_strerror(err));
}

void set_forwarders(ub_ctx* ctx, const std::vector<std::string>& servers) {
  if (servers.empty()) {
    int err = ub_ctx_resolvconf(ctx, "/etc/resolv.conf");
    if (err != 0)
      throw std::runtime_error(std::string("dns: cannot use /etc/resolv.conf: ") +
                               ub_strerror(err));
    return;
  }
  for (const auto& s : servers) {
    auto fwd = forwarder(s);
    if (!fwd || ub_ctx_set_fwd(ctx, fwd->c_str()) != 0)
      throw std::runtime_error("dns: bad DNS server \"" + s.substr(0, 100) +
                               "\" (want IP or IP@port)");
  }
}

}  // namespace

long long min_rtt_ms(std::chrono::milliseconds timeout) {
  return std::max<long long>(50, timeout.count() * 6 / 10);
}

void UbCtxDelete::operator()(ub_ctx* c) const { ub_ctx_delete(c); }

std::optional<std::string> forwarder(std::string_view server) {
  std::string_view ip = server;
  auto at = server.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view port = server.substr(at + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535)
      return std::nullopt;
    ip = server.substr(0, at);
  }
  if (ip.rfind("IPv6:", 0) == 0) return std::nullopt;  // SMTP literal, not an address
  auto addr = IpAddress::parse(ip);
  if (!addr) return std::nullopt;
  std::string out = addr->to_string();
  if (at != std::string_view::npos) out += std::string(server.substr(at));
  return out;
}

std::vector<std::string> default_local_zones() {
  std::vector<std::string> zones = {
      "localhost.", "127.in-addr.arpa.", "onion.", "test.", "invalid.", "home.arpa.",
      "resolver.arpa.", "service.arpa.", "local.", "10.in-addr.arpa.", "0.in-addr.arpa.",
      "254.169.in-addr.arpa.", "168.192.in-addr.arpa.", "2.0.192.in-addr.arpa.",
      "100.51.198.in-addr.arpa.", "113.0.203.in-addr.arpa.", "255.255.255.255.in-addr.arpa.",
      "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
      "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
      "d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.",
      "b.e.f.ip6.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa."};
  for (int i = 16; i <= 31; ++i) zones.push_back(std::to_string(i) + ".172.in-addr.arpa.");
  for (int i = 64; i <= 127; ++i) zones.push_back(std::to_string(i) + ".100.in-addr.arpa.");
  return zones;
}

UbCtxPtr make_ub_ctx(const ResolverOptions& opts) {
  UbCtxPtr ctx(ub_ctx_create());
  if (!ctx) throw std::runtime_error("dns: ub_ctx_create failed");
  for (const auto& [opt, value] : kOptions) set_option(ctx.get(), opt, value);
  // "nodefault" set through ub_ctx_set_option is ignored by libunbound 1.17
  // (measured: test. stayed NXDOMAIN); an empty transparent zone overrides
  // the default one and, holding no data, sends every query upstream.
  for (const auto& zone : default_local_zones())
    set_option(ctx.get(), "local-zone:", zone + " transparent");
  // Retransmits sized to dns-timeout (issue 9 item 5): unbound's first try
  // waits its RTT estimate (376 ms for a server it does not know), then
  // retries with a new query ID and drops late replies to the earlier try,
  // doubling the timeout and finally marking the server down: a resolver
  // answering after 1.2 s or 2.5 s was never heard (measured: with 2.5 s,
  // after three timeouts every later lookup timed out, 58 queries on the
  // wire for 6 names). A floor of 60 % of dns-timeout on the retransmit
  // timeout makes the first try wait long enough for any answer the
  // deadline could still use, and leaves 40 % of it for one retry when a
  // packet was lost (measured: answers after 0.3, 1.2, 2.5 s with
  // dns-timeout 5 all arrive, one query each). A dead server is given up at
  // dns-timeout by our own deadline (unbound_resolver.cc).
  set_option(ctx.get(), "infra-cache-min-rtt:", std::to_string(min_rtt_ms(opts.timeout)));
  set_forwarders(ctx.get(), opts.servers);
  // Threads, not a forked process, answer async queries; callbacks run in
  // ub_process() on the caller's loop thread.
  int err = ub_ctx_async(ctx.get(), 1);
  if (err != 0) throw std::runtime_error(std::string("dns: ub_ctx_async: ") + ub_strerror(err));
  return ctx;
}

}  // namespace legit::dns_detail
