// check.h — the interface every check implements, and the registry.
//
// A check is created once per connection (so it may keep per-connection
// state in members) and gets stage hooks in SMTP order. Per-message state is
// reset by the check itself in on_mail(). Hooks start lookups early (through
// session.resolver) and must not block; finish() runs at end-of-data, may
// block on the lookups it started (each has the resolver's deadline) and
// reports what the check found. Checks report; config decides the points.
// A check must not throw for bad input (it reports a result saying so); the
// engine still catches anything that escapes and reports "<check>=error".
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "legit/config.h"
#include "legit/finding.h"
#include "legit/session.h"

namespace legit {

class Check {
 public:
  virtual ~Check() = default;
  virtual void on_connect(Session&) {}
  virtual void on_helo(Session&) {}
  virtual void on_mail(Session&) {}
  virtual void on_rcpt(Session&, std::string_view /*rcpt*/) {}
  virtual void on_header(Session&, std::string_view /*name*/, std::string_view /*value*/) {}
  virtual void on_eoh(Session&) {}
  virtual void on_body(Session&, std::string_view /*chunk*/) {}
  // After a body chunk: does finish() still depend on body bytes not yet
  // seen? false lets the milter tell the MTA to skip the rest (SMFIS_SKIP).
  virtual bool wants_body(const Session&) const { return false; }
  virtual std::vector<Finding> finish(Session&) = 0;
};

// Default points of one result, with the rationale shown in the config file.
struct ResultPoints {
  std::string result;
  double points;
  std::string why;
};

struct CheckInfo {
  std::string name;                     // "iprev"
  std::string summary;                  // one line for --help and the config file
  std::vector<ResultPoints> points;     // every result the check can report
  std::vector<OptionSpec> options;      // the check's own options
  std::function<std::unique_ptr<Check>(const Config&)> make;
};

// Every compiled-in check, in evaluation order (milter/checks/registry.cc).
const std::vector<CheckInfo>& check_registry();

}  // namespace legit
