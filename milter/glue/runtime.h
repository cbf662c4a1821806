// runtime.h — the live configuration of the running milter as one immutable
// Snapshot (Config + the Resolver and Engine built from it), swapped whole on
// reload (SIGHUP/SIGUSR1).
//
// Each connection takes the current snapshot at connect and keeps its
// shared_ptr until close, so a connection in flight finishes on the config
// it started with while new connections get the new one; the old snapshot
// (and a resolver no longer shared) goes away with its last connection.
//
// What must survive a reload stays OUTSIDE the snapshot: process-wide
// objects built once in main.cc before the first snapshot and never swapped
// — the session counts (sessions.h), metrics counters (milter/insight/), the
// memory store (milter/memory/: set_process_memory() below, given to every
// new Engine). A reload must never rebuild them. A reload
// changes only what is in Config: options whose effect is fixed at start
// (socket, user, log, socket-mode, socket-group, idle-timeout) are reported
// as needing a restart and keep their old effect.
//
// Nothing here throws for bad input: make_snapshot() returns an error text.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "legit/config.h"
#include "legit/dns.h"
#include "legit/engine.h"
#include "legit/memory.h"

namespace legit::glue {

struct Snapshot {
  Config config;
  std::shared_ptr<Resolver> resolver;
  std::unique_ptr<Engine> engine;  // refers to config and *resolver
  int generation = 0;              // 1 at start, +1 per successful reload
};

// Builds a snapshot of `cfg`. The resolver of `previous` is shared when the
// resolver options (legit::resolver_options) did not change (its cache and
// health state survive), else a new one is made (its first health probe
// runs before this returns). nullptr + *error ("option 'dns-server': ...") when it cannot be.
std::shared_ptr<const Snapshot> make_snapshot(Config cfg, const Snapshot* previous,
                                              std::string* error);

// The snapshot new connections get; nullptr before the first publish().
std::shared_ptr<const Snapshot> current_snapshot();
void publish_snapshot(std::shared_ptr<const Snapshot> s);

// The process-wide sender memory (memory.h) every snapshot's Engine gets;
// set once by main.cc (after dropping privileges), before the milter runs.
void set_process_memory(Memory* m);

// Options whose values differ, in table order, as "name (old -> new)"
// (values cut at 60 characters).
std::vector<std::string> config_changes(const Config& before, const Config& after);

// Options among `changes` that only take effect at start.
std::vector<std::string> restart_only(const Config& before, const Config& after);

}  // namespace legit::glue
