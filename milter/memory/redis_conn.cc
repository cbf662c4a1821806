// redis_conn.cc — connections and key scans of the Redis store (redis_conn.h).
#include "redis_conn.h"

#include <poll.h>

namespace legit::redis_conn {

namespace {
timeval tv_of(double seconds) {
  timeval tv{};
  tv.tv_sec = static_cast<long>(seconds);
  tv.tv_usec = static_cast<long>((seconds - static_cast<double>(tv.tv_sec)) * 1e6);
  return tv;
}
}  // namespace

Connector::Connector(const RedisOptions& o) : o_(o) {
  name_ = o.unix_path.empty() ? "redis://" + o.host + ":" + std::to_string(o.port) + "/" + std::to_string(o.db)
                              : "unix:" + o.unix_path + "?db=" + std::to_string(o.db);
}

Ctx Connector::connect(double deadline) {
  timeval tv = tv_of(deadline);
  Ctx c(o_.unix_path.empty() ? redisConnectWithTimeout(o_.host.c_str(), o_.port, tv)
                             : redisConnectUnixWithTimeout(o_.unix_path.c_str(), tv));
  if (!c || c->err) {
    problem("connect", c.get());
    return nullptr;
  }
  redisSetTimeout(c.get(), tv);
  if (!o_.password.empty()) {
    auto sp = o_.password.find(' ');
    Reply r(static_cast<redisReply*>(
        sp == std::string::npos
            ? redisCommand(c.get(), "AUTH %s", o_.password.c_str())
            : redisCommand(c.get(), "AUTH %s %s", o_.password.substr(0, sp).c_str(),
                           o_.password.substr(sp + 1).c_str())));
    if (!r || r->type == REDIS_REPLY_ERROR) {
      log_.log(LogLevel::error, "memory: " + name_ + ": AUTH failed" +
                                    (r ? ": " + std::string(r->str, r->len) : std::string()));
      return nullptr;
    }
  }
  if (o_.db != 0) {
    Reply r(static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", o_.db)));
    if (!r || r->type == REDIS_REPLY_ERROR) {
      problem("SELECT", c.get());
      return nullptr;
    }
  }
  if (down_.exchange(false, std::memory_order_relaxed)) log_.recovered("memory: " + name_ + " reachable again");
  return c;
}

void Connector::problem(const char* what, const redisContext* c) {
  down_.store(true, std::memory_order_relaxed);
  std::string why = c && c->err ? std::string(c->errstr) : "no context";
  log_.log(LogLevel::warning, "memory: " + name_ + " " + what + " failed: " + why +
                                  "; memory checks report temperror, mail flows "
                                  "(logged at most once a minute)");
}

bool gone_while_idle(const redisContext* c) {
  pollfd p{c->fd, POLLIN | POLLRDHUP, 0};
  return ::poll(&p, 1, 0) != 0;
}

bool scan_keys(redisContext* c, const std::string& key_prefix, std::string_view prefix, std::size_t limit,
               std::vector<std::string>& keys) {
  std::string match = key_prefix;
  for (char ch : prefix) {  // glob-escape the prefix
    if (ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch == '\\') match += '\\';
    match += ch;
  }
  match += '*';
  const std::string mark = key_prefix + std::string(kMarkPrefix), secret = key_prefix + std::string(kSecret),
                    log = key_prefix + std::string(kLog), log_count = key_prefix + std::string(kLogCount);
  std::string cursor = "0";
  do {
    Reply r(static_cast<redisReply*>(redisCommand(c, "SCAN %s MATCH %b COUNT 1000", cursor.c_str(),
                                                  match.data(), match.size())));
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return false;
    cursor.assign(r->element[0]->str, r->element[0]->len);
    for (std::size_t i = 0; i < r->element[1]->elements && keys.size() < limit; ++i) {
      const redisReply* k = r->element[1]->element[i];
      std::string_view key(k->str, k->len);
      if (key != secret && key != log && key != log_count && key.substr(0, mark.size()) != mark)
        keys.emplace_back(key);
    }
  } while (cursor != "0" && keys.size() < limit);
  return true;
}

}  // namespace legit::redis_conn
