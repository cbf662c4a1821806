// probe.cc — the one log line for a connection that never completed a
// message (engine.h, Dialogue::unknown_command / Dialogue::close): bots that
// EHLO and QUIT, send "." and drop, or leave before HELO.
//
//   NOQUEUE: client=NAME[IP] helo=<HELO> probe: WHAT [mail=N] [iprev=R] ptr=NAME|none
//
// WHAT, first that applies:
//   unknown-command "CMD" [count=N]  the MTA passed on a command it did not
//                                    recognise (the first one, quoted, 40 chars)
//   no-message                      MAIL FROM seen (mail=N) but no message
//                                    reached end-of-data (RCPT rejected, aborted)
//   ehlo-quit                       HELO/EHLO, then the connection ended
//   no-helo                         the connection ended before any HELO/EHLO
// A milter cannot tell QUIT from a dropped connection (Postfix sends the
// milter QUIT either way), so "ehlo-quit" covers both. Trusted and SASL-
// authenticated clients get no line; neither does a connection that
// completed a message (each message has its own line).
//
// iprev is the iprev check's own result (its finish(), the same code path as
// at end-of-data) once the shared reverse DNS is in; close waits for it at
// most dns-timeout plus a short grace (the resolver answers a lookup that
// started just before close by its own deadline, and a loaded machine may
// deliver that answer a little late) and otherwise logs
// "iprev=pending ptr=pending" rather than hold the milter thread longer. No iprev field for a client without
// an IP. DNS list results are not shown: the dnsbl check has no non-blocking
// way to expose its connect-time answers. Untrusted text is quoted and cut.
#include <chrono>
#include <string>
#include <thread>

#include "legit/engine.h"
#include "../memory/recorder.h"
#include "legit/headers.h"

namespace legit {
namespace {

constexpr std::size_t kMaxCommand = 40;   // shown in the log line
constexpr std::size_t kKeepCommand = 200; // kept per connection
constexpr auto kPoll = std::chrono::milliseconds(5);

// quote_untrusted, with '"' escaped too: the command sits between quotes.
std::string quote_command(std::string_view cmd) {
  std::string out;
  for (char ch : quote_untrusted(cmd, kMaxCommand)) out += ch == '"' ? std::string("\\x22") : std::string(1, ch);
  return out;
}

// Advances the shared rDNS until it is complete or `timeout` has passed.
bool wait_rdns(ReverseDns& rdns, double timeout) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
  for (;;) {
    rdns.advance();
    if (rdns.ready()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(kPoll);
  }
}

}  // namespace

void Dialogue::unknown_command(std::string_view cmd) {
  if (unknown_commands_ == 0) first_unknown_ = std::string(cmd.substr(0, kKeepCommand));
  if (unknown_commands_ < 1000000) ++unknown_commands_;
}

std::string Dialogue::probe_what() const {
  if (unknown_commands_ > 0)
    return "unknown-command \"" + quote_command(first_unknown_) + "\"" +
           (unknown_commands_ > 1 ? " count=" + std::to_string(unknown_commands_) : "");
  if (session_->messages > 0) return "no-message";
  return session_->conn.helo_seen ? "ehlo-quit" : "no-helo";
}

std::string Dialogue::probe_dns_facts() {
  auto& s = *session_;
  if (!s.conn.ip || !s.rdns.started()) return " ptr=none";
  constexpr double kGrace = 0.5;  // seconds past dns-timeout
  if (!wait_rdns(s.rdns, cfg_.dns_timeout + kGrace)) return " iprev=pending ptr=pending";
  std::string out;
  for (auto& [info, check] : checks_) {
    if (info->name != "iprev") continue;
    try {
      for (const auto& f : check->finish(s)) out += " iprev=" + quote_untrusted(f.result, 32);
    } catch (...) {
      out += " iprev=error";
    }
  }
  std::string ptr = s.rdns.best_name();
  return out + " ptr=" + (ptr.empty() ? std::string("none") : quote_untrusted(ptr, 80));
}

std::optional<std::string> Dialogue::close() {
  if (closed_) return std::nullopt;
  closed_ = true;
  const auto& c = session_->conn;
  if (c.trusted || !c.auth_user.empty() || completed_ > 0) return std::nullopt;
  record_probe(*session_);  // history of the network (memory/recorder.cc)
  std::string line = "NOQUEUE: " + format_client(*session_) + " probe: " + probe_what();
  if (session_->messages > 0) line += " mail=" + std::to_string(session_->messages);
  return line + probe_dns_facts();
}

}  // namespace legit
