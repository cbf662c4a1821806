// engine.h — drives the checks through one SMTP connection and turns their
// findings into an Outcome the caller (milter glue or the `check` command)
// applies: headers to delete and add, quarantine, reject reply, log line.
//
// The engine never throws out of a Dialogue method for bad input; a check
// that throws is reported as "<check>=error" and scored 0. What can still
// escape (std::bad_alloc, a bug in the engine itself) is an exception: the
// milter callbacks catch everything and apply the on-error policy.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "legit/check.h"
#include "legit/config.h"
#include "legit/dns.h"
#include "legit/session.h"
#include "legit/verdict.h"

namespace legit {

struct HeaderDelete {
  std::string name;
  int index;  // 1-based occurrence among headers of that name (descending order in the list)
};

struct Outcome {
  enum class Kind { scored, trusted, authenticated };
  Kind kind = Kind::scored;
  Verdict verdict;                 // empty for trusted/authenticated
  Action action = Action::accept;  // what to do now (dry-run turns it into accept)
  std::vector<HeaderDelete> deletes;                          // apply first
  std::vector<std::pair<std::string, std::string>> adds;      // then add, in order
  std::string reply_code, reply_xcode, reply_text;            // for reject/tempfail
  std::string quarantine_reason;                              // for quarantine
  std::string log_line;            // one line for the mail log
  // > 0: refused for that many forged fields instead of deleting them
  // (kMaxForgedDeletes below); the log line says so.
  std::size_t forged_refused = 0;
  // Scored messages only: how long end_of_message() took (the wait for the
  // lookups still running, scoring, formatting) and the DNS lookups started
  // for this message (on a connection's first message, the connect-time
  // ones too). Both are in the log line as eom-ms= and dns-lookups=.
  double eom_seconds = 0;
  int dns_lookups = 0;
};

class Dialogue;

class Engine {
 public:
  // `checks` defaults to the whole registry; tests pass a subset.
  Engine(const Config& cfg, Resolver& resolver);
  Engine(const Config& cfg, Resolver& resolver, std::vector<const CheckInfo*> checks);

  std::unique_ptr<Dialogue> open() const;
  const Config& config() const { return cfg_; }
  // The process-wide sender memory (memory.h) every Dialogue reads and
  // records into; nullptr (the default) = none. Set before sharing the Engine.
  void set_memory(Memory* m) { memory_ = m; }

 private:
  const Config& cfg_;
  Resolver& resolver_;
  std::vector<const CheckInfo*> checks_;
  Memory* memory_ = nullptr;
};

// One SMTP connection. Methods in SMTP order; several messages may follow one
// connect. Not thread-safe (one connection = one thread at a time).
// close() ends it: a connection that completed no message gets one "probe"
// line for the log (milter/core/probe.cc).
class Dialogue {
 public:
  Dialogue(const Config& cfg, Resolver& resolver, const std::vector<const CheckInfo*>& checks,
           Memory* memory = nullptr);
  ~Dialogue();

  // Who we are on this connection, before connect(): the MTA's own name
  // (Postfix macro j, $myhostname) and the address the client connected to
  // ({daemon_addr}); "" when unknown. Part of "us" (legit/us.h).
  void server(std::string_view my_name, std::string_view daemon_addr);
  // client_addr: textual IP ("" or unparsable = no IP: not trusted, no rDNS).
  void connect(std::string_view client_name, std::string_view client_addr);
  void helo(std::string_view name);
  // auth_user: {auth_authen} macro, "" if not authenticated.
  void mail_from(std::string_view addr, std::string_view auth_user);
  // mailer/host: the MTA's route for it ({rcpt_mailer}, {rcpt_host}); "" = not said.
  void rcpt(std::string_view addr, std::string_view mailer = {}, std::string_view host = {});
  void header(std::string_view name, std::string_view value);
  void end_of_headers();
  // The offline check command run without --message: there is no message to
  // judge (the checks that read it say nothing), unlike an empty one.
  void no_message();
  void body(std::string_view chunk);
  // Whether any check still needs body bytes not yet fed (false for a
  // message that is not scored): when false, the rest of the body may be
  // skipped with no change to any result.
  bool wants_body() const;
  Outcome end_of_message(std::string_view queue_id);
  void abort_message();
  // A command the MTA did not recognise (milter "unknown" step, protocol 6).
  void unknown_command(std::string_view cmd);
  // The connection ends. The probe line when no message reached end-of-data
  // and the client is neither trusted nor authenticated, else nullopt. Waits
  // at most dns-timeout for the client's rDNS, none if it is already in.
  std::optional<std::string> close();

  const Session& session() const { return *session_; }

 private:
  bool scored() const;
  void forward(const std::function<void(Check&)>& fn);
  std::string probe_what() const;
  std::string probe_dns_facts();

  const Config& cfg_;
  std::unique_ptr<Session> session_;
  std::vector<std::pair<const CheckInfo*, std::unique_ptr<Check>>> checks_;
  std::vector<HeaderDelete> forged_;  // incoming headers to remove
  std::map<std::string, int> header_counts_;  // lower-case name -> occurrences
  int completed_ = 0;           // messages that reached end_of_message
  int dns_mark_ = 0;            // session's lookup count after the last message
  int unknown_commands_ = 0;    // commands the MTA did not recognise
  std::string first_unknown_;   // the first of them (capped)
  bool closed_ = false;
};

// "client=NAME[IP] helo=<HELO>": the start of every log line after the queue
// id, untrusted text quoted and truncated.
std::string format_client(const Session& s);

// One log line per message, every field key=value and every key once:
//   QID: client=NAME[IP] helo=<HELO> from=<FROM> score=N action=A [dry-run=A]
//        [forged-removed=N] checks=CHECK:RESULT(POINTS),CHECK:RESULT(POINTS)...
//   QID: client=... from=<FROM> action=accept reason=trusted
//   QID: client=... from=<FROM> action=accept reason=authenticated auth=<USER> [forged-removed=N]
// dry-run= is what enforce mode would have done. Untrusted text is quoted and
// truncated; check names and results are plain words ([A-Za-z0-9.+_-]).
// Forged-header flood: each forged X-Legit-Score / our-authserv-id
// Authentication-Results field costs one delete request, and the MTA's cost
// per request grows with the header section: through Postfix 3.7, 1,000
// deletions cost 0.05 s for the whole transaction, 10,000 cost 2.6 s, and
// 30,000 make cleanup fail ("too many reverse jump records", a panic, 451
// after 21 s; 115,000: 104 s). The cost is deletions x fields in the header
// section, not deletions alone: 1,000 forged fields behind 400,000 others
// (a 6 MB message) cost 30.2 s against 4.4 s with 1, on every retry; 50
// behind the same 400,000 cost 4.4 s against 4.0 s. Above kMaxForgedDeletes such fields no
// legitimate message carries them (one per pass through our MX at most), so
// the message is refused instead of half-cleaned: 550 5.7.1 (dry-run: 451
// 4.7.1, dry-run never rejects), logged. A forged field never gets through:
// either every one is deleted or the message is not accepted.
constexpr std::size_t kMaxForgedDeletes = 50;

std::string format_log_line(const Session& s, const Outcome& o);

}  // namespace legit
