// memory_detail.cc — random_hex, SipHash-2-4 and LogEvery (memory_detail.h).
#include "memory_detail.h"

#include <cstdio>
#include <cstring>

namespace legit::memory_detail {

std::string random_hex(std::size_t n) {
  std::string raw(n, '\0');
  FILE* f = std::fopen("/dev/urandom", "rb");
  if (!f) return "";
  bool ok = std::fread(raw.data(), 1, n, f) == n;
  std::fclose(f);
  if (!ok) return "";
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) out += {hex[b >> 4], hex[b & 15]};
  return out;
}

namespace {
inline std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }
inline std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
struct Sip {
  std::uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  }
  void block(std::uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};
}  // namespace

std::uint64_t siphash24(const std::uint8_t key[16], std::string_view data) {
  std::uint64_t k0 = load64(key), k1 = load64(key + 8);
  Sip s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
        k1 ^ 0x7465646279746573ULL};
  const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
  std::size_t n = data.size(), full = n & ~std::size_t(7);
  for (std::size_t i = 0; i < full; i += 8) s.block(load64(p + i));
  std::uint64_t last = static_cast<std::uint64_t>(n & 0xff) << 56;
  for (std::size_t i = 0; i < (n & 7); ++i) last |= static_cast<std::uint64_t>(p[full + i]) << (8 * i);
  s.block(last);
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

void LogEvery::log(LogLevel level, const std::string& line) {
  std::string out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (last_ != std::chrono::steady_clock::time_point{} && now - last_ < every_) {
      ++held_;
      return;
    }
    active_ = true;  // a line went out: its recovery will too
    last_ = now;
    out = line;
    if (held_) out += " (" + std::to_string(held_) + " similar since the last line)";
    held_ = 0;
  }
  log_msg(level, out);
}

void LogEvery::recovered(const std::string& line) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!active_) return;
    active_ = false;  // last_ stays: a store that flaps logs one problem a minute
  }
  log_msg(LogLevel::info, line);
}

}  // namespace legit::memory_detail
