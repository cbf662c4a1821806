// us.cc — our names and addresses without configuration (us.h).
#include "legit/us.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "names.h"

namespace legit {

Us Us::of(const Session& s) {
  Us u;
  const Config& cfg = s.config;
  auto add = [&u](std::string_view n) {
    std::string v = normalize_name(n);
    if (!v.empty() && std::find(u.names_.begin(), u.names_.end(), v) == u.names_.end())
      u.names_.push_back(std::move(v));
  };
  add(cfg.hostname);
  add(cfg.authserv_id);
  add(s.conn.our_name);
  for (const auto& n : cfg.list("helo-our-names")) add(n);
  std::string bad;
  u.nets_ = parse_networks(cfg.list("helo-our-addresses"), &bad).value_or(std::vector<Network>{});
  if (auto ip = IpAddress::parse(s.conn.our_addr)) u.daemon_ = ip->unmapped();
  return u;
}

bool Us::name(std::string_view host) const {
  std::string n = normalize_name(host);
  return !n.empty() && std::find(names_.begin(), names_.end(), n) != names_.end();
}

bool Us::address(const IpAddress& ip) const {
  IpAddress a = ip.unmapped();
  return (daemon_ && *daemon_ == a) || in_networks(nets_, a);
}

std::vector<std::string> mx_hosts(const std::vector<std::string>& records) {
  std::vector<std::pair<long, std::string>> mx;
  for (const auto& r : records) {
    auto sp = r.find(' ');
    if (sp == std::string::npos || sp + 1 >= r.size()) continue;  // null MX or junk
    char* end = nullptr;
    long pref = std::strtol(r.c_str(), &end, 10);
    if (end != r.c_str() + sp) continue;
    std::string host = normalize_name(std::string_view(r).substr(sp + 1));
    if (!host.empty()) mx.emplace_back(pref, std::move(host));  // "0 ." is the null MX
  }
  std::stable_sort(mx.begin(), mx.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (auto& m : mx) out.push_back(std::move(m.second));
  return out;
}

std::string rcpt_domain(std::string_view rcpt) {
  if (rcpt.size() >= 2 && rcpt.front() == '<' && rcpt.back() == '>') rcpt = rcpt.substr(1, rcpt.size() - 2);
  auto at = rcpt.rfind('@');
  if (at == std::string_view::npos) return "";
  return dns_domain(rcpt.substr(at + 1));
}

}  // namespace legit
