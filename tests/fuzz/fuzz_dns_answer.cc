// fuzz_dns_answer.cc — the DNS reply parser (milter/dns/answer_parse.h):
// parse_answer() on a wire packet for each query type, and query_name() /
// name_text() on the same bytes as a name. Input: the first byte picks the
// type, the rest is the packet. Properties: never throws; only an ok answer
// carries records; name_text() never yields a raw non-printable byte.
#include "answer_parse.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::DnsStatus;
  using legit::DnsType;
  using legit::fuzz::fuzz_require;
  if (size == 0) return 0;
  static const DnsType kTypes[] = {DnsType::A,  DnsType::NS,  DnsType::CNAME, DnsType::PTR,
                                   DnsType::MX, DnsType::TXT, DnsType::AAAA,  DnsType::SPF};
  DnsType t = kTypes[data[0] % 8];
  auto a = legit::dns_detail::parse_answer(data + 1, size - 1, t, data[0]);
  if (a.status != DnsStatus::ok) fuzz_require(a.records.empty(), "records only when ok");
  std::string_view name = legit::fuzz::text(data + 1, size - 1);
  std::string why;
  auto q = legit::dns_detail::query_name(name, &why);
  fuzz_require(q.has_value() || !why.empty(), "a name or why not");
  std::string shown = legit::dns_detail::name_text(std::string(name));
  (void)shown;
  return 0;
}
