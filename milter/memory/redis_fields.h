// redis_fields.h — the answers of the read path's `HMGET key c f l h`,
// parsed by hiredis straight into numbers (no reply object per field: a
// message's 13 or so keys were 65 allocations and frees). make_reader()
// is a hiredis reader with these functions; next() points its privdata at
// the caller's FieldSink, which then holds one key's answer (never freed).
//
// Bad input: anything but an array of 4 bulk strings / nils (an error
// reply, a nested array, an integer) sets `bad`; a field that is not a
// finite number reads as absent. Only for HMGET answers (redis_mux).
#pragma once

#include <hiredis/hiredis.h>

namespace legit::redis_fields {

struct FieldSink {
  double value[4] = {};
  bool present[4] = {};
  int elements = -1;  // of the top-level array; -1 = not an array
  bool bad = false;
};

// A reader of its own with these functions (fed by the caller: redis_mux),
// freed with redisReaderFree; nullptr when out of memory.
redisReader* make_reader();
// The next complete answer fed to `r`, into `sink`: 1 = one answer, 0 = not
// complete yet (call again with the SAME sink: hiredis keeps the pointer
// until the answer ends), -1 = a protocol error (the stream cannot be
// trusted).
int next(redisReader* r, FieldSink& sink);
// True when `r` holds bytes not parsed yet.
bool unread(const redisReader* r);

}  // namespace legit::redis_fields
