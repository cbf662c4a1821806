// headers.h — the headers legit-milter adds and the forged ones it removes.
//
//   X-Legit-Score: <score> (<action>) <check>=<result>(<points>) ...
//   Authentication-Results: <authserv-id>; iprev=pass policy.iprev=192.0.2.1; ...
// (RFC 8601 syntax, folded at 78 columns with "\n\t", the line break libmilter
// passes to Postfix inside a value). Untrusted values are quoted or
// dropped, never copied raw: the only line breaks in a value we emit are
// our own folds, and it never contains CR or NUL.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "legit/finding.h"
#include "legit/verdict.h"

namespace legit {

extern const char* const kScoreHeader;  // "X-Legit-Score"
extern const char* const kArHeader;     // "Authentication-Results"

// Value of X-Legit-Score: "<score> (<action>) check=result(points) ...";
// in dry-run with a verdict other than accept: "(accept; dry-run would reject)".
std::string format_score_header(const Verdict& v, bool dry_run);

// Value of Authentication-Results (without the "Name: " prefix), folded so
// that no line exceeds 78 columns counting the header name.
// With no AR entries at all: "<authserv-id>; none" (RFC 8601 §2.2).
std::string format_ar_header(std::string_view authserv_id,
                             const std::vector<ArEntry>& entries);

// The authserv-id at the start of an Authentication-Results value (comments
// and folding skipped), "" if it cannot be parsed.
std::string ar_authserv_id(std::string_view value);

// True when an incoming header must be removed before ours is added: every
// X-Legit-Score, and every A-R whose authserv-id equals ours (case-insensitive).
bool is_forged(std::string_view name, std::string_view value, std::string_view authserv_id);

// Quotes untrusted text for logs and details: printable ASCII kept, others as
// \xNN, cut at `max` bytes with "..." appended.
std::string quote_untrusted(std::string_view s, std::size_t max = 100);

}  // namespace legit
