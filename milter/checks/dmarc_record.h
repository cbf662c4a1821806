// dmarc_record.h — the two hostile texts DMARC (RFC 7489) reads: the policy
// record published at _dmarc.<domain> (§6.3, §6.4) and the RFC5322.From
// header fields that name the domain to evaluate (§6.6.1, RFC 5322 §3.4).
//
// Nothing here throws. A record that is not DMARC at all is told apart from a
// DMARC record with bad syntax (is_dmarc_record() vs parse_record().error);
// From fields that do not give exactly one valid domain yield an error text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace legit::dmarc {

enum class Policy { none, quarantine, reject };
const char* to_string(Policy p);

struct Record {
  Policy p = Policy::none;
  std::optional<Policy> sp;  // subdomain policy, when given
  bool strict_dkim = false;  // adkim=s
  bool strict_spf = false;   // aspf=s
  int pct = 100;
  bool testing = false;      // t=y (DMARCbis): the owner is testing the policy
};

// The policy the owner asks a receiver to apply to a failing message: p= (or
// sp= for a subdomain), one step milder (reject → quarantine → none) when the
// owner selects fewer than half of its failing messages for it — pct=0 is a
// roll-out step that applies the milder policy to every message (RFC 7489
// §6.6.4), pct=10 applies it to 90 % — or says t=y (DMARCbis: testing, the
// same milder policy). A verdict must be the same for the same message, so no
// random draw: the treatment the owner asks for most of its messages.
Policy applied_policy(const Record& r, bool subdomain);

struct ParsedRecord {
  std::optional<Record> record;  // set when valid
  std::string error;             // why not, quoting the offending tag
};

// True when a TXT record starts with the DMARC version tag "v=DMARC1" (white
// space allowed around '='): the §6.6.3 filter. Others are not DMARC records.
bool is_dmarc_record(std::string_view txt);

// Parses a record that is_dmarc_record(). Tag names and the values of p, sp,
// adkim, aspf are case-insensitive; unknown tags are ignored (§6.3). A missing
// or invalid p= with an rua= tag reads as p=none (§6.6.3 step 6); otherwise an
// invalid p, sp, adkim, aspf or pct value is an error.
ParsedRecord parse_record(std::string_view txt);

struct FromDomain {
  std::string domain;  // lower-case, no trailing dot; "" on error
  std::string error;   // "no From header", "2 From headers", "From has 2 addresses", ...
};

// The RFC5322.From domain from the values of every From field of the message
// (as the milter got them). Exactly one field with exactly one address whose
// domain is a valid host name, else an error (§6.6.1).
FromDomain from_domain(const std::vector<std::string>& from_values);
// The same from the first From field's value and how many there were (what a
// streaming caller keeps: a message may carry 100,000 From fields).
FromDomain from_domain(std::string_view first_value, std::size_t count);

// The valid domains of every address in one From field's value, in order,
// each once (lower-case A-labels): the author domains of §6.6.1 when a From
// holds several mailboxes. Bad input gives fewer or none.
std::vector<std::string> author_domains(std::string_view value);

}  // namespace legit::dmarc
