// callbacks.h — the libmilter callbacks of legit-milter (thin glue).
//
// Each callback fetches the connection's Dialogue, calls the engine inside
// try/catch and returns the configured `on-error` policy (accept or
// tempfail) when anything fails or the connection has no Dialogue.
#pragma once

#include "legit/engine.h"

namespace legit::glue {

// Registers the filter with libmilter (smfi_register). Each connection
// takes the configuration snapshot current at its connect (runtime.h), which
// must be published before smfi_main(). Returns false if libmilter refuses
// the registration.
bool register_milter();

}  // namespace legit::glue
