// options.cc — the one table of core options (core_options()): name, kind,
// default, one line of help, and the value check of options whose form is
// narrower than their kind (socket, dns-server, dns-timeout, authserv-id,
// hostname, user, reject-reply, trusted-networks, socket-mode, socket-group,
// max-sessions, idle-timeout, stop-timeout).
//
// Nothing here throws for bad input: each check returns "" for a good value
// and otherwise the reason, phrased to follow the quoted value
// ("is not a network"), which config.cc turns into
// "option 'trusted-networks': '10.0.0.0/33' is not a network".
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "legit/config.h"
#include "legit/dns.h"
#include "legit/ip.h"
#include "legit/memory.h"
#include "names.h"

namespace legit {
namespace {

// "1".."65535", digits only.
bool is_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && v >= 1 && v <= 65535;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// An address literal as inet_pton takes it (no SMTP "IPv6:" prefix).
std::optional<IpAddress> plain_ip(std::string_view s) {
  if (starts_with_ci(s, "ipv6:")) return std::nullopt;
  return IpAddress::parse(s);
}

std::string check_socket(const std::string& v) {
  const std::string form =
      "is not a milter socket (inet:PORT@HOST, inet6:PORT@HOST, unix:/path or local:/path)";
  std::string_view s = v;
  for (std::string_view pre : {"unix:", "local:"}) {
    if (s.substr(0, pre.size()) != pre) continue;
    std::string_view path = s.substr(pre.size());
    if (path.empty() || path[0] != '/') return form;
    if (path.size() > 107) return "is too long for a unix socket path (at most 107 bytes)";
    for (char c : path)
      if (static_cast<unsigned char>(c) < 0x20) return form;
    return "";
  }
  bool v6 = s.substr(0, 6) == "inet6:";
  if (!v6 && s.substr(0, 5) != "inet:") return form;
  s.remove_prefix(v6 ? 6 : 5);
  auto at = s.find('@');
  if (!is_port(s.substr(0, at))) return form;
  if (at == std::string_view::npos) return "";  // PORT alone: every interface
  std::string_view host = s.substr(at + 1);
  if (auto ip = plain_ip(host)) {
    if (v6 && ip->is_v4()) return "needs an IPv6 address after inet6:";
    if (!v6 && !ip->is_v4()) return "needs an IPv4 address after inet: (use inet6: for IPv6)";
    return "";
  }
  return is_hostname(host) ? "" : form;
}

// The metrics endpoint (milter/insight/metrics_http.cc): TCP on an address
// literal only, as civetweb binds it; empty = off.
std::string check_metrics_listen(const std::string& v) {
  if (v.empty()) return "";
  std::string_view s = v;
  bool v6 = s.substr(0, 6) == "inet6:";
  const char* form = "is not inet:PORT@IPv4 or inet6:PORT@IPv6 (e.g. inet:9095@127.0.0.1)";
  if (!v6 && s.substr(0, 5) != "inet:") return form;
  s.remove_prefix(v6 ? 6 : 5);
  auto at = s.find('@');
  if (at == std::string_view::npos || !is_port(s.substr(0, at))) return form;
  auto ip = plain_ip(s.substr(at + 1));
  return ip && ip->is_v4() != v6 ? "" : form;
}

std::string check_dns_server(const std::string& v) {
  std::string_view s = v;
  auto at = s.rfind('@');
  if (at != std::string_view::npos && !is_port(s.substr(at + 1)))
    return "is not a DNS server (IP or IP@port, port 1..65535)";
  if (!plain_ip(s.substr(0, at))) return "is not a DNS server (IP or IP@port)";
  return "";
}

std::string check_timeout(const std::string& v) {
  double d = std::strtod(v.c_str(), nullptr);  // the number kind is checked first
  return d > 0 && d <= 60 ? "" : "is out of range (more than 0, at most 60 seconds)";
}

// RFC 8601 authserv-id: a token (RFC 2045) when not quoted; we never quote it.
std::string check_authserv_id(const std::string& v) {
  if (v.size() > 255) return "is too long for an authserv-id (at most 255 bytes)";
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos)
      return "is not an authserv-id (RFC 8601 token: no spaces, ';', quotes or other specials)";
  }
  return "";
}

std::string check_hostname(const std::string& v) {
  return v.empty() || is_hostname(v) ? "" : "is not a host name";
}

std::string check_user(const std::string& v) {
  if (v.empty()) return "";
  if (v.size() > 32 || v[0] == '-') return "is not a user name";
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return "is not a user name";
  return "";
}

std::string check_group(const std::string& v) {
  return check_user(v).empty() ? "" : "is not a group name";
}

// The engine replaces one "%s" with the score; libmilter drops a reply with
// any other '%', and with CR/LF.
std::string check_reply(const std::string& v) {
  if (v.empty()) return "is empty";
  if (v.size() > 400) return "is too long for an SMTP reply (at most 400 characters)";
  int placeholders = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto u = static_cast<unsigned char>(v[i]);
    if (u < 0x20 || u >= 0x7f) return "contains a character that is not printable ASCII";
    if (v[i] != '%') continue;
    if (i + 1 >= v.size() || v[i + 1] != 's')
      return "contains '%' not followed by 's' (only one '%s' is allowed)";
    ++placeholders;
  }
  return placeholders <= 1 ? "" : "contains more than one '%s'";
}

std::string check_cache_size(const std::string& v) {
  double d = std::strtod(v.c_str(), nullptr);
  return d >= 0 && d <= 10000000 && d == static_cast<double>(static_cast<long long>(d))
             ? ""
             : "is not a whole number from 0 to 10000000";
}

std::string check_canary(const std::string& v) {
  if (v == "auto" || v == "none") return "";
  std::string why;
  return parse_canary(v, &why) ? "" : why;
}

std::string check_probe_interval(const std::string& v) {
  double d = std::strtod(v.c_str(), nullptr);
  return d >= 1 && d <= 3600 ? "" : "is not from 1 to 3600 seconds";
}

// "0660": 3 or 4 octal digits, at most 0777 (no setuid/setgid/sticky bits).
std::string check_mode(const std::string& v) {
  if (v.size() < 3 || v.size() > 4 || v.find_first_not_of("01234567") != std::string::npos ||
      (v.size() == 4 && v[0] != '0'))
    return "is not a file mode (octal, e.g. 0660)";
  return "";
}

// A whole number within [lo, hi].
std::string check_whole(const std::string& v, double lo, double hi, const char* what) {
  double d = std::strtod(v.c_str(), nullptr);  // the number kind is checked first
  if (d != static_cast<double>(static_cast<long long>(d)) || d < lo || d > hi) return what;
  return "";
}

std::string check_memory_size(const std::string& v) {
  double d = std::strtod(v.c_str(), nullptr);
  return d >= 0.0625 && d <= 1048576 ? "" : "is out of range (0.0625 to 1048576 MiB)";
}

std::string check_memory_timeout(const std::string& v) {
  double d = std::strtod(v.c_str(), nullptr);
  return d > 0 && d <= 5 ? "" : "is out of range (more than 0, at most 5 seconds)";
}

std::string check_stop_timeout(const std::string& v) {
  double d = std::strtod(v.c_str(), nullptr);
  return d >= 0 && d <= 300 ? "" : "is out of range (0 to 300 seconds)";
}

std::string check_network(const std::string& v) {
  return Network::parse(v) ? "" : "is not a network";
}

}  // namespace

const std::vector<OptionSpec>& core_options() {
  using K = OptKind;
  static const std::vector<OptionSpec> table = {
      {"socket", K::string, "inet:8895@127.0.0.1",
       "Where to listen for the MTA: inet:PORT@HOST, inet6:PORT@HOST, unix:/path or local:/path "
       "(Postfix: smtpd_milters = inet:127.0.0.1:8895).", {}, check_socket},
      {"user", K::string, "",
       "Drop privileges to this user after the socket is bound; empty = keep running as started.",
       {}, check_user},
      {"socket-mode", K::string, "0660",
       "Permissions of a unix socket, set explicitly once it is created (octal; the umask does "
       "not count): 0660 = its owner and group only.", {}, check_mode},
      {"socket-group", K::string, "",
       "Group of a unix socket, e.g. postfix: with socket-mode 0660 only Postfix can connect. "
       "Empty = the group it is created with.", {}, check_group},
      {"max-sessions", K::number, "500",
       "Milter connections served at once (1..100000); beyond, a new connection is answered at "
       "once with the on-error action (logged once a minute). The open-file limit is raised to "
       "match at start.", {},
       [](const std::string& v) { return check_whole(v, 1, 100000, "is not a whole number from 1 to 100000"); }},
      {"idle-timeout", K::number, "600",
       "Seconds a milter connection may stay silent (and the limit on one read or write) before "
       "libmilter closes it (1..86400); above Postfix's smtpd_timeout (300 s).", {},
       [](const std::string& v) { return check_whole(v, 1, 86400, "is not a whole number of seconds from 1 to 86400"); }},
      {"log", K::choice, "auto",
       "Where log lines go: syslog (facility mail), stderr, or auto = syslog when /dev/log exists.",
       {"auto", "syslog", "stderr"}},
      {"hostname", K::string, "",
       "This host's name, as used in headers and replies; empty = the system host name (gethostname).",
       {}, check_hostname},
      {"authserv-id", K::string, "",
       "The authserv-id of our Authentication-Results headers (RFC 8601); empty = hostname. "
       "Incoming A-R headers carrying it are removed as forged.", {}, check_authserv_id},
      {"dns-server", K::list, "",
       "DNS servers to forward every lookup to, each IP or IP@port; empty = those of /etc/resolv.conf.",
       {}, check_dns_server},
      {"dns-timeout", K::number, "5",
       "Seconds to wait for one DNS answer (more than 0, at most 60); a lookup that takes longer "
       "is a temperror, never evidence.", {}, check_timeout},
      {"dns-cache-size", K::number, "50000",
       "DNS answers kept in the answer cache (held for their TTL, least recently used dropped "
       "first); 0 = no cache.", {}, check_cache_size},
      {"dns-canary", K::list, "auto",
       "Canary queries of the resolver health probe, NAME (type NS) or NAME/TYPE; auto = the "
       "root's NS and the authserv-id's domain; none = no probe. While no canary answers, "
       "lookups answer temperror at once.", {}, check_canary},
      {"dns-probe-interval", K::number, "60",
       "Seconds between two health probes of the resolver (every 10 s at most while unhealthy).",
       {}, check_probe_interval},
      {"mode", K::choice, "enforce",
       "enforce = quarantine and reject as scored; dry-run = add the headers and only log what "
       "would have been done.", {"enforce", "dry-run"}},
      {"quarantine-below", K::number, "-4",
       "Put a message in the hold queue when its score is below this."},
      {"reject-below", K::number, "-8",
       "Reject a message (550 5.7.1) when its score is below this; must not be above "
       "quarantine-below."},
      {"reject-reply", K::string, "Message rejected: sender failed legitimacy checks (score %s)",
       "Text of the 550 5.7.1 reply; one '%s' is replaced by the score; printable ASCII, no other '%'.",
       {}, check_reply},
      {"on-error", K::choice, "accept",
       "When the milter itself fails, and when a reject would rest on a DNS temperror: accept "
       "(the message goes on; a reject becomes a quarantine) or tempfail (4xx, the client retries).",
       {"accept", "tempfail"}},
      {"trusted-networks", K::list, "127.0.0.0/8 ::1/128",
       "Clients in these networks (CIDR) are not scored: the message passes without checks.",
       {}, check_network},
      {"skip-authenticated", K::boolean, "yes",
       "Do not score messages from SMTP AUTH (SASL) authenticated clients."},
      {"memory", K::string, "lmdb:/var/lib/legit-milter/memory.lmdb",
       "Sender memory (history, correspondents, greylisting): lmdb:/path (embedded), "
       "redis://host[:port][/db] or unix:/path[?db=N] (shared by a fleet), or none. A store that "
       "cannot be opened or answers late is logged and mail flows.", {}, check_memory_spec},
      {"memory-size", K::number, "128",
       "Largest size of the LMDB file in MiB (about 170 bytes per remembered record); with Redis, "
       "of the local copy (memory-replica).", {},
       check_memory_size},
      {"memory-replica", K::boolean, "yes",
       "With Redis: keep a local copy of the memory, in step with the fleet's write log, and read "
       "it instead of Redis (no round trip per message). Larger memories than memory-size are not "
       "copied."},
      {"memory-timeout", K::number, "0.02",
       "Seconds one Redis call may take during the SMTP dialogue; later = temperror, mail flows.",
       {}, check_memory_timeout},
      {"memory-password-file", K::string, "",
       "File whose first line is the Redis password (or 'user password' for a Redis ACL user)."},
      {"memory-secret-file", K::string, "",
       "File whose first line (16+ characters) keys the hashes of addresses; the same on every MX "
       "host. Empty = a random secret kept in the store itself."},
      {"metrics-listen", K::string, "",
       "Serve Prometheus metrics on GET /metrics at inet:PORT@IP (e.g. inet:9095@127.0.0.1); "
       "empty = off. Read at start only.", {}, check_metrics_listen},
      {"stop-timeout", K::number, "10",
       "On SIGTERM: seconds messages in flight may take to finish before the milter exits "
       "(0 to 300); new connections meanwhile get the on-error action.", {}, check_stop_timeout},
  };
  return table;
}

}  // namespace legit
