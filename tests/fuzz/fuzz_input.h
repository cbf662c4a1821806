// fuzz_input.h — helpers shared by the fuzz targets: the input as text, and
// split into fields at NUL bytes (so a mutated input can carry several
// strings, e.g. a header name and its value). A property a target checks
// fails with fuzz_require(), which aborts (libFuzzer and replay_main both
// report an abort as a crash).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace legit::fuzz {

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The fields between NUL bytes; always at least `min_fields` (missing ones empty).
inline std::vector<std::string> fields(std::string_view s, std::size_t min_fields = 1) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == '\0') out.emplace_back();
    else out.back() += c;
  }
  while (out.size() < min_fields) out.emplace_back();
  return out;
}

inline void fuzz_require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

}  // namespace legit::fuzz
