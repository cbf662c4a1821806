// sessions.h — how many milter connections are open and how many messages
// are in flight, process-wide. Lock-free counters, read by anyone (the
// session cap in callbacks.cc, the SIGTERM drain, the sessions-open metric).
//
// Written only by the libmilter callbacks (callbacks.cc), each change paired
// (draining: by the control thread, control.cc):
//   open        +1 when a connection gets its session (connect), -1 at close;
//               connections refused by the session cap are not counted.
//   in_flight   +1 at MAIL FROM, -1 at end-of-message, abort, or close in
//               the middle of a message.
// Both only go up and down by one and never below zero; a reader sees a
// value that was true a moment ago (relaxed loads are fine for a metric or a
// drain loop that polls).
#pragma once

#include <atomic>

namespace legit::glue::sessions {

inline std::atomic<int> open{0};
inline std::atomic<int> in_flight{0};

// Set once a stop (SIGTERM) has begun: a new connection gets the on-error
// action at once, connections already open carry on (control.cc drains
// in_flight, then stops libmilter).
inline std::atomic<bool> draining{false};

// Connections refused by the session cap since start (answered at once with
// the on-error action).
inline std::atomic<long> refused{0};

}  // namespace legit::glue::sessions
