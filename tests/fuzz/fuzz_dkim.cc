// fuzz_dkim.cc — a message through the DKIM verifier (milter/checks/
// dkim_verifier.h): our header_line() rebuild, libopendkim's parser of
// hostile DKIM-Signature fields, canonicalisation, the key record parser
// and the signature check. Input fields: the key record served for every
// selector (a selector named "tmp" times out instead), then the raw message
// (parsed by message_file.h as `check --message` does). Properties: never
// throws; at most 5 results (dkim-max-signatures' default), each one of the
// RFC 8601 words the check uses.
#include <set>

#include "dkim_verifier.h"
#include "fuzz_input.h"
#include "legit/message_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::fuzz::fuzz_require;
  std::string_view in = legit::fuzz::text(data, size);
  auto cut = in.find('\0');
  std::string key(in.substr(0, cut));
  auto msg = legit::parse_message(cut == std::string_view::npos ? "" : in.substr(cut + 1));
  legit::dkim::Verifier v(
      [&key](const std::string& sel, const std::string&) {
        if (sel == "tmp") return legit::DnsAnswer::of(legit::DnsStatus::temperror, "timeout");
        legit::DnsAnswer a;
        a.status = legit::DnsStatus::ok;
        a.records = {key};
        return a;
      },
      5);
  for (const auto& h : msg.headers) v.header(h.name, h.value);
  v.end_of_headers();
  v.body(msg.body);
  auto results = v.finish(false);
  static const std::set<std::string> kWords = {"pass",    "fail",      "neutral",  "policy",
                                               "temperror", "permerror"};
  fuzz_require(results.size() <= 5, "at most dkim-max-signatures results");
  for (const auto& r : results) fuzz_require(kWords.count(r.result) == 1, "a result word");
  return 0;
}
