// conn.cc — see conn.h: per-connection glue state, session cap accounting.
#include "conn.h"

#include <string>

#include "legit/log.h"
#include "sessions.h"
#include "throttle.h"

namespace legit::glue {
namespace {
Throttle g_cap_log;
}

Conn::~Conn() {
  end_message();
  if (counted_) sessions::open.fetch_sub(1, std::memory_order_relaxed);
}

bool Conn::admit(int cap, const char* action) {
  if (counted_) return true;
  int now = sessions::open.load(std::memory_order_relaxed);
  // Claim a slot only while below the cap (several threads race here).
  while (now < cap) {
    if (sessions::open.compare_exchange_weak(now, now + 1, std::memory_order_relaxed)) {
      counted_ = true;
      refused = false;
      return true;
    }
  }
  refused = true;
  sessions::refused.fetch_add(1, std::memory_order_relaxed);
  if (g_cap_log.due())
    log_msg(LogLevel::warning,
            "session limit reached: max-sessions=" + std::to_string(cap) + ", " +
                std::to_string(g_cap_log.take()) +
                " connection(s) answered at once with on-error=" + action +
                " (one line a minute while it lasts)");
  return false;
}

void Conn::begin_message() {
  if (!in_message_) sessions::in_flight.fetch_add(1, std::memory_order_relaxed);
  in_message_ = true;
}

void Conn::end_message() {
  if (in_message_) sessions::in_flight.fetch_sub(1, std::memory_order_relaxed);
  in_message_ = false;
}

}  // namespace legit::glue
