// fuzz_auth_results.cc — the forged-header detector and the A-R formatter
// (include/legit/headers.h). Input fields (NUL-separated): header name,
// header value, our authserv-id, then a byte choosing the method and result
// words (ours, never hostile), the reason and two property values (hostile:
// from the client or DNS). Properties: never throws; an A-R whose authserv-id
// reads back as X is forged for X; X-Legit-Score is always forged; the A-R
// value we emit has no CR or NUL, every line break is a fold ("\n\t"), and
// nothing else outside printable ASCII.
#include "fuzz_input.h"
#include "legit/headers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::fuzz::fuzz_require;
  auto f = legit::fuzz::fields(legit::fuzz::text(data, size), 8);
  bool forged = legit::is_forged(f[0], f[1], f[2]);
  if (f[0] == "X-Legit-Score") fuzz_require(forged, "X-Legit-Score is forged");
  std::string id = legit::ar_authserv_id(f[1]);
  if (!id.empty())
    fuzz_require(legit::is_forged(legit::kArHeader, f[1], id), "own authserv-id is forged");

  static const char* const kMethods[] = {"iprev", "spf", "dkim", "dmarc", "auth"};
  static const char* const kResults[] = {"pass", "fail", "softfail", "neutral", "none",
                                         "temperror", "permerror", "policy"};
  unsigned char pick = f[3].empty() ? 0 : static_cast<unsigned char>(f[3][0]);
  legit::ArEntry e{kMethods[pick % 5], kResults[(pick / 5) % 8], f[5],
                   {{"smtp.mailfrom", f[6]}, {"header.d", f[7]}}};
  std::string out = legit::format_ar_header(f[2], {e, e});
  for (std::size_t i = 0; i < out.size(); ++i) {
    unsigned char c = out[i];
    if (c == '\n') {
      fuzz_require(i + 1 < out.size() && out[i + 1] == '\t', "a line break is a fold");
      continue;
    }
    fuzz_require(c == '\t' || (c >= 0x20 && c < 0x7f), "printable A-R value");
  }
  return 0;
}
