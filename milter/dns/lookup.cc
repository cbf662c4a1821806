// lookup.cc — DnsLookup (the future-like handle of dns.h) and the names of
// DnsType and DnsStatus. A handle holding an answer in hand answers without
// touching a future. The process-wide DnsStats (dns_stats.h) live here too.
//
// Bad input never throws: a default-constructed handle answers temperror
// "no lookup"; an answer that has not come after a 60 s safety cap (the
// resolver promises one by its own, much shorter deadline, so only a bug gets
// here) is temperror "no answer", so a mail thread never hangs for good.
// Unknown enum values print as "?".
#include <chrono>

#include "legit/dns.h"
#include "legit/dns_stats.h"

namespace legit {
namespace {
constexpr std::chrono::seconds kSafetyCap{60};
}  // namespace

DnsStats& dns_stats() {
  static DnsStats* stats = new DnsStats;  // never destroyed: resolver threads may outlive main
  return *stats;
}

const char* to_string(DnsType t) {
  switch (t) {
    case DnsType::A: return "A";
    case DnsType::NS: return "NS";
    case DnsType::CNAME: return "CNAME";
    case DnsType::PTR: return "PTR";
    case DnsType::MX: return "MX";
    case DnsType::TXT: return "TXT";
    case DnsType::AAAA: return "AAAA";
    case DnsType::SPF: return "SPF";
  }
  return "?";
}

const char* to_string(DnsStatus s) {
  switch (s) {
    case DnsStatus::ok: return "ok";
    case DnsStatus::nxdomain: return "nxdomain";
    case DnsStatus::nodata: return "nodata";
    case DnsStatus::temperror: return "temperror";
    case DnsStatus::malformed: return "malformed";
  }
  return "?";
}

DnsLookup DnsLookup::ready(DnsAnswer a) {
  return DnsLookup(std::make_shared<const DnsAnswer>(std::move(a)));
}

bool DnsLookup::is_ready() const {
  if (answer_) return true;
  return f_.valid() && f_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

DnsAnswer DnsLookup::get() const {
  if (answer_) return *answer_;
  if (!f_.valid()) return DnsAnswer::of(DnsStatus::temperror, "no lookup");
  if (f_.wait_for(kSafetyCap) != std::future_status::ready)
    return DnsAnswer::of(DnsStatus::temperror, "no answer");
  return f_.get();
}

}  // namespace legit
