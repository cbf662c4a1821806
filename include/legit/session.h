// session.h — what the checks see: facts about the connection (kept across
// messages) and about the current message (reset at each MAIL FROM).
//
// All text in here came from the SMTP client or the MTA and is untrusted.
#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "legit/config.h"
#include "legit/dns.h"
#include "legit/dns_stats.h"
#include "legit/ip.h"
#include "legit/memory.h"
#include "legit/rdns.h"

namespace legit {

struct Connection {
  std::optional<IpAddress> ip;   // nullopt when the MTA gave no IP (local/unix)
  std::string addr_text;         // client address as the MTA gave it
  std::string client_name;       // MTA's verified name, or "unknown"
  std::string helo;              // last HELO/EHLO argument, as given
  bool helo_seen = false;
  std::string auth_user;         // SASL login ({auth_authen}); "" = none
  bool trusted = false;          // client IP in trusted-networks
  std::string our_name;          // the MTA's own name (Postfix $myhostname, macro j); "" = unknown
  std::string our_addr;          // the address the client connected to ({daemon_addr}); "" = unknown
};

struct HeaderField {
  std::string name;
  std::string value;
};

// Results that checks publish for checks later in the registry (DMARC reads
// what SPF and DKIM found). Filled in finish(), per message.
struct AuthFacts {
  std::string spf_mailfrom;         // RFC 8601 result of "spf", "" = not evaluated
  std::string spf_mailfrom_domain;  // the domain SPF evaluated
  bool spf_mailfrom_broad = false;  // that pass authorises every client (no evidence)
  std::string spf_helo;             // RFC 8601 result of "spf-helo"
  std::string spf_helo_domain;
  struct Dkim {
    std::string domain;             // d=, lower-case
    std::string selector;           // s=
    std::string result;             // RFC 8601 result of this signature
  };
  std::vector<Dkim> dkim;
  // The client's own name, for the anonymous check: ptr's result word and
  // helo's first result word ("" = the check reported nothing); and whether
  // the postmaster vouches for the message (allowlist's word, "" = none).
  std::string ptr;
  std::string helo;
  std::string allowlist;
};

// How the MTA routes a recipient (Postfix's {rcpt_mailer} and {rcpt_host}
// at RCPT: the transport and the next hop). Empty mailer = the MTA did not say.
struct RcptRoute {
  std::string mailer;
  std::string host;
};

struct Message {
  std::string queue_id;
  std::string mail_from;         // envelope sender without <>; "" = null sender
  std::vector<std::string> rcpts;
  // MX lookups of the recipient domains (lower-case domain → lookup), for
  // the first kMaxRcptDomains distinct domains; started by the first check
  // that asks (Session::want_rcpt_mx), shared by helo (claims-us) and relay.
  std::map<std::string, DnsLookup> rcpt_mx;
  // The route of the first recipient of each domain (same cap), for relay.
  std::map<std::string, RcptRoute> rcpt_routes;
  std::vector<HeaderField> headers;  // as received (capped; see Session::kMaxHeaders)
  // The first From field's value (whole, past the headers cap too) and how
  // many From fields came: dmarc, lookalike and display-name read these.
  std::string first_from;
  std::size_t from_count = 0;
  std::size_t header_bytes = 0;
  std::size_t body_bytes = 0;
  bool absent = false;  // no message at all (Dialogue::no_message), not an empty one
  AuthFacts auth;
};

// Passes every lookup on to the shared resolver and counts them, so the log
// line can say how many lookups a message cost (and dns_stats().lookups
// counts them process-wide). Thread-safe (SPF evaluates on a worker thread).
class CountingResolver final : public Resolver {
 public:
  explicit CountingResolver(Resolver& inner) : inner_(inner) {}
  DnsLookup lookup(std::string_view name, DnsType type) override {
    count_.fetch_add(1, std::memory_order_relaxed);
    dns_stats().lookups.fetch_add(1, std::memory_order_relaxed);
    return inner_.lookup(name, type);
  }
  int count() const { return count_.load(std::memory_order_relaxed); }

 private:
  Resolver& inner_;
  std::atomic<int> count_{0};
};

class Session {
 public:
  static constexpr std::size_t kMaxHeaders = 1000;
  static constexpr std::size_t kMaxRcptDomains = 5;

  Session(const Config& c, Resolver& r) : config(c), counted_(r), resolver(counted_) {}

  const Config& config;

 private:
  CountingResolver counted_;  // declared before `resolver`, which refers to it

 public:
  Resolver& resolver;  // every lookup of this connection goes through here
  Connection conn;
  Message msg;
  ReverseDns rdns;  // started at connect when the client has an IP
  int messages = 0; // MAIL FROMs seen on this connection
  Memory* memory = nullptr;  // sender memory (memory.h); nullptr = none
  MessageReads reads;        // this message's memory reads, one batch (memory.h)

  // Domain part of the envelope sender, lower-case; "" for <> or no '@'.
  std::string mail_from_domain() const;
  // Lookups started through `resolver` since the connection opened.
  int dns_lookups() const { return counted_.count(); }
  // Starts the MX lookup of this recipient's domain unless it runs already
  // (or kMaxRcptDomains are running, or it has no domain).
  void want_rcpt_mx(std::string_view rcpt);
};

}  // namespace legit
