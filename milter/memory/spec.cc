// spec.cc — the `memory` option: lmdb:/path, redis://host[:port][/db],
// unix:/path[?db=N], none. check_memory_spec() returns "" for a good value
// and otherwise the reason; parse_redis_spec() assumes a checked value.
#include <charconv>
#include <string_view>

#include "legit/memory.h"
#include "../core/names.h"

namespace legit {
namespace {

bool parse_int(std::string_view s, int lo, int hi, int* out) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool printable_path(std::string_view p) {
  if (p.empty() || p[0] != '/' || p.size() > 1000) return false;
  for (char c : p)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

// "host[:port][/db]" after redis://; false on anything else.
bool split_redis(std::string_view rest, RedisOptions& o) {
  auto slash = rest.find('/');
  if (slash != std::string_view::npos) {
    if (!parse_int(rest.substr(slash + 1), 0, 1000, &o.db)) return false;
    rest = rest.substr(0, slash);
  }
  std::string_view host = rest;
  if (!rest.empty() && rest[0] == '[') {  // [IPv6]:port
    auto close = rest.find(']');
    if (close == std::string_view::npos) return false;
    host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && (rest[0] != ':' || !parse_int(rest.substr(1), 1, 65535, &o.port))) return false;
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    if (!parse_int(rest.substr(colon + 1), 1, 65535, &o.port)) return false;
  }
  if (host.empty()) host = "127.0.0.1";
  o.host = std::string(host);
  return is_hostname(host) || host.find_first_not_of("0123456789abcdefABCDEF.:") == std::string_view::npos;
}

}  // namespace

std::string check_memory_spec(const std::string& spec) {
  const std::string form = "is not a memory store (lmdb:/path, redis://host[:port][/db], unix:/path[?db=N] or none)";
  std::string_view s = spec;
  if (s == "none") return "";
  if (s.substr(0, 5) == "lmdb:") return printable_path(s.substr(5)) ? "" : form;
  RedisOptions o;
  if (s.substr(0, 8) == "redis://") return split_redis(s.substr(8), o) ? "" : form;
  if (s.substr(0, 5) == "unix:") {
    s.remove_prefix(5);
    auto q = s.find("?db=");
    if (q != std::string_view::npos && !parse_int(s.substr(q + 4), 0, 1000, &o.db)) return form;
    return printable_path(s.substr(0, q)) ? "" : form;
  }
  return form;
}

RedisOptions parse_redis_spec(const std::string& spec) {
  RedisOptions o;
  std::string_view s = spec;
  if (s.substr(0, 8) == "redis://") {
    split_redis(s.substr(8), o);
  } else if (s.substr(0, 5) == "unix:") {
    s.remove_prefix(5);
    auto q = s.find("?db=");
    if (q != std::string_view::npos) parse_int(s.substr(q + 4), 0, 1000, &o.db);
    o.unix_path = std::string(s.substr(0, q));
  }
  return o;
}

}  // namespace legit
