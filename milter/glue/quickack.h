// quickack.h — no Nagle stall behind a no-reply step.
//
// A no-reply step (SMFIP_NR_*) sends nothing back, so the kernel has no
// reply to carry the ACK of the MTA's packet and delays it (up to 40 ms, or
// longer in "interactive" mode). Postfix's milter socket runs with Nagle's
// algorithm on: its next small packet (the next macro/command, the headers
// that cleanup sends after DATA) waits for that ACK. Measured through
// Postfix 3.7 before this: 41 ms between the DATA step and the first header
// of every message, one SMTP session at a time 19 msg/s instead of ~150.
// At the first no-reply step after one of our replies we ask for the ACK
// now (TCP_QUICKACK), which also takes the socket out of Linux's delayed-ACK
// "pingpong" mode. Out of it, the kernel ACKs a small segment as soon as
// libmilter has read it (tcp_cleanup_rbuf: "not bidirectional, buffer
// drained"), so the following no-reply steps need no call; only sending
// data (our next reply) puts the socket back into pingpong mode. One
// setsockopt per run of no-reply steps (about one per message) instead of
// one per step (~10 per message): measured in the commit that made it.
// Unix sockets (no Nagle) and sockets we could not identify get nothing.
#pragma once

#include <libmilter/mfapi.h>

namespace legit::glue {

// Says once, at start, what every session socket is: accepted from our TCP
// (inet/inet6) listener, or from a unix one. Without it, quickack_socket
// asks each socket (two getsockopt per connection).
void quickack_listener_is_tcp(bool tcp);

// The connection's TCP socket when ACKs can be sped up on it, else -1 (a
// unix socket, or libmilter's context could not be read: macros.h). Never throws.
int quickack_socket(SMFICTX* ctx);

// Sends a pending ACK on `fd` now; -1 is ignored. Returns false when the
// socket refuses (then stop calling it for this connection). Never throws.
bool ack_now(int fd);

}  // namespace legit::glue
