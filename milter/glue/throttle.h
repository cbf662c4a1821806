// throttle.h — "at most once a minute" for log lines a client can trigger at
// will (hostile packets, the session cap): one line per minute per Throttle,
// with how many events it stands for. Lock-free; safe from any thread.
#pragma once

#include <atomic>
#include <chrono>

namespace legit::glue {

class Throttle {
 public:
  explicit Throttle(std::chrono::seconds period = std::chrono::seconds(60)) : period_(period.count()) {}

  // Counts one event; true when a line is due (first event, or the period
  // has passed since the last line). Exactly one caller gets true per period.
  bool due() {
    events_.fetch_add(1, std::memory_order_relaxed);
    long long now = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count();
    long long last = last_.load(std::memory_order_relaxed);
    if (last != kNever && now - last < period_) return false;
    return last_.compare_exchange_strong(last, now, std::memory_order_relaxed);
  }

  // Events counted since the previous call (the line that is due says it).
  long take() { return events_.exchange(0, std::memory_order_relaxed); }

 private:
  static constexpr long long kNever = -(1LL << 62);
  long long period_;
  std::atomic<long long> last_{kNever};
  std::atomic<long> events_{0};
};

}  // namespace legit::glue
