// check_cli.h — `legit-milter check`: the engine on one session, offline.
#pragma once

namespace legit {
// argv[0] is "check". Returns the process exit code: 0 on success (whatever
// the verdict), 2 on a usage or configuration error (message on stderr).
int run_check(int argc, char** argv);
}  // namespace legit
