// session.cc — Session helpers (session.h).
#include "legit/session.h"

#include "names.h"

namespace legit {

std::string Session::mail_from_domain() const {
  auto at = msg.mail_from.rfind('@');
  if (at == std::string::npos) return "";
  return normalize_name(std::string_view(msg.mail_from).substr(at + 1));
}

}  // namespace legit
