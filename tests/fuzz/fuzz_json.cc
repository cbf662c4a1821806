// fuzz_json.cc — json_quote() (include/legit/json.h), which writes every
// untrusted text of `check --json` and `report --json`. Properties: the output is one JSON
// string (RFC 8259 §7): quotes around, no raw control byte, every backslash
// a valid escape, and strictly valid UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF) — what a strict JSON parser accepts.
#include <iconv.h>

#include <cctype>

#include "fuzz_input.h"
#include "legit/json.h"

namespace {

// glibc's UTF-8 decoder is strict (overlongs, surrogates and code points
// above U+10FFFF are EILSEQ): an oracle independent of json.cc's own check.
bool valid_utf8(std::string_view s) {
  iconv_t cd = iconv_open("UTF-32LE", "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) return true;  // no oracle: do not judge
  std::string in(s), out(4 * s.size() + 4, '\0');
  char *ip = in.data(), *op = out.data();
  std::size_t il = in.size(), ol = out.size();
  std::size_t r = iconv(cd, &ip, &il, &op, &ol);
  iconv_close(cd);
  return r != static_cast<std::size_t>(-1) && il == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::fuzz::fuzz_require;
  std::string out = legit::json_quote(legit::fuzz::text(data, size));
  fuzz_require(out.size() >= 2 && out.front() == '"' && out.back() == '"', "quoted");
  std::string_view body(out.data() + 1, out.size() - 2);
  for (std::size_t i = 0; i < body.size();) {
    unsigned char c = body[i];
    fuzz_require(c >= 0x20, "no raw control byte");
    fuzz_require(c != '"', "no bare quote inside");
    if (c == '\\') {
      fuzz_require(i + 1 < body.size(), "a complete escape");
      char e = body[i + 1];
      if (e == 'u') {
        fuzz_require(i + 6 <= body.size(), "a complete \\u escape");
        for (std::size_t k = 2; k < 6; ++k)
          fuzz_require(std::isxdigit(static_cast<unsigned char>(body[i + k])) != 0, "hex digits");
        i += 6;
      } else {
        fuzz_require(std::string_view("\"\\/bfnrt").find(e) != std::string_view::npos, "a JSON escape");
        i += 2;
      }
      continue;
    }
    ++i;
  }
  fuzz_require(valid_utf8(body), "strictly valid UTF-8");
  return 0;
}
