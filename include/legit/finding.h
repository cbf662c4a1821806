// finding.h — what a check reports: a result word and a detail.
//
// A check decides *what fired* (result); the config's points table decides
// what it is worth. Checks that map to an RFC 8601 method (iprev, spf, dkim,
// dmarc, auth) also fill `ar`, which the Authentication-Results formatter uses.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace legit {

struct ArEntry {
  std::string method;    // "iprev", "spf", "dkim", "dmarc", "auth"
  std::string result;    // RFC 8601 word: pass, fail, temperror, ...
  std::string reason;    // optional comment text (put in parentheses)
  // ptype.property=value pairs, e.g. {"policy.iprev", "192.0.2.1"},
  // {"smtp.mailfrom", "example.org"}. Values are quoted by the formatter if needed.
  std::vector<std::pair<std::string, std::string>> props;
};

struct Finding {
  std::string check;   // registry name: "iprev", "helo", ...
  std::string result;  // "pass", "fail", "temperror", "bare-ip", ...
  std::string detail;  // human explanation (untrusted text already quoted)
  std::vector<ArEntry> ar;  // zero or more A-R method results
  // The least action this finding demands whatever the score: "" (none),
  // "quarantine" or "reject" (a check sets it from its own options, e.g.
  // dmarc-reject-action). With floor_with_negative it applies only when some
  // other finding scored below 0 (DMARC p=quarantine).
  std::string floor = {};
  bool floor_with_negative = false;
};

// The floor an `*-action` option's value sets (relay-action, dmarc-*-action,
// dnsbl-strong-action, private-mx-action, lookalike-action, anonymous-action):
// "quarantine" or "reject" as it is, "" for "none" (points only, no floor).
inline std::string floor_of_action(std::string_view value) {
  return value == "none" ? std::string() : std::string(value);
}

struct ScoredFinding {
  Finding finding;
  double points = 0;
};

}  // namespace legit
