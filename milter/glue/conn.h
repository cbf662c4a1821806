// conn.h — the glue's state of one milter connection (held with
// smfi_setpriv from negotiate to close) and the session cap.
//
// Admission: a connection takes a slot in sessions::open when it is admitted
// (below max-sessions) and gives it back when the Conn is destroyed. Beyond
// the cap it is refused: it gets no Dialogue, its connect step is answered
// at once with the on-error action (so negotiate must not make that step a
// no-reply one), and one log line a minute says how many were refused.
//
// No-reply steps: `no_reply` holds the SMFIP_NR_* bits negotiated for this
// connection; a step in it must return SMFIS_NOREPLY. An unknown set (0)
// is always safe: libmilter turns a real answer into no reply itself when
// the step was negotiated as no-reply (and fakes CONTINUE when the MTA
// cannot do without one).
#pragma once

#include <memory>

#include "legit/engine.h"
#include "reaper.h"
#include "runtime.h"

namespace legit::glue {

struct Conn {
  std::shared_ptr<const Snapshot> snap;  // the config taken at connect (runtime.h)
  std::unique_ptr<Dialogue> dialogue;    // null when refused; uses *snap
  unsigned long no_reply = 0;          // SMFIP_NR_* bits negotiated
  bool skip = false;                   // the MTA understands SMFIS_SKIP
  bool refused = false;                // over the session cap
  bool failed = false;                 // a no-reply step failed: on-error at the next answer
  int ack_fd = -1;                     // TCP socket to ACK after no-reply steps (quickack.h)
  bool acked = false;                  // quick ACK set since our last reply (quickack.h)
  reaper::WatchPtr watch;              // the idle reaper's view (null: not watched)

  Conn() = default;
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Takes a slot in sessions::open unless `cap` slots are taken; false (and
  // `refused` set, the refusal counted and logged once a minute with the
  // on-error word `action`) when the cap is reached. Idempotent.
  bool admit(int cap, const char* action);

  // sessions::in_flight bookkeeping, paired and idempotent.
  void begin_message();
  void end_message();

 private:
  bool counted_ = false;
  bool in_message_ = false;
};

}  // namespace legit::glue
