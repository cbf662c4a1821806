// redis_script.h — the Lua script the Redis store's writer runs with
// EVALSHA (redis_store.cc): per update, decay the record's count to the
// update's time, add, keep first/last seen, raise the expiry; updates at or
// below the writer's high-water mark (a re-sent batch) are skipped, all in
// one atomic run. Bad input: a missing or non-numeric field reads as 0 / the
// update's own values. Also resp::bulk*, the requests' RESP formatting.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace legit::redis_script {

// KEYS[1]: the writer's high-water mark; KEYS[2]: the write log (a
// stream), KEYS[3]: its counter; KEYS[4..]: records. ARGV[1]: the mark's
// TTL; ARGV[2]: the log's length (MAXLEN ~); then per update: add,
// half-life, ttl, at, seq. The records changed are appended to the log, in
// full, as one entry {n: counter, r: items} (replica_map.h has the format):
// the local copies of the fleet's milters follow it (redis_replica.h).
inline constexpr const char* kIncrScript =
    "local done = tonumber(redis.call('GET', KEYS[1])) or 0 "
    "local top = done "
    "local now = tonumber(redis.call('TIME')[1]) "
    "local log = {} "
    "for i = 4, #KEYS do "
    "  local b = (i - 4) * 5 + 2 "
    "  local seq = tonumber(ARGV[b + 5]) "
    "  if seq == 0 or seq > done then "
    "    local at = tonumber(ARGV[b + 4]) "
    "    local r = redis.call('HMGET', KEYS[i], 'c', 'f', 'l', 'h') "
    "    local c = tonumber(r[1]) or 0 "
    "    local f = tonumber(r[2]) or at "
    "    local l = tonumber(r[3]) or at "
    "    local h = tonumber(r[4]) or tonumber(ARGV[b + 2]) "
    "    if h > 0 and at > l then c = c * math.pow(0.5, (at - l) / h) end "
    "    if at > l then l = at end "
    "    if at < f then f = at end "
    "    local cs, hs = string.format('%.17g', c + tonumber(ARGV[b + 1])), string.format('%.17g', h) "
    "    redis.call('HSET', KEYS[i], 'c', cs, 'f', string.format('%d', f), 'l', string.format('%d', l), 'h', hs) "
    "    local ttl = tonumber(ARGV[b + 3]) "
    "    local left = redis.call('TTL', KEYS[i]) "
    "    if left < ttl then redis.call('EXPIRE', KEYS[i], ttl) left = ttl end "
    "    log[#log + 1] = string.format('%d:%s %s %d %d %s %d\\n', #KEYS[i], KEYS[i], cs, f, l, hs, now + left) "
    "    if seq > top then top = seq end "
    "  end "
    "end "
    "if top > done then redis.call('SET', KEYS[1], string.format('%d', top), 'EX', ARGV[1]) end "
    "if #log > 0 then "
    "  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'n', redis.call('INCR', KEYS[3]), 'r', table.concat(log)) "
    "end "
    "return top";

// Deletions (memory forget) into the same log. KEYS[1]: the log, KEYS[2]:
// its counter; ARGV[1]: the log's length; ARGV[2]: the items ("LEN:KEY -"
// or "LEN:PREFIX *" lines).
inline constexpr const char* kLogScript =
    "redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'n', redis.call('INCR', KEYS[2]), 'r', ARGV[2]) "
    "return 1";

}  // namespace legit::redis_script

namespace legit {

// RESP (the Redis protocol) written into one buffer, for requests
// formatted here instead of by hiredis (no string per argument).
namespace resp {

// One bulk string, the concatenation of a and b, appended to `out`.
// Numbers are written by std::to_chars (no printf: this runs per key).
inline void bulk(std::string& out, std::string_view a, std::string_view b = {}) {
  char len[24];
  len[0] = '$';
  auto r = std::to_chars(len + 1, len + sizeof len - 2, a.size() + b.size());
  *r.ptr++ = '\r';
  *r.ptr++ = '\n';
  out.append(len, r.ptr).append(a).append(b).append("\r\n");
}
// A double as its shortest exact decimal form (what Lua's tonumber reads
// back to the same value, like "%.17g" did).
inline void bulk_num(std::string& out, double v) {
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  bulk(out, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}
inline void bulk_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  bulk(out, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}

}  // namespace resp

}  // namespace legit
