// dnsbl_list.h — one DNS list (block- or allowlist) as configured in the
// options dnsbl-lists / dnsbl-allow-lists, and what its answers mean.
//
// Item syntax (one list per item; items are separated by spaces or commas):
//     ZONE[:SOURCE][=CODES[:WORD][;CODES[:WORD]]...]
//   ZONE    the list's DNS zone ("zen.spamhaus.org")
//   SOURCE  what is looked up: ip (default: IPv4 reversed octets, IPv6
//           nibbles; RFC 5782 §2.1, §2.4), ip4, ip6 (one family only), or the
//           registrable domain of helo, ptr (the client's PTR name) or sender
//           (the MAIL FROM domain) for domain lists (RFC 5782 §2.3)
//   CODES   a return code "127.0.0.2" or an inclusive range "127.0.0.2-127.0.0.9"
//   WORD    the result it reports: listed-strong | listed | listed-weak for
//           blocklists, allowed-strong | allowed | allowed-weak for
//           allowlists, or temperror (the list's own error codes); default
//           listed / allowed. The points of each word are in [points].
// Without "=CODES": any 127.0.0.0/8 answer is a hit (RFC 5782 §2.1). With
// it: the first matching range decides, other codes are ignored. Answers in
// 127.255.255.0/24 (Spamhaus "query refused / public resolver" codes) are
// always temperror, never a listing. Parsing never throws: it says why not.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "legit/ip.h"

namespace legit::dnsbl {

enum class Source { ip, ip4, ip6, helo, ptr, sender };
enum class Kind { block, allow };

struct CodeRange {
  std::uint32_t lo = 0, hi = 0;  // host order
  std::string word;
};

struct ListSpec {
  std::string zone;              // lower-case, no trailing dot
  Source source = Source::ip;
  Kind kind = Kind::block;
  std::vector<CodeRange> codes;  // empty: any 127/8 answer → default word
};

// Parses one item. Returns "" and fills *out, or why not, phrased to follow
// the quoted item ("has an unknown source 'x' ...").
std::string parse_list(std::string_view item, Kind kind, ListSpec* out);

// Parses every item; throws std::invalid_argument naming the option and the
// item on the first bad one (options are validated at load already).
std::vector<ListSpec> parse_lists(const std::string& option, const std::vector<std::string>& items,
                                  Kind kind);

// What one A record of a list's answer means: the result word, "temperror"
// for an error code, or "" to ignore it (not a 127/8 code, or unmapped).
std::string classify(const ListSpec& list, std::string_view answer);

// The name to query for an IP, "" when the list does not take that family.
std::string query_for_ip(const ListSpec& list, const IpAddress& ip);
// The name to query for a host or domain name (its registrable domain), ""
// when the name is not a usable domain or the query would be too long.
std::string query_for_name(const ListSpec& list, std::string_view name);

const char* to_string(Source s);

}  // namespace legit::dnsbl
