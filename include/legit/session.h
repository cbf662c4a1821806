// session.h — what the checks see: facts about the connection (kept across
// messages) and about the current message (reset at each MAIL FROM).
//
// All text in here came from the SMTP client or the MTA and is untrusted.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "legit/config.h"
#include "legit/dns.h"
#include "legit/ip.h"
#include "legit/rdns.h"

namespace legit {

class Memory;

struct Connection {
  std::optional<IpAddress> ip;   // nullopt when the MTA gave no IP (local/unix)
  std::string addr_text;         // client address as the MTA gave it
  std::string client_name;       // MTA's verified name, or "unknown"
  std::string helo;              // last HELO/EHLO argument, as given
  bool helo_seen = false;
  std::string auth_user;         // SASL login ({auth_authen}); "" = none
  bool trusted = false;          // client IP in trusted-networks
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
  std::string spf_helo;             // RFC 8601 result of "spf-helo"
  std::string spf_helo_domain;
  struct Dkim {
    std::string domain;             // d=, lower-case
    std::string selector;           // s=
    std::string result;             // RFC 8601 result of this signature
  };
  std::vector<Dkim> dkim;
};

struct Message {
  std::string queue_id;
  std::string mail_from;         // envelope sender without <>; "" = null sender
  std::vector<std::string> rcpts;
  std::vector<HeaderField> headers;  // as received (capped; see Session::kMaxHeaders)
  std::size_t header_bytes = 0;
  std::size_t body_bytes = 0;
  AuthFacts auth;
};

class Session {
 public:
  static constexpr std::size_t kMaxHeaders = 1000;

  Session(const Config& c, Resolver& r) : config(c), resolver(r) {}

  const Config& config;
  Resolver& resolver;
  Connection conn;
  Message msg;
  ReverseDns rdns;  // started at connect when the client has an IP
  int messages = 0; // MAIL FROMs seen on this connection
  Memory* memory = nullptr;  // sender memory (memory.h); nullptr = none

  // Domain part of the envelope sender, lower-case; "" for <> or no '@'.
  std::string mail_from_domain() const;
};

}  // namespace legit
