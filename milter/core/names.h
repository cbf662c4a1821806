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
// The DNS form of a mail domain, normalized: a name with UTF-8 U-labels (an
// SMTPUTF8 address, RFC 6531/6532: "bäckerei-müller.de" in MAIL FROM or From)
// becomes its A-labels ("xn--bckerei-mller-bfb28a.de"; IDNA2008 with UTS #46
// mapping, libidn2), as RFC 8616 asks of SPF and DMARC. An all-ASCII name is
// only normalize_name()d; a name IDNA refuses (invalid UTF-8, disallowed code
// points, control bytes) comes back normalize_name()d but unconverted, so the
// caller's own validity test refuses it as before.
std::string dns_domain(std::string_view s);
// `name` is `domain` or a name under it ("a.example.com" under "example.com",
// not "badexample.com"); both already normalized. An empty domain holds nothing.
bool in_domain(std::string_view name, std::string_view domain);
// RFC 1123 host name: labels of letters, digits and hyphens (no leading or
// trailing hyphen), 1..63 bytes each, ≤ 253 in all, at least one label.
// Trailing dot allowed. Underscores are refused (not valid in host names).
bool is_hostname(std::string_view s);

}  // namespace legit
