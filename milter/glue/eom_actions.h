// eom_actions.h — applies an Outcome at end-of-message through libmilter:
// the reply of a reject or tempfail, the deletion of forged headers and the
// insertion of ours, the quarantine. Returns the sfsistat to answer.
//
// Forged-header floods are refused in the engine (legit/engine.h,
// kMaxForgedDeletes); this file only applies the Outcome.
#pragma once

#include <libmilter/mfapi.h>

#include "legit/config.h"
#include "legit/engine.h"

namespace legit::glue {

// Printable ASCII only (at most 400 bytes); '%' doubled when `double_percent`
// (smfi_setreply takes a format string).
std::string clean_reply_text(std::string_view text, bool double_percent);

// Applies `o` on `ctx`; failures of single requests are logged (warning).
sfsistat apply_outcome(SMFICTX* ctx, const Outcome& o);

}  // namespace legit::glue
