// fuzz_spf_eval.cc — a whole SPF evaluation (milter/checks/spf_eval.h):
// our record check and rewrite, then libspf2's compiler, macro expansion and
// interpreter, with every DNS answer from a fake resolver. Input fields
// (NUL-separated): the TXT record of the sender's domain, the sender's
// local-part, the HELO name, a second TXT record served for every other
// name (include:, redirect=, exists:, exp=), then a byte choosing IPv4 or
// IPv6 for the client. Properties: never throws; the result is an RFC 8601
// word; the detail is one printable line.
#include <chrono>
#include <set>

#include "fake_resolver.h"
#include "fuzz_input.h"
#include "spf_eval.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::fuzz::fuzz_require;
  auto f = legit::fuzz::fields(legit::fuzz::text(data, size), 5);
  legit::test::FakeResolver dns;
  dns.add("spf.fuzz", legit::DnsType::TXT, {f[0]});
  dns.add("spf.fuzz", legit::DnsType::A, {"192.0.2.1"});
  dns.add("spf.fuzz", legit::DnsType::MX, {"10 mx.spf.fuzz"});
  dns.add("mx.spf.fuzz", legit::DnsType::A, {"192.0.2.2"});
  dns.add("other.fuzz", legit::DnsType::TXT, {f[3]});
  bool v6 = !f[4].empty() && (f[4][0] & 1);
  legit::spf::SpfQuery q{v6 ? "2001:db8::1" : "192.0.2.1", f[2], f[1] + "@spf.fuzz", "spf.fuzz",
                         "mx.receiver.fuzz"};
  auto o = legit::spf::evaluate_spf(dns, q, std::chrono::milliseconds(2000));
  static const std::set<std::string> kWords = {"pass",    "fail",      "softfail", "neutral",
                                               "none",    "temperror", "permerror"};
  fuzz_require(kWords.count(o.result) == 1, "an RFC 8601 result word");
  for (unsigned char c : o.detail) fuzz_require(c >= 0x20 && c < 0x7f, "a printable one-line detail");
  return 0;
}
