// memory_detail.h — helpers shared by the stores and Memory (not public).
//
// random_hex: n random bytes from /dev/urandom as 2n hex digits ("" if it
// cannot be read). siphash24: SipHash-2-4 (Aumasson & Bernstein) of `data`
// with a 128-bit key — the keyed hash of addresses. LogEvery: logs one
// problem at most once per interval, counting what it held back.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "legit/log.h"

namespace legit::memory_detail {

std::string random_hex(std::size_t n);
std::uint64_t siphash24(const std::uint8_t key[16], std::string_view data);

class LogEvery {
 public:
  explicit LogEvery(std::chrono::seconds every = std::chrono::seconds(60)) : every_(every) {}
  // Logs `line` unless one was logged less than `every` ago (then counts it,
  // and the next line logged says how many were held back).
  void log(LogLevel level, const std::string& line);
  // Logs `line` (a recovery) when a problem line was logged since the last
  // recovery. A problem again within `every` is held as before: a store that
  // flaps every second logs one problem and one recovery a minute.
  void recovered(const std::string& line);

 private:
  std::mutex mu_;
  std::chrono::seconds every_;
  std::chrono::steady_clock::time_point last_{};
  bool active_ = false;
  std::size_t held_ = 0;
};

}  // namespace legit::memory_detail
