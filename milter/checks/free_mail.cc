// free_mail.cc — domains where anyone opens a mailbox (free_mail.h).
#include "free_mail.h"

#include <string>

#include "../core/names.h"
#include "legit/domain.h"

namespace legit {

bool free_mail(const Config& cfg, std::string_view domain) {
  std::string reg = icann_registrable_domain(domain);
  if (reg.empty()) return false;
  for (const auto& d : cfg.list("freemail-domains"))
    if (normalize_name(d) == reg) return true;
  return false;
}

}  // namespace legit
