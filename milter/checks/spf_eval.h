// spf_eval.h — one SPF check_host() evaluation (RFC 7208) with libspf2, for
// both the MAIL FROM check (`spf`) and the HELO check (`spf-helo`), and its
// mapping to RFC 8601 result words (pass, fail, softfail, neutral, none,
// temperror, permerror) with libspf2's comment as detail (exp= explanations
// are never fetched: spf_dns.cc SpfDns::lookup says why).
//
// Threading (what libspf2 1.2.10 allows, and what we do): its README says
// "The SPF server is reusable, and thread-safe" and that "many requests" may
// run "in parallel threads on the same server" — read-only sharing of an
// SPF_server_t is allowed (SPF_server_get_record / SPF_record_interpret only
// read the server; all per-query state lives in SPF_request_t and
// SPF_response_t). We share one long-lived SPF_server_t per receiver name
// (spf_dns.h shared_server(): no SPF_server_new, no uname per message); the
// per-evaluation state (deadline, cancellation, the timeout seen, the RFC
// 7208 lookup counters) lives in an SpfDns that the server's DNS layer finds
// through a thread-local pointer set for exactly one synchronous evaluation
// on that thread (CurrentEvaluation). libspf2's global log handlers are set
// once (std::call_once) before the first evaluation.
//
// libspf2 is synchronous: its lookups block in our DNS layer on
// DnsLookup::get(). SpfJob therefore runs the evaluation on a thread of a
// small bounded pool (spf_pool.h) from MAIL FROM, so it is done (or nearly)
// by end-of-data. First, though, it runs it at once on the caller's thread
// from answers already in the answer cache only (SpfDns cache_only): when
// every lookup is a hit — the common case, a sender seen before — that is
// the result, and no thread hop is paid (issue 11: the hop, a futex wake
// and two task switches, cost more than the evaluation). The first lookup
// that is not in hand ends that attempt (its query stays started) and the
// evaluation runs on the pool as before; the outcome is the same either way. The job owns everything it touches (a copy of the query,
// a shared_ptr to the DNS layer; the Resolver outlives all sessions); the
// SpfJob's destructor cancels it, after which it never calls the Resolver
// again, so a still-running evaluation can never touch a destroyed Session.
// The whole evaluation is bounded (RFC 7208 §4.6.4: at least 20 s): wait()
// reports temperror once the budget is spent.
//
// Bad input never throws: an unusable IP or sender gives permerror/none with
// a reason; every text from DNS or the client in a detail is quoted.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "legit/dns.h"
#include "legit/finding.h"

namespace legit::spf {

class SpfDns;

struct SpfQuery {
  std::string ip;        // client address, textual IPv4 or IPv6
  std::string helo;      // HELO/EHLO argument as given (for %{h})
  std::string sender;    // check_host() <sender>: "local@domain" or "postmaster@<helo>"
  std::string domain;    // check_host() <domain>, lower-case, no trailing dot
  std::string receiver;  // this host's name (for %{r})
};

struct SpfOutcome {
  std::string result;    // RFC 8601 word
  std::string detail;    // quoted, one line
  // A pass (or neutral) that says nothing: the record authorises every
  // client (+all, a pass-qualified range >= /8 IPv4 or /16 IPv6, a/mx "/0")
  // or is nothing but "?all". The check's word gets "-broad"; A-R keeps the RFC word.
  bool broad = false;
};

// RFC 7208 §4.3: a <domain> check_host() can evaluate — at least two labels,
// each 1..63 bytes, at most 253 in all, printable ASCII without '@', '[',
// ']' or spaces (no address literals). One trailing dot allowed. Anything else is "none".
bool valid_spf_domain(std::string_view d);

// RFC 7208 §2.3: a HELO identity SPF can check — a valid domain that is not
// an IP address or address literal.
bool valid_helo_domain(std::string_view helo);

// Runs check_host() now, on this thread (blocking), within `budget`.
SpfOutcome evaluate_spf(Resolver& r, const SpfQuery& q, std::chrono::milliseconds budget);

// The same on a pool thread. Move-only; destroying it cancels the evaluation.
class SpfJob {
 public:
  SpfJob() = default;
  SpfJob(SpfJob&&) = default;
  SpfJob& operator=(SpfJob&& o) noexcept;
  SpfJob(const SpfJob&) = delete;
  SpfJob& operator=(const SpfJob&) = delete;
  ~SpfJob();

  static SpfJob start(Resolver& r, SpfQuery q, std::chrono::milliseconds budget);
  bool started() const { return ready_ || fut_.valid(); }
  // Blocks until the evaluation is done or the budget is spent (then temperror).
  SpfOutcome wait();

 private:
  void cancel();

  std::shared_ptr<SpfDns> dns_;
  // Evaluated on the caller's thread from the cache: the outcome itself, no
  // promise (its set_value is a futex syscall, ~1.4 per message).
  std::optional<SpfOutcome> ready_;
  std::shared_future<SpfOutcome> fut_;
  std::chrono::steady_clock::time_point deadline_{};
  std::chrono::milliseconds budget_{0};
};

// A Finding for check `check` ("spf", "spf-helo") of identity `value` under
// A-R property `prop` ("smtp.mailfrom", "smtp.helo"). Result words: the RFC
// word, or "pass-broad" / "neutral-broad" for a broad outcome.
Finding make_finding(const std::string& check, const std::string& prop, const std::string& value,
                     const SpfOutcome& o);

}  // namespace legit::spf
