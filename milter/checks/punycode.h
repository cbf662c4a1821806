// punycode.h — the code points of an A-label's part after "xn--" (RFC 3492
// bootstring decoding), for the look-alike checks, which must read a label
// even where IDNA would refuse it (a homoglyph mix is what they look for).
// Bad input (a non-ASCII basic part, a bad digit, overflow, more than 63
// code points, a cut-off number): empty, never an exception.
#pragma once

#include <string>
#include <string_view>

namespace legit::lookalike {

std::u32string punycode_decode(std::string_view in);

}  // namespace legit::lookalike
