// ip.cc — IPv4/IPv6 addresses and CIDR networks (include/legit/ip.h).
// Parsing uses inet_pton; anything it refuses is nullopt, never an exception.
#include "legit/ip.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace legit {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() > 5 && strncasecmp(text.data(), "IPv6:", 5) == 0) text.remove_prefix(5);
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  if (s.find('\0') != std::string::npos) return std::nullopt;
  IpAddress ip;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), ip.bytes_.data()) != 1) return std::nullopt;
    ip.family_ = Family::v4;
  } else {
    if (inet_pton(AF_INET6, s.c_str(), ip.bytes_.data()) != 1) return std::nullopt;
    ip.family_ = Family::v6;
  }
  return ip;
}

IpAddress IpAddress::from_bytes(Family f, const std::uint8_t* bytes) {
  IpAddress ip;
  ip.family_ = f;
  std::memcpy(ip.bytes_.data(), bytes, f == Family::v4 ? 4 : 16);
  return ip;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

std::string IpAddress::reverse_labels() const {
  std::string out;
  if (is_v4()) {
    for (int i = 3; i >= 0; --i) {
      out += std::to_string(bytes_[i]);
      if (i) out += '.';
    }
    return out;
  }
  static const char hex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out += hex[bytes_[i] & 0xf];
    out += '.';
    out += hex[bytes_[i] >> 4];
    if (i) out += '.';
  }
  return out;
}

std::string IpAddress::reverse_name() const {
  return reverse_labels() + (is_v4() ? ".in-addr.arpa" : ".ip6.arpa");
}

IpAddress IpAddress::unmapped() const {
  static const std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!is_v4() && std::memcmp(bytes_.data(), prefix, 12) == 0)
    return from_bytes(Family::v4, bytes_.data() + 12);
  return *this;
}

std::optional<Network> Network::parse(std::string_view text) {
  auto slash = text.find('/');
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  int max = ip->is_v4() ? 32 : 128;
  int prefix = max;
  if (slash != std::string_view::npos) {
    auto p = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix < 0 || prefix > max)
      return std::nullopt;
  }
  Network n;
  n.base_ = *ip;
  n.prefix_ = prefix;
  return n;
}

bool Network::contains(const IpAddress& addr) const {
  IpAddress ip = addr.unmapped();
  if (ip.family() != base_.family()) return false;
  int full = prefix_ / 8, rest = prefix_ % 8;
  if (std::memcmp(ip.bytes(), base_.bytes(), full) != 0) return false;
  if (rest == 0) return true;
  std::uint8_t mask = std::uint8_t(0xff << (8 - rest));
  return (ip.bytes()[full] & mask) == (base_.bytes()[full] & mask);
}

std::string Network::to_string() const {
  return base_.to_string() + "/" + std::to_string(prefix_);
}

std::optional<std::vector<Network>> parse_networks(const std::vector<std::string>& items,
                                                   std::string* bad) {
  std::vector<Network> out;
  for (const auto& item : items) {
    auto n = Network::parse(item);
    if (!n) {
      if (bad) *bad = item;
      return std::nullopt;
    }
    out.push_back(*n);
  }
  return out;
}

bool in_networks(const std::vector<Network>& nets, const IpAddress& ip) {
  for (const auto& n : nets)
    if (n.contains(ip)) return true;
  return false;
}

bool unroutable(const IpAddress& addr) {
  IpAddress ip = addr.unmapped();
  const std::uint8_t* b = ip.bytes();
  if (ip.is_v4())
    return b[0] == 0 || b[0] == 127 || b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
           (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && (b[1] & 0xc0) == 64) ||
           b[0] >= 224;
  bool zero_head = true;
  for (int i = 0; i < 15; ++i) zero_head = zero_head && b[i] == 0;
  return (zero_head && b[15] <= 1) || (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||
         b[0] == 0xff;
}

bool private_use(const IpAddress& addr) {
  IpAddress ip = addr.unmapped();
  const std::uint8_t* b = ip.bytes();
  if (ip.is_v4())
    return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
           (b[0] == 100 && (b[1] & 0xc0) == 64);
  return (b[0] & 0xfe) == 0xfc;
}

}  // namespace legit
