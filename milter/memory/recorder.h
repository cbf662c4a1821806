// recorder.h — what a finished session teaches the memory (keys.h), queued
// fire-and-forget after the verdict (Memory::write never blocks). No-ops
// without a memory or with a read-only one (`legit-milter check` without
// --record). Never throws for bad input.
#pragma once

#include "legit/engine.h"
#include "legit/session.h"

namespace legit {

// After end-of-data: an authenticated client's recipients, Message-ID and
// envelope sender (correspondents); a scored message's verdict into the
// history of its network and authenticated domains. Trusted: nothing.
// A greylisted (tempfail) message records nothing here (greylist.cc does).
void record_outcome(Session& s, const Outcome& o);

// A probe session (no message completed) into the history of its network.
void record_probe(Session& s);

}  // namespace legit
