// resolver_options.cc — the ResolverOptions a Config asks for (dns.h), so the
// milter at start (and a reload) builds its resolver from one place.
//
// dns-canary "auto" = the root's NS and the NS of the authserv-id's
// registrable domain (none when it has none); "none" = no health probe.
// Bad input: none (the options were checked when the Config was parsed).
#include <algorithm>

#include "legit/config.h"
#include "legit/dns.h"
#include "legit/domain.h"

namespace legit {

ResolverOptions resolver_options(const Config& cfg) {
  ResolverOptions o;
  o.servers = cfg.dns_servers;
  o.timeout = std::chrono::milliseconds(static_cast<long long>(cfg.dns_timeout * 1000));
  o.cache_entries = static_cast<std::size_t>(std::max(0.0, cfg.num("dns-cache-size")));
  o.probe_interval =
      std::chrono::milliseconds(static_cast<long long>(cfg.num("dns-probe-interval") * 1000));
  for (const auto& item : cfg.list("dns-canary")) {
    if (item == "none") continue;
    if (item != "auto") {
      o.canaries.push_back(item);
      continue;
    }
    o.canaries.push_back(".");
    std::string org = registrable_domain(cfg.authserv_id);
    if (!org.empty()) o.canaries.push_back(org);
  }
  if (std::find(cfg.list("dns-canary").begin(), cfg.list("dns-canary").end(), "none") !=
      cfg.list("dns-canary").end())
    o.canaries.clear();
  return o;
}

}  // namespace legit
