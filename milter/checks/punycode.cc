// punycode.cc — RFC 3492 decoding of an A-label's tail (punycode.h).
#include "punycode.h"

#include <cstdint>

namespace legit::lookalike {
namespace {

// RFC 3492 bootstring parameters.
constexpr std::uint32_t kBase = 36, kTmin = 1, kTmax = 26, kSkew = 38, kDamp = 700;

std::uint32_t adapt(std::uint32_t delta, std::uint32_t points, bool first) {
  delta = first ? delta / kDamp : delta / 2;
  delta += delta / points;
  std::uint32_t k = 0;
  while (delta > ((kBase - kTmin) * kTmax) / 2) {
    delta /= kBase - kTmin;
    k += kBase;
  }
  return k + (kBase - kTmin + 1) * delta / (delta + kSkew);
}

}  // namespace

std::u32string punycode_decode(std::string_view in) {
  std::u32string out;
  auto dash = in.rfind('-');
  std::size_t pos = 0;
  if (dash != std::string_view::npos) {
    for (std::size_t j = 0; j < dash; ++j) {
      if (static_cast<unsigned char>(in[j]) >= 0x80) return {};
      out.push_back(static_cast<unsigned char>(in[j]));
    }
    pos = dash + 1;
  }
  std::uint32_t n = 128, i = 0, bias = 72;
  while (pos < in.size()) {
    std::uint32_t old = i, w = 1;
    for (std::uint32_t k = kBase;; k += kBase) {
      if (pos >= in.size()) return {};
      char c = in[pos++];
      std::uint32_t digit;
      if (c >= 'a' && c <= 'z') digit = c - 'a';
      else if (c >= 'A' && c <= 'Z') digit = c - 'A';
      else if (c >= '0' && c <= '9') digit = c - '0' + 26;
      else return {};
      if (digit > (0x7fffffffu - i) / w) return {};
      i += digit * w;
      std::uint32_t t = k <= bias ? kTmin : k >= bias + kTmax ? kTmax : k - bias;
      if (digit < t) break;
      if (w > 0x7fffffffu / (kBase - t)) return {};
      w *= kBase - t;
    }
    std::uint32_t len = static_cast<std::uint32_t>(out.size()) + 1;
    bias = adapt(i - old, len, old == 0);
    if (i / len > 0x10FFFFu - n) return {};
    n += i / len;
    i %= len;
    if (out.size() >= 63) return {};
    out.insert(out.begin() + i, static_cast<char32_t>(n));
    ++i;
  }
  return out;
}

}  // namespace legit::lookalike
