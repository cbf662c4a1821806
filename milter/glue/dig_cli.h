// dig_cli.h — `legit-milter dig`: drives the production resolver from the
// command line (debugging and the resolver's integration test).
#pragma once

namespace legit {
// argv[0] is "dig". Usage:
//   dig [--dns-server IP[@PORT]]... [--dns-timeout SEC] [--parallel] [--timing]
//       [--repeat N] [--stats] NAME TYPE... [NAME TYPE...]...
// An argument spelled like a type (A, AAAA, MX, TXT, PTR, CNAME, NS, SPF;
// upper case) queries the current NAME; any other argument becomes the
// current NAME. One line per query on stdout:
//   NAME TYPE STATUS ttl=N [why=WHY] [record|record...]
// --repeat N asks every query N more times without printing (with --timing:
// their median on stderr); --stats prints the answer cache's counters as a
// "# cache hits=… misses=… joined=… evictions=… entries=…" line.
// --help (or -h) anywhere: the usage on stdout, return 0.
// Returns 0 when every query got an answer line (whatever its status), 2 on
// a usage or resolver configuration error (message on stderr).
int run_dig(int argc, char** argv);
}  // namespace legit
