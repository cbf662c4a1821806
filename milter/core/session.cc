// session.cc — Session helpers (session.h).
#include "legit/session.h"

#include "legit/us.h"
#include "names.h"

namespace legit {

std::string Session::mail_from_domain() const {
  auto at = msg.mail_from.rfind('@');
  if (at == std::string::npos) return "";
  return dns_domain(std::string_view(msg.mail_from).substr(at + 1));
}

void Session::want_rcpt_mx(std::string_view rcpt) {
  std::string domain = rcpt_domain(rcpt);
  if (domain.empty() || msg.rcpt_mx.count(domain) || msg.rcpt_mx.size() >= kMaxRcptDomains) return;
  msg.rcpt_mx[domain] = resolver.lookup(domain, DnsType::MX);
}

}  // namespace legit
