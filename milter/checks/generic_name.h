// generic_name.h — does a host name look generic (dynamic, ISP-assigned)?
// Shared by the ptr check (the client's PTR names) and the helo check.
//
// Only the labels left of the registrable domain (libpsl, ICANN section) are
// looked at, so "dyn.com", "example.online" or "mail.host" never fire on their
// suffix. The PSL's private section is left out: it lists where providers
// hand out names (*.compute.amazonaws.com, ip.linodeusercontent.com), which
// would make a cloud instance's default name all "registrable domain" and
// hide the address it embeds; the provider named that host, not a customer.
// Those labels are split into tokens at '.', '-' and letter/digit borders
// ("s72-38-252-2" → s 72 38 252 2). A name is generic when
//   * it embeds the client address (code, not config): IPv4 as 4 consecutive
//     numeric tokens in order or reversed (zero-padding allowed), as 12
//     packed zero-padded digits, or as 8 hex digits ("c0a80101"); IPv6 as
//     its 32 nibbles, its compressed text with '-' for ':', or its nibble
//     labels; or
//   * (no embedded address) its leftmost label holds a dynamic word and the
//     host labels hold 3+ digits ("dhcp-7781", "ppp123"), or dynamic words
//     sit in two different host labels ("x.dyn.pool.isp.net").
// Grading: a generic name that also holds a static word ("static", "srv",
// "server", ...) is generic-static — the ISP says the address is a fixed
// assignment, which is less typical of bots — else it is generic.
// Dynamic and static words are whole tokens from config (ptr-dynamic-words,
// ptr-static-words). Bad input (not a host name, empty) is `plain`.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "legit/config.h"
#include "legit/ip.h"

namespace legit {

enum class NameShape { plain, generic_static, generic };
// "plain", "generic-static", "generic"
const char* to_string(NameShape s);

struct NameVerdict {
  NameShape shape = NameShape::plain;
  std::string why;  // "embeds 192.0.2.1, word 'dsl'"; only [a-z0-9 .:',-] text
};

struct GenericWords {
  std::vector<std::string> dynamic_words;  // lower-case whole tokens
  std::vector<std::string> static_words;
  // Reads ptr-dynamic-words and ptr-static-words.
  static GenericWords from(const Config& cfg);
  // The same, shared: one GenericWords per distinct pair of word lists,
  // kept for the ptr and helo checks of every connection (both made one per
  // connection: lowering ~65 words twice each time was ~3 µs, issue 11).
  // Compared by content, so a reload with other words gets its own.
  static std::shared_ptr<const GenericWords> shared(const Config& cfg);
};

// The options above, declared once (in the ptr check's CheckInfo).
std::vector<OptionSpec> generic_name_options();

// The labels left of the ICANN registrable domain, lower-case ("" if none). A
// name without a registrable domain loses only its last label.
std::string host_part(std::string_view name);

// True when `host` (a host_part()) embeds `ip` in one of the forms above.
bool embeds_address(std::string_view host, const IpAddress& ip);

// `ip` may be null (no embedding test then).
NameVerdict classify_name(std::string_view name, const IpAddress* ip, const GenericWords& words);

// Of several verdicts' shapes, the least suspicious (plain < static < generic).
bool less_generic(NameShape a, NameShape b);

}  // namespace legit
