// iprev.cc — RFC 8601 §3 "iprev": does the client's PTR name resolve back to
// the client IP (forward-confirmed reverse DNS)?
//
// Results: pass (a PTR name's A/AAAA contains the IP), fail (no PTR, or no
// name resolves back), temperror (a lookup failed temporarily and nothing
// confirmed), permerror (PTR answer unusable: malformed, or only invalid
// names). No finding at all when the client has no IP (local submission).
// The lookups are shared with other checks through Session::rdns, started at
// connect and advanced at HELO, so end-of-data normally waits for nothing.
#include <string>

#include "legit/check.h"
#include "legit/headers.h"

namespace legit {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + quote_untrusted(s, 80);
  return out;
}

Finding evaluate(Session& s) {
  const RdnsResult& r = s.rdns.result();
  std::string ip = s.conn.ip->to_string();
  Finding f{"iprev", "", "", {}};
  if (r.ptr_status == DnsStatus::temperror) {
    f.result = "temperror";
    f.detail = "PTR lookup for " + ip + " failed: " + (r.ptr_why.empty() ? "temporary error" : r.ptr_why);
  } else if (r.ptr_status == DnsStatus::malformed) {
    f.result = "permerror";
    f.detail = "PTR answer for " + ip + " is malformed";
  } else if (r.ptr_status != DnsStatus::ok) {
    f.result = "fail";
    f.detail = std::string("no PTR record for ") + ip + " (" + to_string(r.ptr_status) + ")";
  } else if (!r.confirmed.empty()) {
    f.result = "pass";
    f.detail = "PTR " + quote_untrusted(r.confirmed.front(), 80) + " resolves back to " + ip;
  } else if (r.names.empty()) {
    f.result = "permerror";
    f.detail = "PTR for " + ip + " holds no valid host name (" + std::to_string(r.invalid_names) + " invalid)";
  } else if (r.forward_temperror) {
    f.result = "temperror";
    f.detail = "forward lookup of PTR " + join(r.names) + " failed temporarily";
  } else {
    f.result = "fail";
    f.detail = "PTR " + join(r.names) + " does not resolve back to " + ip;
  }
  ArEntry ar{"iprev", f.result, "", {{"policy.iprev", ip}}};
  if (f.result == "pass") ar.reason = r.confirmed.front();
  f.ar.push_back(std::move(ar));
  return f;
}

class Iprev : public Check {
 public:
  std::vector<Finding> finish(Session& s) override {
    if (!s.conn.ip) return {};
    return {evaluate(s)};
  }
};

}  // namespace

CheckInfo iprev_check_info() {
  return {
      "iprev",
      "forward-confirmed reverse DNS of the client IP (RFC 8601 iprev)",
      {
          {"pass", 1.0, "FCrDNS is what every well-run mail server has; weak evidence alone "
                        "(rspamd has no bonus, SpamAssassin only penalises its absence)"},
          {"fail", -2.0, "no PTR or a PTR that does not resolve back: typical of bots and "
                         "hijacked home lines (rspamd RDNS_NONE 2, SpamAssassin RDNS_NONE 1.3)"},
          {"temperror", 0.0, "DNS failed: never evidence against the sender"},
          {"permerror", -1.0, "PTR holds only garbage names: a broken or hostile reverse zone"},
      },
      {},
      [](const Config&) { return std::make_unique<Iprev>(); },
  };
}

}  // namespace legit
