// cli.h — the insight subcommands of the legit-milter binary.
//   legit-milter stats [-c FILE] [--metrics-listen inet:PORT@IP] [--raw]
//       the running milter's counters for a human (stats_cli.cc)
//   legit-milter report [FILE...] [--since T] [--until T] [--json] [--html OUT] [--top N]
//       statistics from our log lines (report_cli.cc)
// Both return 0 on success, 1 when the milter or a file cannot be read, 2 on
// a usage error (the message says which argument).
#pragma once

namespace legit::insight {

int run_stats(int argc, char** argv);
int run_report(int argc, char** argv);

}  // namespace legit::insight
