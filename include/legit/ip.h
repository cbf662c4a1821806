// ip.h — IPv4/IPv6 addresses and CIDR networks.
//
// IpAddress::parse() accepts the textual forms inet_pton accepts (plus an
// optional "IPv6:" prefix as in SMTP address literals) and returns
// std::nullopt on anything else: bad input never throws.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace legit {

class IpAddress {
 public:
  enum class Family { v4, v6 };

  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress from_bytes(Family f, const std::uint8_t* bytes);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::v4; }
  // 4 bytes for v4, 16 for v6, network order.
  const std::uint8_t* bytes() const { return bytes_.data(); }
  std::size_t size() const { return is_v4() ? 4 : 16; }

  std::string to_string() const;
  // "4.3.2.1.in-addr.arpa" / nibble "....ip6.arpa" (no trailing dot).
  std::string reverse_name() const;
  // The same label sequence without the arpa suffix, for DNS lists:
  // "4.3.2.1" or 32 nibbles; append "." + zone to query a list.
  std::string reverse_labels() const;
  // ::ffff:a.b.c.d becomes a.b.c.d; everything else is returned unchanged.
  IpAddress unmapped() const;

  bool operator==(const IpAddress& o) const {
    return family_ == o.family_ && bytes_ == o.bytes_;
  }
  bool operator!=(const IpAddress& o) const { return !(*this == o); }

 private:
  Family family_ = Family::v4;
  std::array<std::uint8_t, 16> bytes_{};
};

// A CIDR network ("192.0.2.0/24", "::1/128"; a bare address means /32 or /128).
class Network {
 public:
  static std::optional<Network> parse(std::string_view text);
  bool contains(const IpAddress& ip) const;
  std::string to_string() const;

 private:
  IpAddress base_;
  int prefix_ = 0;
};

// Parses a list of networks; on the first bad entry returns nullopt and puts
// the offending text in *bad.
std::optional<std::vector<Network>> parse_networks(const std::vector<std::string>& items,
                                                   std::string* bad);
bool in_networks(const std::vector<Network>& nets, const IpAddress& ip);

// True for an address the public Internet cannot reach: unspecified (0/8,
// ::), loopback (127/8, ::1), RFC 1918, CGNAT 100.64/10, link-local
// (169.254/16, fe80::/10), ULA fc00::/7, multicast and 240/4. IPv4-mapped
// IPv6 is judged as IPv4. The relay check (a client in a private network, a
// milter behind NAT) and sender-domain (an MX that resolves only to such
// addresses cannot take a bounce) share this one notion.
bool unroutable(const IpAddress& ip);

// True for the unroutable addresses a private network may give its own hosts
// (RFC 1918, CGNAT 100.64/10, ULA fc00::/7): what a split-DNS view or a
// resolver forwarding a partner's zone over a VPN answers. Loopback,
// unspecified, link-local and multicast are not: no view makes them a
// mail server. IPv4-mapped IPv6 is judged as IPv4.
bool private_use(const IpAddress& ip);

}  // namespace legit
