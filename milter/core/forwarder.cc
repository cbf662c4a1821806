// forwarder.cc — the `forwarders` option (forwarder.h).
#include "legit/forwarder.h"

#include "names.h"

namespace legit {

bool is_forwarder(Session& s) {
  const auto& entries = s.config.list("forwarders");
  if (entries.empty() || !s.conn.ip) return false;
  for (const auto& e : entries) {
    if (e.find('/') != std::string::npos || IpAddress::parse(e)) {
      auto net = Network::parse(e);
      if (net && net->contains(*s.conn.ip)) return true;
      if (net) continue;
    }
    if (!s.rdns.started()) continue;
    std::string d = normalize_name(e.front() == '.' ? e.substr(1) : e);
    if (d.empty()) continue;
    for (const auto& name : s.rdns.result().confirmed)
      if (in_domain(name, d)) return true;
  }
  return false;
}

}  // namespace legit
