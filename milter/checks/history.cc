// history.cc — what the memory says about the client network (IPv4 /24,
// IPv6 /64) and the authenticated sender domain: messages accepted,
// quarantined, rejected and probe sessions, decaying (keys in
// milter/memory/keys.h; recorded after each verdict by recorder.cc).
//
// Results:
//   known-good   an SPF-pass or aligned-DKIM-pass domain, or else the network,
//                with >= 3 (decayed) accepted messages and at most a fifth as
//                many quarantined/rejected
//   bad-history  >= 3 quarantined/rejected, more than accepted (network or
//                authenticated domain)
//   probing      >= 3 probe sessions from the network (half-life 1 day),
//                more than its accepted messages
//   new          nothing (or less than one decayed message) remembered
//   mixed        some history, none of the above
//   temperror    the store failed or missed its deadline: never evidence
// No finding without a memory (`memory = none`) or without a client IP.
// Reads: the network at connect, the candidate domains at end of headers
// (SPF/DKIM are only known at end-of-data, so both candidates are read).
#include <cmath>
#include <cstdio>

#include "../memory/keys.h"
#include "legit/check.h"
#include "legit/memory.h"

namespace legit {
namespace {

struct Counts {
  double ok = 0, q = 0, rej = 0, probe = 0;
  double bad() const { return q + rej; }
};

const char* const kWhat[] = {"ok", "q", "rej", "probe"};

const char* classify(const Counts& c) {
  if (c.probe >= 3 && c.probe > c.ok) return "probing";
  if (c.bad() >= 3 && c.bad() > c.ok) return "bad-history";
  if (c.ok >= 3 && c.bad() <= c.ok / 5) return "known-good";
  if (c.ok + c.bad() + c.probe < 1) return "new";
  return "mixed";
}

std::string describe(const std::string& what, const Counts& c) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.1f accepted, %.1f quarantined, %.1f rejected", c.ok, c.q, c.rej);
  std::string out = what + ": " + buf;
  if (c.probe >= 0.05) {
    std::snprintf(buf, sizeof buf, ", %.1f probes", c.probe);
    out += buf;
  }
  return out;
}

// Reads `keys` (groups of 4 or 3 counters) into counts; false = temperror.
bool read_counts(Memory& m, const std::vector<std::string>& keys, std::vector<Counts>& out, std::size_t per) {
  std::vector<std::optional<Record>> recs;
  if (!m.read(keys, recs)) return false;
  out.assign(keys.size() / per, Counts{});
  for (std::size_t i = 0; i < keys.size(); ++i) {
    double v = recs[i] ? recs[i]->count : 0;
    Counts& c = out[i / per];
    switch (i % per) {
      case 0: c.ok = v; break;
      case 1: c.q = v; break;
      case 2: c.rej = v; break;
      default: c.probe = v; break;
    }
  }
  return true;
}

class History : public Check {
 public:
  void on_connect(Session& s) override {
    if (!s.memory || !s.conn.ip) return;
    network_ = mkeys::network_of(*s.conn.ip);
    std::vector<std::string> keys;
    for (const char* w : kWhat) keys.push_back(mkeys::net(network_, w));
    std::vector<Counts> c;
    net_ok_ = read_counts(*s.memory, keys, c, 4);
    if (net_ok_) net_ = c[0];
  }

  void on_mail(Session&) override {
    domains_.clear();
    domain_counts_.clear();
    domains_ok_ = true;
  }

  void on_eoh(Session& s) override {
    if (!s.memory || !s.conn.ip) return;
    domains_ = mkeys::candidate_domains(s);
    std::vector<std::string> keys;
    for (const auto& d : domains_)
      for (int i = 0; i < 3; ++i) keys.push_back(mkeys::domain(d, kWhat[i]));
    if (!keys.empty()) domains_ok_ = read_counts(*s.memory, keys, domain_counts_, 3);
  }

  std::vector<Finding> finish(Session& s) override {
    if (!s.memory || !s.conn.ip) return {};
    if (!net_ok_ || !domains_ok_)
      return {{"history", "temperror", "memory " + s.memory->describe() + " did not answer in time", {}}};
    std::string detail = describe("network " + network_, net_);
    const char* result = classify(net_);
    const char* domain_result = nullptr;
    auto authed = mkeys::authenticated_domains(s);
    for (std::size_t i = 0; i < domains_.size() && i < domain_counts_.size(); ++i) {
      if (std::find(authed.begin(), authed.end(), domains_[i]) == authed.end()) continue;
      const char* r = classify(domain_counts_[i]);
      detail += "; domain " + describe(domains_[i], domain_counts_[i]);
      if (!domain_result || std::string_view(r) == "known-good" ||
          (std::string_view(r) == "bad-history" && std::string_view(domain_result) != "known-good"))
        domain_result = r;
    }
    std::string_view d = domain_result ? domain_result : "";
    if (d == "known-good") result = "known-good";
    else if (d == "bad-history") result = "bad-history";
    else if (d == "mixed" && std::string_view(result) == "new") result = "mixed";
    return {{"history", result, detail, {}}};
  }

 private:
  std::string network_;
  Counts net_;
  bool net_ok_ = true;
  std::vector<std::string> domains_;
  std::vector<Counts> domain_counts_;
  bool domains_ok_ = true;
};

}  // namespace

CheckInfo history_check_info() {
  return {
      "history",
      "what the memory remembers of the client network (/24, /64) and the authenticated sender domain",
      {
          {"known-good", 2.0, "a network or authenticated domain that sent us clean mail before: "
                              "rspamd's reputation plugin gives up to a few points the same way"},
          {"mixed", 0.0, "some history, no clear direction"},
          {"new", 0.0, "first contact is not evidence either way"},
          {"probing", -2.0, "EHLO-QUIT and \".\" bots from this network recently (seeds 000-002)"},
          {"bad-history", -2.5, "mostly quarantined or rejected before"},
          {"temperror", 0.0, "the memory did not answer: never evidence"},
      },
      {
          {"history-half-life", OptKind::number, "30",
           "Days after which a remembered message counts half (history of networks and domains).",
           {}, [](const std::string& v) {
             double d = std::strtod(v.c_str(), nullptr);
             return d >= 0.01 && d <= 3650 ? std::string() : std::string("is out of range (0.01 to 3650 days)");
           }},
      },
      [](const Config&) { return std::make_unique<History>(); },
  };
}

}  // namespace legit
