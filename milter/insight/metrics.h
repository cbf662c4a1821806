// metrics.h — the process-wide counters behind `/metrics` and
// `legit-milter stats` (Prometheus text exposition format 0.0.4).
//
// One registry per process, created on first use and never destroyed: it
// lives outside every config/engine snapshot, so a reload keeps every count.
// Recording is lock-free: each series is a relaxed std::atomic, and the
// (check, result) series are laid out once from the check registry's points
// tables, so counting a message is a few lookups in an immutable table plus
// atomic increments. A result word no table lists (e.g. "error") goes to a
// small mutex-guarded overflow map, capped in size. render_metrics() reads
// every atomic once; a scrape that races a message may show it in some
// series and not yet in others, as with any exporter.
//
// Nothing here throws for bad input; an unknown probe kind or error stage is
// counted as "other". The DNS series come from the core's dns_stats() and
// the watched resolver's stats().
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "legit/config.h"
#include "legit/dns.h"
#include "legit/engine.h"
#include "legit/memory.h"

namespace legit::insight {

// A message reached end-of-data, scored (or not) with a config in `mode`.
// Latency and DNS count come from the Outcome (measured by the engine).
void count_message(const Outcome& o, Mode mode);
// A connection ended without a message: the probe line the engine returned.
void count_probe(std::string_view probe_line);
// The glue's session gauges (milter/glue/sessions.h), read at each scrape;
// the counters must live as long as the process.
void watch_sessions(const std::atomic<int>* open, const std::atomic<int>* in_flight,
                    const std::atomic<long>* refused);
// The resolver whose stats() (cache, health) the scrape shows; call again
// with the new one after a reload (its counters restart: rate() copes).
void watch_resolver(const Resolver* resolver);
// The sender memory whose local copy (Redis) the scrape shows; nullptr or
// never called: the copy's series read 0.
void watch_memory(const Memory* memory);
// A configuration reload was attempted.
void count_reload(bool ok);
// A callback gave up and applied on-error ("connect", "eom", ...).
void count_error(std::string_view stage);

// The whole exposition text, every series (zeros included).
std::string render_metrics();

}  // namespace legit::insight
