// dnsbl_list.cc — parsing of DNS list items and the meaning of their
// answers (dnsbl_list.h; RFC 5782). Bad items yield a reason, never a throw
// (parse_lists throws std::invalid_argument for the check factory).
#include "dnsbl_list.h"

#include <stdexcept>

#include "legit/domain.h"
#include "../core/names.h"

namespace legit::dnsbl {
namespace {

constexpr std::size_t kMaxZone = 180;  // 64-byte nibble name + zone ≤ 253

const char* const kBlockWords[] = {"listed-strong", "listed", "listed-weak", "temperror"};
const char* const kAllowWords[] = {"allowed-strong", "allowed", "allowed-weak", "temperror"};

struct SourceName {
  const char* name;
  Source source;
};
const SourceName kSources[] = {{"ip", Source::ip},     {"ip4", Source::ip4},
                               {"ip6", Source::ip6},   {"helo", Source::helo},
                               {"ptr", Source::ptr},   {"sender", Source::sender}};

bool parse_v4(std::string_view text, std::uint32_t* out) {
  auto ip = IpAddress::parse(text);
  if (!ip || !ip->is_v4() || text.find(':') != std::string_view::npos) return false;
  const std::uint8_t* b = ip->bytes();
  *out = (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | b[3];
  return true;
}

bool word_ok(std::string_view w, Kind kind) {
  for (const char* k : kind == Kind::block ? kBlockWords : kAllowWords)
    if (w == k) return true;
  return false;
}

std::string words_hint(Kind kind) {
  std::string out;
  for (const char* k : kind == Kind::block ? kBlockWords : kAllowWords)
    out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

// One "CODES[:WORD]" part of the mapping.
std::string parse_code(std::string_view part, Kind kind, CodeRange* out) {
  auto colon = part.find(':');
  std::string_view range = part.substr(0, colon);
  out->word = kind == Kind::block ? "listed" : "allowed";
  if (colon != std::string_view::npos) {
    out->word = std::string(part.substr(colon + 1));
    if (!word_ok(out->word, kind))
      return "maps to an unknown result '" + out->word + "' (use " + words_hint(kind) + ")";
  }
  auto dash = range.find('-');
  std::string_view lo = range.substr(0, dash);
  std::string_view hi = dash == std::string_view::npos ? lo : range.substr(dash + 1);
  if (!parse_v4(lo, &out->lo) || !parse_v4(hi, &out->hi))
    return "has a return code '" + std::string(range) + "' that is not an IPv4 address or range A-B";
  if (out->lo > out->hi) return "has a return-code range '" + std::string(range) + "' whose end is below its start";
  return "";
}

std::string parse_codes(std::string_view text, Kind kind, std::vector<CodeRange>* out) {
  if (text.empty()) return "has an empty return-code mapping after '='";
  while (true) {
    auto semi = text.find(';');
    CodeRange r;
    std::string why = parse_code(text.substr(0, semi), kind, &r);
    if (!why.empty()) return why;
    out->push_back(std::move(r));
    if (semi == std::string_view::npos) return "";
    text.remove_prefix(semi + 1);
  }
}

}  // namespace

const char* to_string(Source s) {
  for (const auto& n : kSources)
    if (n.source == s) return n.name;
  return "ip";
}

std::string parse_list(std::string_view item, Kind kind, ListSpec* out) {
  *out = ListSpec{};
  out->kind = kind;
  auto eq = item.find('=');
  std::string_view head = item.substr(0, eq);
  auto colon = head.find(':');
  out->zone = normalize_name(head.substr(0, colon));
  if (!is_hostname(out->zone) || out->zone.find('.') == std::string::npos)
    return "does not start with a DNS zone of two or more labels";
  if (out->zone.size() > kMaxZone) return "has a zone longer than 180 characters";
  if (colon != std::string_view::npos) {
    std::string_view src = head.substr(colon + 1);
    bool found = false;
    for (const auto& n : kSources)
      if (src == n.name) out->source = n.source, found = true;
    if (!found) return "has an unknown source '" + std::string(src) + "' (use ip, ip4, ip6, helo, ptr or sender)";
  }
  if (eq == std::string_view::npos) return "";
  return parse_codes(item.substr(eq + 1), kind, &out->codes);
}

std::vector<ListSpec> parse_lists(const std::string& option, const std::vector<std::string>& items,
                                  Kind kind) {
  std::vector<ListSpec> out;
  for (const auto& item : items) {
    ListSpec l;
    std::string why = parse_list(item, kind, &l);
    if (!why.empty()) throw std::invalid_argument("option '" + option + "': '" + item + "' " + why);
    out.push_back(std::move(l));
  }
  return out;
}

std::string classify(const ListSpec& list, std::string_view answer) {
  std::uint32_t code = 0;
  if (!parse_v4(answer, &code)) return "";
  if ((code >> 8) == 0x7fffffu) return "temperror";  // 127.255.255.0/24
  if (list.codes.empty()) {
    if ((code >> 24) != 127) return "";
    return list.kind == Kind::block ? "listed" : "allowed";
  }
  for (const auto& r : list.codes)
    if (code >= r.lo && code <= r.hi) return r.word;
  return "";
}

std::string query_for_ip(const ListSpec& list, const IpAddress& ip) {
  if ((list.source == Source::ip4 && !ip.is_v4()) || (list.source == Source::ip6 && ip.is_v4()))
    return "";
  return ip.reverse_labels() + "." + list.zone;
}

std::string query_for_name(const ListSpec& list, std::string_view name) {
  std::string n = normalize_name(name);
  if (!is_hostname(n) || IpAddress::parse(n)) return "";
  std::string domain = registrable_domain(n);
  if (domain.empty() || domain.size() + 1 + list.zone.size() > 253) return "";
  return domain + "." + list.zone;
}

}  // namespace legit::dnsbl
