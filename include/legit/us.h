// us.h — who "we" are, with no configuration needed: the names and
// addresses a client must not claim (helo claims-us) and that make a
// recipient domain ours (relay). One notion, shared by both checks.
//
// Our names: the `hostname` option, `helo-our-names`, `authserv-id`, and
// Postfix's $myhostname (the `j` macro). Our addresses: `helo-our-addresses`
// and the address the client connected to (`{daemon_addr}`). A recipient
// domain is ours when it is one of our names or in `our-domains`, or when
// one of its MX hosts (any preference: a backup-MX domain lists us) — or,
// without MX, the domain itself — is one of our names or resolves to one of
// our addresses. Bad input never throws: unparsable addresses are ignored.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "legit/dns.h"
#include "legit/ip.h"
#include "legit/session.h"

namespace legit {

class Us {
 public:
  static Us of(const Session& s);

  bool name(std::string_view host) const;       // case-insensitive, trailing dot ignored
  bool address(const IpAddress& ip) const;
  // The client is one of us (our address): it may say our names.
  bool client_is_us(const Session& s) const { return s.conn.ip && address(*s.conn.ip); }

 private:
  std::vector<std::string> names_;
  std::vector<Network> nets_;
  std::optional<IpAddress> daemon_;
};

// The exchanges of MX records as DnsAnswer holds them ("<pref> <host>"):
// lower-case, no dot, preference order, the null MX "0 ." and junk left out.
std::vector<std::string> mx_hosts(const std::vector<std::string>& records);

// Lower-case domain of a recipient address ("<a@B.example>" → "b.example"),
// "" when it has none; a UTF-8 domain (SMTPUTF8, "jörg@bäckerei.example")
// comes back as its A-labels (dns_domain), the form DNS and our config use.
std::string rcpt_domain(std::string_view rcpt);

}  // namespace legit
