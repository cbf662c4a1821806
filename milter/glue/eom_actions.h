// eom_actions.h — applies an Outcome at end-of-message through libmilter:
// the reply of a reject or tempfail, the deletion of forged headers and the
// insertion of ours, the quarantine. Returns the sfsistat to answer.
//
// Forged-header flood: each forged X-Legit-Score / our-authserv-id
// Authentication-Results field costs one delete request, and the MTA's cost
// per request grows with the header section: through Postfix 3.7, 1,000
// deletions cost 0.05 s for the whole transaction, 10,000 cost 2.6 s, and
// 30,000 make cleanup fail ("too many reverse jump records", a panic, 451
// after 21 s; 115,000: 104 s). The cost is deletions x fields in the header
// section, not deletions alone: 1,000 forged fields behind 400,000 others
// (a 6 MB message) cost 30.2 s against 4.4 s with 1, on every retry; 50
// behind the same 400,000 cost 4.4 s against 4.0 s. Above kMaxForgedDeletes such fields no
// legitimate message carries them (one per pass through our MX at most), so
// the message is refused instead of half-cleaned: 550 5.7.1 (dry-run: 451
// 4.7.1, dry-run never rejects), logged. A forged field never gets through:
// either every one is deleted or the message is not accepted.
#pragma once

#include <libmilter/mfapi.h>

#include "legit/config.h"
#include "legit/engine.h"

namespace legit::glue {

constexpr std::size_t kMaxForgedDeletes = 50;

// Printable ASCII only (at most 400 bytes); '%' doubled when `double_percent`
// (smfi_setreply takes a format string).
std::string clean_reply_text(std::string_view text, bool double_percent);

// Refuses an Outcome with more than kMaxForgedDeletes deletions (see above):
// sets its action, reply and deletions, returns the log line to add ("" when
// within the bound). For accept/quarantine outcomes only.
std::string bound_forged_deletes(Outcome& o, Mode mode);

// Applies `o` on `ctx`; failures of single requests are logged (warning).
sfsistat apply_outcome(SMFICTX* ctx, const Outcome& o);

}  // namespace legit::glue
