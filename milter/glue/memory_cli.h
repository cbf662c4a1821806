// memory_cli.h — the sender memory from the command line and at start-up.
//
//   legit-milter memory show [TARGET] [-c FILE] [options]
//   legit-milter memory forget TARGET [-c FILE] [options]
// TARGET: an address (user@example.org), an IP or network (192.0.2.7,
// 192.0.2.0/24, 2001:db8::/64: its /24 or /64), or a domain. `show` without
// TARGET counts the records of each kind. Exit 0 on success, 1 when the
// store fails, 2 on a usage or configuration error.
#pragma once

#include <memory>

#include "legit/config.h"
#include "legit/memory.h"

namespace legit {

int run_memory(int argc, char** argv);

// `legit-milter check`: read-only unless `record`; a read-only LMDB file
// that does not exist is silently no memory (check never creates one).
// Other failures are reported on stderr. nullptr = no memory.
std::unique_ptr<Memory> open_check_memory(const Config& cfg, bool record);

namespace glue {
// The milter's memory, opened once (never destroyed: milter threads may
// outlive main). nullptr with a log line when it cannot be opened: the
// milter runs without memory and mail flows.
Memory* open_process_memory(const Config& cfg);
}  // namespace glue

}  // namespace legit
