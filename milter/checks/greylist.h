// greylist.h — selective greylisting, applied after scoring (engine.cc).
//
// The greylist check (greylist.cc) reads the triplets of the message at end
// of headers and reports their state as a "greylist" finding worth 0;
// apply_greylist() takes that finding out of the verdict and, only when the
// score lies in the doubt band (reject-below <= score < greylist-below),
// turns the action into tempfail for a new triplet or an early retry, lets a
// retry after greylist-delay within greylist-window pass, and queues the
// memory updates. Returns the 451 reply text when it greylisted, else "".
// Authenticated and trusted clients never get here (not scored).
#pragma once

#include <string>

#include "legit/session.h"
#include "legit/verdict.h"

namespace legit {

std::string apply_greylist(Session& s, Verdict& v);

}  // namespace legit
