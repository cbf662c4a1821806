// fuzz_message_file.cc — the message file parser (include/legit/message_file.h)
// that `legit-milter check --message` uses. Properties: never throws; header
// names are non-empty printable without ':'; every line of the body ends in
// CRLF unless it is the last; no header value line ends in CR.
#include "fuzz_input.h"
#include "legit/message_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::fuzz::fuzz_require;
  auto m = legit::parse_message(legit::fuzz::text(data, size));
  for (const auto& h : m.headers) {
    fuzz_require(!h.name.empty(), "non-empty header name");
    for (unsigned char c : h.name) fuzz_require(c > 32 && c < 127 && c != ':', "field name");
  }
  for (std::size_t i = m.body.find('\n'); i != std::string::npos; i = m.body.find('\n', i + 1))
    fuzz_require(i > 0 && m.body[i - 1] == '\r', "CRLF body lines");
  return 0;
}
