// domain.cc — registrable domains through libpsl (domain.h).
#include "legit/domain.h"

#include <libpsl.h>

#include "names.h"

namespace legit {

static const psl_ctx_t* psl() {
  // psl_latest() picks the newest of the system list and the built-in one.
  static const psl_ctx_t* ctx = [] {
    const psl_ctx_t* latest = psl_latest(nullptr);
    return latest ? latest : psl_builtin();
  }();
  return ctx;
}

static std::string lookup(std::string_view name) {
  std::string n = normalize_name(name);
  if (n.empty() || n.find('\0') != std::string::npos || !psl()) return "";
  const char* r = psl_registrable_domain(psl(), n.c_str());
  return r ? std::string(r) : "";
}

// The checks of one message ask for the same few names again and again
// (HELO, PTR, MAIL FROM, From, our host name: about 10 calls a message, and
// each libpsl lookup normalises and walks the list: 2 % of the milter's
// CPU), so each thread keeps its last kKept answers. Names over 253 bytes
// are not kept (no host name is that long).
std::string registrable_domain(std::string_view name) {
  constexpr std::size_t kKept = 16;
  struct Entry {
    std::string name, domain;
  };
  thread_local Entry kept[kKept];
  thread_local std::size_t next = 0;
  if (name.empty() || name.size() > 253) return lookup(name);
  for (const auto& e : kept)
    if (!e.name.empty() && e.name == name) return e.domain;
  Entry& e = kept[next];
  next = (next + 1) % kKept;
  e.domain = lookup(name);
  e.name.assign(name);
  return e.domain;
}

std::string icann_registrable_domain(std::string_view name) {
  std::string n = normalize_name(name);
  if (n.empty() || n.find('\0') != std::string::npos || !psl()) return "";
  // Suffixes from the longest: the first public one by ICANN ends the walk,
  // and the label left of it starts the registrable domain.
  std::size_t left = std::string::npos;
  for (std::size_t start = 0;;) {
    if (psl_is_public_suffix2(psl(), n.c_str() + start, PSL_TYPE_ICANN))
      return left == std::string::npos ? "" : n.substr(left);
    left = start;
    std::size_t dot = n.find('.', start);
    if (dot == std::string::npos) return "";
    start = dot + 1;
  }
}

bool icann_tld(std::string_view label) {
  std::string n = normalize_name(label);
  if (n.empty() || n.find_first_of(std::string_view(".\0", 2)) != std::string::npos || !psl()) return false;
  return psl_is_public_suffix2(psl(), n.c_str(), PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE) != 0;
}

bool same_registrable_domain(std::string_view a, std::string_view b) {
  std::string ra = registrable_domain(a);
  return !ra.empty() && ra == registrable_domain(b);
}

}  // namespace legit
