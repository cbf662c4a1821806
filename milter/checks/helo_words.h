// helo_words.h — what a HELO name that is not a public FQDN reads as
// (helo.cc's localhost / random-label / not-fqdn grades). Pure text tests,
// any byte string in, a yes/no out.
#pragma once

#include <string_view>

namespace legit {

// localhost, localhost.localdomain, localhost.<anything>, <anything>.localhost,
// localhost4/6, ip6-localhost, ip6-loopback, localdomain (case-insensitive,
// trailing dot ignored).
bool is_localhost_name(std::string_view name);

// A single label that reads random rather than like a name: a Windows
// default name ("WIN-", "DESKTOP-", "LAPTOP-" + 7 or more letters/digits
// with a digit), at least 6 letters without a vowel (y counts), or at least
// 8 bytes switching between letters and digits 4 or more times ("a8f3k2q9").
bool random_label(std::string_view label);

}  // namespace legit
