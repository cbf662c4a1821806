// spf_dns.h — the DNS layer libspf2 asks during an SPF evaluation: a custom
// SPF_dns_server_t that answers from the shared legit::Resolver (no
// res_query, no second cache), plus RAII owners for every libspf2 handle.
//
// One SpfDns (shared_ptr-owned) serves exactly one evaluation. libspf2 gets
// one long-lived SPF_server_t per receiver name (shared_server(): a shared
// SPF_server_t is thread-safe, libspf2's README) whose DNS layer has no
// per-evaluation state: its callbacks answer for the SpfDns made current on
// the calling thread by a CurrentEvaluation, which lives exactly as long as
// one synchronous SPF_request_query_mailfrom() call on that thread. Mapping of resolver outcomes to
// what libspf2 expects (h_errno style): ok → NETDB_SUCCESS with the records
// (A/AAAA text parsed back to in_addr/in6_addr, MX/PTR names, TXT strings),
// nxdomain → HOST_NOT_FOUND, nodata → NO_DATA, temperror → TRY_AGAIN (and
// remembered: libspf2 sometimes reports a failed top-level TXT lookup as
// "(invalid)" only), malformed → NO_RECOVERY. Records that do not parse
// (hostile answers) are dropped, never passed on.
//
// What this layer fixes in libspf2 1.2.10 (an RFC 4408-era library), per
// RFC 7208: SPF records come from TXT only (§3.1; libspf2 asks type 99
// first); a record is "v=spf1" followed by a space or the end (§4.5;
// libspf2 needs the space); more than one record is permerror (§4.5);
// the 10 DNS-querying terms limit and the 2 void lookups limit (§4.6.4) are
// counted here and enforced by spf_eval (libspf2 lets an 11th term run and
// knows no void limit); more than 10 MX names is permerror, more than 10 PTR
// names are cut to 10 (§4.6.4; libspf2 says permerror for both). Records are
// handed over pruned for the client (spf_record.h): libspf2's compiler
// silently drops every mechanism past ~512 compiled bytes (64 ip4 or 26 ip6
// mechanisms: "-all" lost, neutral instead of fail); if it still drops any,
// the result is permerror naming the reason. "a"/"mx" with "/0" arrive as
// marker names (a0_marker) answered here: one term, void when nothing is found.
//
// Cancellation: cancel() (called when the check is destroyed, or after the
// overall deadline) makes every later lookup answer TRY_AGAIN without
// touching the Resolver, so a worker that outlives its Session never uses
// anything but this object. The Resolver must outlive every cancel() caller.
#pragma once

extern "C" {
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <spf2/spf.h>
}

#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <map>
#include <string>

#include "legit/dns.h"

namespace legit::spf {

struct RequestFree { void operator()(SPF_request_t* p) const { SPF_request_free(p); } };
struct ResponseFree { void operator()(SPF_response_t* p) const { SPF_response_free(p); } };
using RequestPtr = std::unique_ptr<SPF_request_t, RequestFree>;
using ResponsePtr = std::unique_ptr<SPF_response_t, ResponseFree>;

// RFC 7208 §4.6.4 limits.
constexpr int kMaxTerms = 10;       // DNS-querying mechanisms and modifiers
constexpr int kMaxVoid = 2;         // lookups answering NXDOMAIN or no records
constexpr std::size_t kMaxMx = 10;  // MX names per mx mechanism
constexpr std::size_t kMaxPtr = 10; // PTR names looked at per ptr mechanism

// What the layer saw during one evaluation (read after it has finished).
struct DnsStats {
  bool temperror = false;    // some lookup failed temporarily
  std::string temp_why;      // "<name>/<type>: timeout"
  int terms = 0;             // DNS-querying terms (a, mx, ptr, exists, include, redirect)
  int voids = 0;             // void lookups among them
  std::string limit;         // non-empty: an RFC 7208 limit was exceeded, and why
  bool top_level_seen = false;  // the first record lookup (the identity's own) happened
  bool broad = false;         // a record on the way authorises every client (spf_record.h)
  bool neutral_only = false;  // the identity's own record is nothing but "?all"
};

class SpfDns {
 public:
  // `cache_only`: an evaluation that may use answers the Resolver already
  // holds (a ready DnsLookup: an answer-cache hit) and nothing else. The
  // first lookup that is not ready yet marks the evaluation missed() and
  // cancels it (its query stays started upstream, so the evaluation run
  // again on a pool thread finds it answered or in flight); its outcome
  // must then be thrown away.
  SpfDns(Resolver& r, std::chrono::steady_clock::time_point deadline, bool cache_only = false)
      : resolver_(r), deadline_(deadline), cache_only_(cache_only) {}

  // Stops all later lookups (they answer TRY_AGAIN, the Resolver is not used).
  void cancel();
  DnsStats stats() const;
  // A cache_only evaluation needed an answer not in hand (see above).
  bool missed() const;

  // Called by the C layer (public for the trampolines).
  SPF_dns_rr_t* lookup(SPF_dns_server_t* srv, const char* domain, ns_type type);
  SPF_errcode_t get_spf(SPF_server_t* server, SPF_request_t* req, SPF_response_t* resp,
                        SPF_record_t** record);

 private:
  DnsAnswer query(const std::string& name, DnsType type);
  // Counts a lookup as an RFC 7208 term when it is one; true when it is the
  // address lookup of a name from a PTR answer.
  bool count_term(const std::string& name, ns_type type);
  void count_void(const DnsAnswer& a);
  void note_temperror(const std::string& name, DnsType type, const DnsAnswer& a);
  // "a"/"mx" with a /0 length (a marker name): any address of the family.
  DnsAnswer any_address(const std::string& kind, const std::string& domain);

  Resolver& resolver_;
  const std::chrono::steady_clock::time_point deadline_;
  const bool cache_only_;
  mutable std::mutex mu_;
  bool cancelled_ = false;
  bool missed_ = false;
  DnsStats stats_;
  // Names from MX (false) and PTR (true) answers: their address lookups are
  // part of that term, not terms of their own.
  std::map<std::string, bool> targets_;
  bool counted_term_ = false;       // the current lookup was a term (for void counting)
};

// The process-wide SPF_server_t for `receiver` (this host's name, for
// %{r}), made on first use and kept until exit, explanation default empty
// (and never fetched: SpfDns::lookup answers every TXT with NO_DATA);
// nullptr when out of memory. Its lookups answer TRY_AGAIN on a thread
// without a CurrentEvaluation.
SPF_server_t* shared_server(const std::string& receiver);

// Makes `dns` the evaluation the shared servers' DNS layer answers for, on
// this thread, until destroyed. Not nestable.
class CurrentEvaluation {
 public:
  explicit CurrentEvaluation(SpfDns& dns);
  ~CurrentEvaluation();
  CurrentEvaluation(const CurrentEvaluation&) = delete;
  CurrentEvaluation& operator=(const CurrentEvaluation&) = delete;
};

// Converts one resolver answer to libspf2's RR set (exposed for unit tests).
// Records of the wrong shape are skipped; MX are ordered by preference.
SPF_dns_rr_t* to_spf_rr(SPF_dns_server_t* srv, const char* domain, ns_type type,
                        const DnsAnswer& a);

// True when `rec` is an SPF version 1 record: "v=spf1" (any case) followed by
// a space or the end (RFC 7208 §4.5).
bool is_spf1_record(std::string_view rec);

}  // namespace legit::spf
