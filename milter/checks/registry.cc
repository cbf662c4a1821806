// registry.cc — every compiled-in check, in evaluation (and header) order.
// Adding a check: write milter/checks/<name>.cc with a <name>_check_info()
// and add one line here.
#include "legit/check.h"

namespace legit {

CheckInfo iprev_check_info();
CheckInfo ptr_check_info();
CheckInfo helo_check_info();
CheckInfo spf_check_info();
CheckInfo spf_helo_check_info();
CheckInfo sender_domain_check_info();
CheckInfo dnsbl_check_info();
CheckInfo dkim_check_info();
CheckInfo dmarc_check_info();
CheckInfo lookalike_check_info();
CheckInfo display_name_check_info();
CheckInfo web_script_check_info();
CheckInfo anonymous_check_info();
CheckInfo allowlist_check_info();
CheckInfo relay_check_info();
CheckInfo correspondent_check_info();
CheckInfo history_check_info();
CheckInfo greylist_check_info();

const std::vector<CheckInfo>& check_registry() {
  static const std::vector<CheckInfo> checks = {
      iprev_check_info(),
      ptr_check_info(),
      helo_check_info(),
      spf_check_info(),
      spf_helo_check_info(),
      sender_domain_check_info(),
      dkim_check_info(),
      dnsbl_check_info(),
      dmarc_check_info(),
      lookalike_check_info(),     // names, not DNS: the sender's domain and display name
      display_name_check_info(),
      web_script_check_info(),
      allowlist_check_info(),  // after spf/dkim: reads what they published
      anonymous_check_info(),  // after ptr, helo, spf, spf-helo, dkim, allowlist: reads what they published
      relay_check_info(),
      correspondent_check_info(),  // memory checks: after SPF/DKIM (AuthFacts)
      history_check_info(),
      greylist_check_info(),
  };
  return checks;
}

}  // namespace legit
