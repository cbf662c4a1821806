// spf_record.h — strict RFC 7208 syntax check of an SPF record (§4.6.1,
// §5, §6, §7.1 and the ABNF of §12), and the record rewritten into a form
// libspf2 1.2.10 evaluates correctly.
//
// libspf2 accepts records RFC 7208 says are a permerror (bad domain-spec
// top labels, "%" not followed by "{", "%", "_" or "-", c/r/t macros outside
// explanations, redirect/exp given twice, control and non-ASCII bytes,
// CIDR with leading zeros, "redirect:" as a mechanism) and rejects some that
// are valid (unknown modifiers with '.' or '_' in their names, "/0" prefix
// lengths, redirect= before the mechanisms). check_record() decides the
// syntax itself; the rewritten record given to libspf2 keeps the mechanisms
// in order, drops unknown modifiers (RFC 7208 §6: ignored), puts exp= after
// them and redirect= last, drops redirect= when an "all" mechanism is
// present (§6.1: it has no effect then), drops the CIDR length of the other
// address family than the client's, and writes ip4/ip6 "/0" as two "/1"
// halves. a/mx with a "/0" length of the client's family (libspf2's
// compiler refuses it) become "exists:<domain>.<marker>" names that the DNS
// layer answers (a0_marker()): match when the domain has any address of the
// client's family (a) or any MX host has one (mx), RFC 7208 §5.3/§5.4.
//
// With the client address (second overload) the record is also pruned for
// libspf2, whose compiler silently drops every mechanism past ~512 bytes of
// compiled data (64 ip4 or 26 ip6 mechanisms: the "-all" vanishes and the
// result is neutral): ip4/ip6 mechanisms that cannot match the client go
// (they query no DNS, so this is exact), and the first one that matches ends
// the record as "<qualifier>all" (evaluation stops at the first match).
// It also notes whether the record authorises everyone (`broad`).
//
// Bad input never throws: any byte string in, ok = false with a reason out.
#pragma once

#include <string>
#include <string_view>

#include "legit/ip.h"

namespace legit::spf {

// Pass-qualified ranges at least this wide authorise "everyone" (broad).
constexpr int kBroadPrefix4 = 8;    // an IPv4 /8 or wider: 16.7 M addresses
constexpr int kBroadPrefix6 = 16;   // an IPv6 /16 or wider

struct RecordCheck {
  bool ok = false;
  std::string why;        // when !ok: what is wrong, with the offending term
  std::string rewritten;  // when ok: the record to hand to libspf2
  int mechanisms = 0;     // mechanisms in `rewritten` (to detect libspf2 dropping some)
  int pruned = 0;         // ip4/ip6 mechanisms removed because they cannot match
  // The record passes every client (client overload only): its first ip4/ip6
  // mechanism matching the client is a pass-qualified range at least
  // kBroadPrefix4/6 wide, or none matches and it holds a pass-qualified
  // "all", "a"/"mx" of such a width, or a "/0".
  bool broad = false;
  bool neutral_only = false;  // nothing but "?all" (and no redirect=)
};

// `rec` is the whole TXT string starting with "v=spf1"; `client_v6` says
// which CIDR length of a/mx applies.
RecordCheck check_record(std::string_view rec, bool client_v6);
// The same for this client, pruned for libspf2 (see above).
RecordCheck check_record(std::string_view rec, const IpAddress& client);

// The marker the rewrite appends to an "a"/"mx" "/0" domain ("a0-4", "mx0-6":
// mechanism and client family), and the inverse: the kind ("a" or "mx") and
// the domain of a marker name, false for any other name.
std::string a0_marker(bool mx, bool v6);
bool parse_a0_marker(std::string_view name, std::string* kind, std::string* domain);

}  // namespace legit::spf
