// fuzz_quote_untrusted.cc — quote_untrusted() (include/legit/headers.h), the
// quoting of every untrusted text in logs and details. Input: first byte is
// the cut length, the rest the text. Properties: the output is printable
// ASCII; its length is bounded by 4 * max + 3; printable text without a
// backslash within the cut comes back unchanged.
#include "fuzz_input.h"
#include "legit/headers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::fuzz::fuzz_require;
  if (size == 0) return 0;
  std::size_t max = data[0];
  std::string_view in = legit::fuzz::text(data + 1, size - 1);
  std::string out = legit::quote_untrusted(in, max);
  for (unsigned char c : out) fuzz_require(c >= 0x20 && c < 0x7f, "printable output");
  fuzz_require(out.size() <= 4 * max + 3, "bounded output");
  bool plain = in.size() <= max;
  for (unsigned char c : in) plain = plain && c >= 0x20 && c < 0x7f && c != '\\';
  if (plain) fuzz_require(out == in, "plain text unchanged");
  return 0;
}
