// answer_parse.h — private to milter/dns: query-name checks and the mapping of
// a DNS wire reply to a DnsAnswer (dns.h), kept apart from libunbound so unit
// tests can feed it packets built with ldns.
//
// Nothing here throws on bad input: an unusable query name gives a `why`,
// an unparseable reply gives a `malformed` answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "legit/dns.h"

namespace legit::dns_detail {

// Checks a query name as the caller gave it (raw text: every '.' separates
// labels, nothing is an escape; one trailing dot allowed). On success returns
// the name in the presentation form libunbound parses (backslash and bytes
// outside printable ASCII escaped as \DDD, trailing dot added). On failure
// returns nullopt and sets *why: "empty name", "name too long", "label too
// long", "empty label". Underscores, '%', spaces etc. are accepted.
std::optional<std::string> query_name(std::string_view name, std::string* why);

// The DnsAnswer for a DNS reply in wire format. RCODE NXDOMAIN → nxdomain;
// NOERROR with records of `type` in the answer section → ok (records
// formatted as dns.h says, ttl = their smallest TTL); NOERROR without →
// nodata (ttl = `negative_ttl`); any other RCODE → temperror with the RCODE's
// name as why; a packet ldns cannot parse → malformed.
DnsAnswer parse_answer(const std::uint8_t* wire, std::size_t len, DnsType type,
                       std::uint32_t negative_ttl = 0);

// The fields of a libunbound ub_result that decide the outcome, so the
// mapping can be tested without libunbound.
struct ResultView {
  int err = 0;                 // ub_resolve_async's err (0 = fine)
  const char* err_text = "";   // ub_strerror(err)
  int rcode = 0;
  bool havedata = false;
  bool nxdomain = false;
  bool bogus = false;
  const std::uint8_t* packet = nullptr;
  std::size_t packet_len = 0;
  int ttl = 0;
};
DnsAnswer map_result(const ResultView& r, DnsType type);

// Text of a name in presentation form, lower-cased, without the trailing dot
// (the root becomes ""). Non-printable bytes stay escaped (\000) so a caller
// sees the result is not a hostname.
std::string name_text(std::string presentation);

}  // namespace legit::dns_detail
