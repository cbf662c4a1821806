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
// Reads: the network and both candidate domains (SPF/DKIM are only known at
// end-of-data), added at end of headers to the message's one read batch
// (Session::reads), answered at end-of-data.
#include <algorithm>
#include <charconv>
#include <cmath>

#include "../memory/keys.h"
#include "legit/check.h"
#include "legit/memory.h"

namespace legit {
namespace {

struct Counts {
  double ok = 0, q = 0, rej = 0, probe = 0;
  double bad() const { return q + rej; }
};

const char* classify(const Counts& c) {
  if (c.probe >= 3 && c.probe > c.ok) return "probing";
  if (c.bad() >= 3 && c.bad() > c.ok) return "bad-history";
  if (c.ok >= 3 && c.bad() <= c.ok / 5) return "known-good";
  if (c.ok + c.bad() + c.probe < 1) return "new";
  return "mixed";
}

// "%.1f" by std::to_chars (no printf per number: a message formats six).
void append_count(std::string& out, double v, std::string_view what) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 1);
  out.append(buf, r.ec == std::errc() ? r.ptr : buf).append(what);
}

void describe(std::string& out, std::string_view what, std::string_view name, const Counts& c) {
  out.append(what).append(name).append(": ");
  append_count(out, c.ok, " accepted, ");
  append_count(out, c.q, " quarantined, ");
  append_count(out, c.rej, " rejected");
  if (c.probe >= 0.05) {
    out += ", ";
    append_count(out, c.probe, " probes");
  }
}

// Counts from `per` consecutive answers (ok, q, rej[, probe]) at `first`.
Counts counts_at(const std::vector<std::optional<Record>>& recs, std::size_t first, std::size_t per) {
  Counts c;
  double* field[] = {&c.ok, &c.q, &c.rej, &c.probe};
  for (std::size_t i = 0; i < per; ++i)
    if (first + i < recs.size() && recs[first + i]) *field[i] = recs[first + i]->count;
  return c;
}

class History : public Check {
 public:
  void on_mail(Session&) override {
    domains_.clear();
    first_ = kNone;
  }

  // The network's 4 counters and 3 per candidate domain join the message's
  // read batch (SPF/DKIM are only known at end-of-data, so both candidates).
  void on_eoh(Session& s) override {
    if (!s.memory || !s.conn.ip) return;
    domains_ = mkeys::candidate_domains(s);
    const std::string& net = mkeys::network(s);
    first_ = s.reads.add(mkeys::kNet, net, mkeys::kCounters[0]);
    for (int i = 1; i < 4; ++i) s.reads.add(mkeys::kNet, net, mkeys::kCounters[i]);
    for (const auto& d : domains_)
      for (int i = 0; i < 3; ++i) s.reads.add(mkeys::kDomain, d, mkeys::kCounters[i]);
  }

  std::vector<Finding> finish(Session& s) override {
    if (!s.memory || !s.conn.ip || first_ == kNone) return {};
    const auto* recs = s.reads.answers(*s.memory);
    if (!recs)
      return {{"history", "temperror", "memory " + s.memory->describe() + " did not answer in time", {}}};
    Counts net = counts_at(*recs, first_, 4);
    std::string detail;
    detail.reserve(160);
    describe(detail, "network ", mkeys::network(s), net);
    const char* result = classify(net);
    const char* domain_result = nullptr;
    const auto& authed = mkeys::authenticated(s);
    for (std::size_t i = 0; i < domains_.size(); ++i) {
      if (std::find(authed.begin(), authed.end(), domains_[i]) == authed.end()) continue;
      Counts dc = counts_at(*recs, first_ + 4 + 3 * i, 3);
      const char* r = classify(dc);
      describe(detail, "; domain ", domains_[i], dc);
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
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::vector<std::string> domains_;
  std::size_t first_ = kNone;  // index of the network's first counter in s.reads
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
