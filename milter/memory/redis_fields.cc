// redis_fields.cc — HMGET answers parsed without reply objects (redis_fields.h).
#include "redis_fields.h"

#include <charconv>
#include <cmath>

namespace legit::redis_fields {
namespace {

FieldSink* of(const redisReadTask* t) { return static_cast<FieldSink*>(t->privdata); }

// An element of the top-level array (index 0..3), else -1.
int field(const redisReadTask* t) {
  return t->parent && !t->parent->parent && t->idx >= 0 && t->idx < 4 ? t->idx : -1;
}

void* create_string(const redisReadTask* t, char* str, size_t len) {
  FieldSink* s = of(t);
  int i = field(t);
  if (i < 0 || t->type != REDIS_REPLY_STRING) {
    s->bad = true;
    return s;
  }
  double v = 0;
  auto [end, ec] = std::from_chars(str, str + len, v);
  s->present[i] = ec == std::errc() && end == str + len && std::isfinite(v);
  s->value[i] = s->present[i] ? v : 0;
  return s;
}

void* create_array(const redisReadTask* t, int elements) {
  FieldSink* s = of(t);
  if (t->parent) {
    s->bad = true;
    return s;
  }
  *s = FieldSink{};
  s->elements = elements;
  return s;
}

void* create_integer(const redisReadTask* t, long long) {
  of(t)->bad = true;
  return of(t);
}

void* create_nil(const redisReadTask* t) {
  FieldSink* s = of(t);
  if (field(t) < 0) s->bad = true;
  return s;
}

void free_object(void*) {}  // nothing was allocated

redisReplyObjectFunctions kFunctions{create_string, create_array, create_integer, create_nil, free_object};

}  // namespace

redisReader* make_reader() { return redisReaderCreateWithFunctions(&kFunctions); }

bool unread(const redisReader* r) { return r->pos < r->len; }

int next(redisReader* r, FieldSink& sink) {
  // hiredis starts an answer (and takes privdata for it) on every call, even
  // without a byte to read: never call it then, or the next answer would go
  // to this sink.
  if (!unread(r)) return 0;
  if (r->ridx == -1) sink = FieldSink{};  // a new answer (not the rest of one)
  r->privdata = &sink;
  void* raw = nullptr;
  int rc = redisReaderGetReply(r, &raw);
  r->privdata = nullptr;
  if (rc != REDIS_OK) return -1;
  if (!raw) return 0;
  return raw == &sink ? 1 : -1;
}

}  // namespace legit::redis_fields
