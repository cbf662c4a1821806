// domain.h — registrable (organizational) domains via libpsl.
//
// Uses the newest Public Suffix List on the system (Debian's publicsuffix
// package, /usr/share/publicsuffix), falling back to libpsl's built-in copy.
// Thread-safe after the first call; each thread keeps its last 16 answers. Returns "" for names that have no
// registrable domain (a public suffix itself, a single label, invalid input).
#pragma once

#include <string>
#include <string_view>

namespace legit {

// "mail.example.co.uk" → "example.co.uk"; lower-case, no trailing dot.
std::string registrable_domain(std::string_view name);

// The same by the ICANN section of the list alone: the domain its holder
// registered with a registry. The private section also lists where a
// provider hands its customers names ("*.compute.amazonaws.com",
// "ip.linodeusercontent.com", "cloudapp.net"), so there the whole of
// "ec2-3-120-45-67.eu-central-1.compute.amazonaws.com" is registrable; by
// ICANN it is "amazonaws.com", the provider that named the host.
std::string icann_registrable_domain(std::string_view name);

// True when `label` is a top-level domain listed in the ICANN section ("com",
// "microsoft"); the implicit "*" rule does not count: an unlisted label is
// false.
bool icann_tld(std::string_view label);

// True when both names have the same non-empty registrable domain.
bool same_registrable_domain(std::string_view a, std::string_view b);

}  // namespace legit
