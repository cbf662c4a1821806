// ptr.cc — the shape of the client's PTR name: none, generic (dynamic pool),
// generic-static, unconfirmed, or good. Complements iprev (which only says
// whether FCrDNS holds) with *what kind* of name the address carries.
//
// Reuses the connection's shared reverse DNS (Session::rdns, iprev's
// lookups): no lookup of its own. Results:
//   none            no PTR (NXDOMAIN/NODATA), or only unusable names
//   generic         a PTR name embeds the client address or reads as a
//                   dynamic pool (generic_name.h), and no better name exists
//   generic-static  the same, but the name says "static"/"server"/...
//   unconfirmed     PTR names exist, none forward-confirms, none generic
//   good            a forward-confirmed name that is not generic
//   temperror       the PTR (or, with nothing else to go on, a forward)
//                   lookup failed temporarily: never evidence
// Confirmed names are judged first; the least generic name wins. The result
// word is published to Session::msg.auth.ptr (the anonymous check). No finding
// when the client has no IP. Names were validated by ReverseDns; details
// quote them anyway. RFC 1912 §2.1 (every host should have a PTR),
// RFC 8601 §3 (iprev).
#include <string>

#include "generic_name.h"
#include "legit/check.h"
#include "legit/headers.h"

namespace legit {
namespace {

struct Best {
  std::string name;
  NameVerdict verdict;
};

// The least generic of `names` (the first on ties); empty name if none.
Best least_generic(const std::vector<std::string>& names, const IpAddress& ip,
                   const GenericWords& w) {
  Best best;
  for (const auto& n : names) {
    NameVerdict v = classify_name(n, &ip, w);
    if (best.name.empty() || less_generic(v.shape, best.verdict.shape)) best = {n, v};
  }
  return best;
}

Finding shaped(const Best& b, bool confirmed) {
  std::string name = quote_untrusted(b.name, 80);
  std::string tail = confirmed ? "" : " (not forward-confirmed)";
  if (b.verdict.shape == NameShape::plain)
    return {"ptr", "good", "PTR " + name + " is forward-confirmed and not generic", {}};
  return {"ptr", to_string(b.verdict.shape),
          "PTR " + name + " looks " + to_string(b.verdict.shape) + ": " + b.verdict.why + tail, {}};
}

Finding evaluate(const RdnsResult& r, const IpAddress& ip, const GenericWords& w) {
  std::string addr = ip.to_string();
  if (r.ptr_status == DnsStatus::temperror)
    return {"ptr", "temperror",
            "PTR lookup for " + addr + " failed: " + (r.ptr_why.empty() ? "temporary error" : r.ptr_why),
            {}};
  if (r.ptr_status != DnsStatus::ok)
    return {"ptr", "none", std::string("no PTR record for ") + addr + " (" + to_string(r.ptr_status) + ")",
            {}};
  if (r.names.empty())
    return {"ptr", "none", "PTR for " + addr + " holds no valid host name", {}};
  if (!r.confirmed.empty()) return shaped(least_generic(r.confirmed, ip, w), true);
  Best b = least_generic(r.names, ip, w);
  if (b.verdict.shape != NameShape::plain) return shaped(b, false);
  std::string name = quote_untrusted(b.name, 80);
  if (r.forward_temperror)
    return {"ptr", "temperror", "forward lookup of PTR " + name + " failed temporarily", {}};
  return {"ptr", "unconfirmed", "PTR " + name + " does not resolve back to " + addr, {}};
}

class Ptr : public Check {
 public:
  explicit Ptr(std::shared_ptr<const GenericWords> w) : words_(std::move(w)) {}
  std::vector<Finding> finish(Session& s) override {
    if (!s.conn.ip || !s.rdns.started()) return {};
    Finding f = evaluate(s.rdns.result(), *s.conn.ip, *words_);
    s.msg.auth.ptr = f.result;  // for anonymous (session.h AuthFacts)
    return {f};
  }

 private:
  std::shared_ptr<const GenericWords> words_;
};

}  // namespace

CheckInfo ptr_check_info() {
  return {
      "ptr",
      "shape of the client's PTR name: none, generic (dynamic pool), unconfirmed or good",
      {
          {"none", -1.0, "no PTR at all, on top of iprev=fail: nobody even named the address "
                         "(rspamd RDNS_NONE 2, SpamAssassin RDNS_NONE 1.3)"},
          {"generic", -1.5, "an address-derived or dynamic-pool name: residential/bot space "
                            "(SpamAssassin RDNS_DYNAMIC 0.4-2, rspamd HFILTER_HOSTNAME_* 1-3)"},
          {"generic-static", -0.5, "address-derived but declared static/server: small business "
                                   "lines and hosting, less typical of bots"},
          {"unconfirmed", -0.5, "a PTR exists but does not resolve back; iprev=fail already "
                                "counts most of it"},
          {"good", 0.5, "a deliberate, forward-confirmed, non-generic name: a run mail server"},
          {"temperror", 0.0, "DNS failed: never evidence against the sender"},
      },
      generic_name_options(),
      [](const Config& cfg) { return std::make_unique<Ptr>(GenericWords::shared(cfg)); },
  };
}

}  // namespace legit
