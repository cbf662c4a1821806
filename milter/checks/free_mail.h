// free_mail.h — is a domain one where anyone opens a mailbox? The
// `freemail-domains` option (declared by the display-name check), compared by
// ICANN registrable domain: tenant.onmicrosoft.com counts as onmicrosoft.com,
// mail.gmail.com as gmail.com. Shared by display-name (a brand's or our name
// over such an address) and anonymous (a provider's DKIM signature carried by
// a client that is not the provider's). Bad input (no registrable domain,
// empty, junk): false.
#pragma once

#include <string_view>

#include "legit/config.h"

namespace legit {

bool free_mail(const Config& cfg, std::string_view domain);

}  // namespace legit
