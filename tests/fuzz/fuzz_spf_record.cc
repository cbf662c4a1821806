// fuzz_spf_record.cc — the SPF record syntax check and rewrite
// (milter/checks/spf_record.h). Input: the record text; its last byte's low
// bit picks the client's address family. Properties: never throws; a record
// that passes has a non-empty rewrite starting with "v=spf1", and the rewrite
// passes the check again (libspf2 only ever sees records we accept).
#include "fuzz_input.h"
#include "spf_record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::fuzz::fuzz_require;
  std::string_view in = legit::fuzz::text(data, size);
  bool v6 = size > 0 && (data[size - 1] & 1);
  auto r = legit::spf::check_record(in, v6);
  if (!r.ok) {
    fuzz_require(!r.why.empty(), "a refused record says why");
    return 0;
  }
  fuzz_require(r.rewritten.rfind("v=spf1", 0) == 0, "the rewrite starts with v=spf1");
  auto again = legit::spf::check_record(r.rewritten, v6);
  fuzz_require(again.ok, "the rewrite of a valid record is valid");
  return 0;
}
