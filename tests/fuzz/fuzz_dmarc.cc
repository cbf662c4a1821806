// fuzz_dmarc.cc — the DMARC policy record parser and the RFC5322.From domain
// extraction (milter/checks/dmarc_record.h). Input: the first NUL-separated
// field is a TXT record, the others are From header values. Properties:
// never throws; a record that parses is a DMARC record with pct in 0..100;
// a From domain is returned exactly when there is no error, lower-case.
#include "dmarc_record.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::fuzz::fuzz_require;
  auto f = legit::fuzz::fields(legit::fuzz::text(data, size));
  const std::string& txt = f[0];
  if (legit::dmarc::is_dmarc_record(txt)) {
    auto p = legit::dmarc::parse_record(txt);
    fuzz_require(p.record.has_value() != !p.error.empty(), "a record or an error");
    if (p.record) fuzz_require(p.record->pct >= 0 && p.record->pct <= 100, "pct in 0..100");
  }
  std::vector<std::string> from(f.begin() + 1, f.end());
  auto d = legit::dmarc::from_domain(from);
  fuzz_require(d.domain.empty() != d.error.empty(), "a domain or an error");
  for (char c : d.domain) fuzz_require(!(c >= 'A' && c <= 'Z'), "the domain is lower-case");
  return 0;
}
