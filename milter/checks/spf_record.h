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
// halves.
//
// Bad input never throws: any byte string in, ok = false with a reason out.
#pragma once

#include <string>
#include <string_view>

namespace legit::spf {

struct RecordCheck {
  bool ok = false;
  std::string why;        // when !ok: what is wrong, with the offending term
  std::string rewritten;  // when ok: the record to hand to libspf2
};

// `rec` is the whole TXT string starting with "v=spf1"; `client_v6` says
// which CIDR length of a/mx applies.
RecordCheck check_record(std::string_view rec, bool client_v6);

}  // namespace legit::spf
