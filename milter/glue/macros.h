// macros.h — reads what libmilter stored for a connection without trusting
// it: milter macros (instead of smfi_getsymval) and the unknown-command text.
//
// Why not smfi_getsymval: libmilter keeps each 'D' (SMFIC_MACRO) packet as
// a NULL-terminated array of strings and smfi_getsymval walks it two by two
// (name, value). A packet with an odd number of strings (one name without a
// value, or five empty strings) makes it step over the terminating NULL and
// read past the array: a segfault from one packet, sent by anyone who can
// reach the socket. Nothing public lets the glue see the packet first, so
// this reader walks the same arrays itself, one entry at a time, stopping at
// the NULL, and ignores every macro of a stage whose packet has an odd number
// of strings (Postfix never sends one; the packet is hostile or broken).
//
// The arrays live in libmilter's private context (struct smfi_str of
// libmilter.h, sendmail 8.14-8.18). Its layout is not trusted blindly: every
// read first checks that the fields found at the expected places hold what
// we know must be there (the private-data pointer we set with smfi_setpriv,
// the timeout we set with smfi_settimeout, each array's first entry pointing
// one byte into its packet buffer). When any of that does not hold (another
// libmilter build), no macro is read at all and a warning is logged once:
// the milter then runs without queue ids and {auth_authen}, never unsafely.
#pragma once

#include <string>
#include <string_view>

#include <libmilter/mfapi.h>

namespace legit::glue {

// Tells the reader the timeout given to smfi_settimeout (seconds): part of
// the layout check. Call once before smfi_main.
void macros_expect_timeout(long seconds);

// The value of macro `name` ("i", "{auth_authen}"; "x" also finds "{x}" and
// "{x}" also "x", like smfi_getsymval), searching the stages from the most
// recent, or "" when absent, malformed or unreadable. Needs smfi_getpriv(ctx)
// to be non-null (the layout check compares it). Never throws.
std::string macro_value(SMFICTX* ctx, std::string_view name);

// The socket libmilter serves this connection on (ctx_sd of the same
// checked context head), or -1 when the layout check fails. For the idle
// reaper (reaper.h), which only ever shutdown()s it, and for quickack.h. Never throws.
int session_socket(SMFICTX* ctx);

// The command text libmilter passed to xxfi_unknown, up to its NUL, never
// reading past the buffer libmilter allocated for the packet (its payload is
// not NUL-terminated when the client left the NUL out). "" for nullptr.
std::string unknown_command_text(const char* cmd);

}  // namespace legit::glue
