// log_record.h — one of our log lines, parsed back (log_parse.cc): the
// per-message line of the engine (format_log_line), the trusted/authenticated
// line, and the probe line of a connection without a message (probe.cc).
//
// Accepted prefixes: syslog ("Nov 28 16:00:01 mx legit-milter[12]: "), ISO
// timestamps (our stderr sink, rsyslog high precision, `journalctl -o
// short-iso`), or none (`journalctl -o cat`): the payload is found by its
// "<queue-id>: client=" start. Both the original keys and the unique ones
// (`reason=trusted`, `dry-run=reject`) are read.
//
// Bad input: any line that is not one of ours gives nullopt; a line of ours
// with a damaged tail keeps what could be read. Never throws, never reads
// outside the line. The client controls helo= and from=: the fields after
// them (score, action, checks) are read from the right, where a client
// cannot write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace legit::insight {

struct CheckHit {
  std::string check;   // "helo"
  std::string result;  // "bare-ip"
  double points = 0;
};

struct LogRecord {
  enum class Kind { message, unscored, probe };
  Kind kind = Kind::message;
  std::optional<std::int64_t> time;  // seconds since the epoch, if the line had a timestamp
  std::string queue_id;              // "NOQUEUE" for probes
  std::string client_name, client_ip, helo, from;
  // message
  double score = 0;
  std::string action;    // what the thresholds chose (the "would" action in dry-run)
  bool dry_run = false;  // a dry-run marker was on the line
  std::vector<CheckHit> checks;
  double eom_ms = -1;    // -1: not on the line (older versions)
  int dns_lookups = -1;
  // unscored
  std::string reason;    // "trusted" | "authenticated"
  // probe
  std::string probe;     // "ehlo-quit", "unknown-command", "no-helo", "no-message"
  std::string command;   // the unknown command, as logged (quoted form)
  int count = 0;         // unknown commands, or MAIL FROMs for no-message
  std::string iprev, ptr;
};

struct ParseContext {
  int year = 1970;          // for syslog timestamps, which carry none
  std::int64_t now = 0;     // a syslog date more than a day past this is last year's
};

std::optional<LogRecord> parse_log_line(std::string_view line, const ParseContext& ctx = {});

// "2024-05-01T12:00:00[.fff][Z|+hh[:]mm]", "2024-05-01 12:00[:00]",
// "2024-05-01": local time unless a zone is given. nullopt if not a time.
std::optional<std::int64_t> parse_time(std::string_view text);

}  // namespace legit::insight
