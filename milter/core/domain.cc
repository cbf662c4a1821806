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

std::string registrable_domain(std::string_view name) {
  std::string n = normalize_name(name);
  if (n.empty() || n.find('\0') != std::string::npos || !psl()) return "";
  const char* r = psl_registrable_domain(psl(), n.c_str());
  return r ? std::string(r) : "";
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
