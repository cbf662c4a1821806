// names.h — small helpers for host names and text shared by the core and checks.
//
// All functions are total: any byte string in, a defined answer out.
#pragma once

#include <string>
#include <string_view>

namespace legit {

// ASCII lower-case copy.
std::string lower(std::string_view s);
// Case-insensitive ASCII equality.
bool iequals(std::string_view a, std::string_view b);
// Lower-case, one trailing dot removed.
std::string normalize_name(std::string_view s);
// RFC 1123 host name: labels of letters, digits and hyphens (no leading or
// trailing hyphen), 1..63 bytes each, ≤ 253 in all, at least one label.
// Trailing dot allowed. Underscores are refused (not valid in host names).
bool is_hostname(std::string_view s);

}  // namespace legit
