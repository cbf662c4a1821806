// keys.h — what the memory checks and the recorder store, under which key,
// for how long. One place, so the readers (milter/checks/history.cc,
// correspondent.cc, greylist.cc), the writer (recorder.cc) and
// `legit-milter memory show|forget` agree.
//
//   h:n:NET:{ok,q,rej}    messages accepted/quarantined/rejected from the
//                         client network (IPv4 /24, IPv6 /64), decaying with
//                         history-half-life, gone after 6 half-lives
//   h:n:NET:probe         probe sessions (EHLO-QUIT, "." bots), half-life
//                         1 day, gone after 7 days
//   h:d:DOMAIN:{ok,q,rej} the same per authenticated sender domain
//                         (registrable domain of an SPF pass or aligned DKIM pass)
//   c:a:HASH              an address our authenticated users wrote to (400 days)
//   c:m:HASH              a Message-ID our users sent (60 days)
//   c:s:HASH              an envelope sender of our users (bounce test; 7 days)
//   g:t:HASH              greylisting triplet (network, sender, recipient):
//                         first seen, kept greylist-window
//   g:ok:HASH             a triplet that retried and passed (35 days)
//   g:n:NET, g:d:DOMAIN   greylisting passes of a network / SPF-pass domain (35 days)
//   g:i:OWNER:THASH       index: triplet THASH (of g:t: / g:ok:) involves OWNER,
//                         the network or the HASH of its sender or recipient;
//                         kept as long as the triplet, so `memory forget
//                         ADDRESS|NETWORK` finds the triplets to erase
//   w:ID                  Redis only, not a record: the highest update sequence
//                         a writer (one milter process) applied (7 days), so a
//                         re-sent batch counts once (redis_store.cc)
// HASH = Memory::hash (keyed SipHash of the lower-cased text): addresses and
// Message-IDs are never stored in clear. Networks and domains are.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "legit/ip.h"
#include "legit/session.h"

namespace legit::mkeys {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kAddressTtl = 400 * kDay;
constexpr std::int64_t kMessageIdTtl = 60 * kDay;
constexpr std::int64_t kOurSenderTtl = 7 * kDay;
constexpr std::int64_t kGreyPassedTtl = 35 * kDay;
constexpr double kProbeHalfLife = 1.0 * kDay;
constexpr std::int64_t kProbeTtl = 7 * kDay;

// "192.0.2.0/24", "2001:db8:1:2::/64".
std::string network_of(const IpAddress& ip);

// Key parts, so a reader adds a key to MessageReads (memory.h) without
// building a string: kNet + NETWORK + kCounters[i] is net(NETWORK, what).
inline constexpr std::string_view kNet = "h:n:", kDomain = "h:d:";
inline constexpr std::string_view kCounters[] = {":ok", ":q", ":rej", ":probe"};
inline constexpr std::string_view kAddress = "c:a:", kMessageId = "c:m:", kOurSender = "c:s:";
inline constexpr std::string_view kTriplet = "g:t:", kTripletOk = "g:ok:", kGreyNet = "g:n:", kGreyDomain = "g:d:";
inline constexpr std::string_view kTripletIndex = "g:i:";

inline std::string net(std::string_view network, std::string_view what) {
  return std::string(kNet).append(network).append(":").append(what);
}
inline std::string domain(std::string_view d, std::string_view what) {
  return std::string(kDomain).append(d).append(":").append(what);
}
// g:i:OWNER: (every triplet of OWNER) and g:i:OWNER:THASH (one of them).
inline std::string triplet_index(std::string_view owner, std::string_view triplet = {}) {
  return std::string(kTripletIndex).append(owner).append(":").append(triplet);
}

// Registrable domain of the From field ("" without exactly one From field
// with a domain), parsed once per call: callers keep it for the message.
std::string from_registrable(const Session& s);
// Registrable domains of the envelope sender and of the From field (as
// candidates, before SPF/DKIM are known), no duplicates.
std::vector<std::string> candidate_domains(Session& s);
// Those of the candidates authenticated by an SPF pass of the envelope
// sender or a DKIM pass with the same registrable domain as From (`from`).
std::vector<std::string> authenticated_domains(const Session& s, const std::string& from);

// The same, computed once per message and kept in s.reads.shared (memory.h):
// the client network (the session must have an IP), the registrable domain
// of the envelope sender and of From, and the authenticated domains (only
// once SPF and DKIM have finished: at end-of-data, after their finish()).
const std::string& network(Session& s);
const std::string& sender_domain(Session& s);
const std::string& from_domain(Session& s);
const std::vector<std::string>& authenticated(Session& s);

// The address as the memory keys it: with its domain in A-labels when the
// domain is written in UTF-8 (SMTPUTF8), so `jörg@bäckerei.example` and
// `jörg@xn--bckerei-5wa.example` are one correspondent, one triplet; the
// local part as written (Memory::hash lower-cases ASCII). The usual, ASCII
// address comes back as it is (no copy); a converted one lives in `buf`.
// Bad input (no '@', a domain IDNA refuses) comes back as written.
std::string_view address(std::string_view addr, std::string& buf);

// Message-IDs in In-Reply-To and References (at most 20), "<...>" kept.
std::vector<std::string> referenced_ids(const Session& s);
// The Message-ID field's id, "" if none.
std::string message_id(const Session& s);

}  // namespace legit::mkeys
