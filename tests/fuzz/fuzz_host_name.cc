// fuzz_host_name.cc — what the checks do with a host name from DNS or the
// client (a PTR name, a HELO argument): the generic-name classifier
// (milter/checks/generic_name.h), libpsl's registrable domain
// (include/legit/domain.h), is_hostname / normalize_name
// (milter/core/names.h), and IP address parsing (include/legit/ip.h).
// Input fields (NUL-separated): the name, a client address. Properties:
// never throws; a name that is not a host name is "plain"; the reason text
// holds only [a-z0-9 .:',-]; a registrable domain is a suffix of the
// normalized name; a parsed address prints back to text that parses again.
#include "fuzz_input.h"
#include "generic_name.h"
#include "legit/domain.h"
#include "legit/ip.h"
#include "names.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::fuzz::fuzz_require;
  static const legit::GenericWords words = [] {
    std::string err;
    return legit::GenericWords::from(*legit::config_from({}, &err));
  }();
  auto f = legit::fuzz::fields(legit::fuzz::text(data, size), 2);
  const std::string& name = f[0];
  auto ip = legit::IpAddress::parse(f[1]);
  if (ip) {
    auto again = legit::IpAddress::parse(ip->to_string());
    fuzz_require(again && again->to_string() == ip->to_string(), "an address prints back");
  }
  auto v = legit::classify_name(name, ip ? &*ip : nullptr, words);
  if (!legit::is_hostname(name)) fuzz_require(v.shape == legit::NameShape::plain, "not a host name: plain");
  for (char c : v.why)
    fuzz_require((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     std::string_view(" .:',-").find(c) != std::string_view::npos,
                 "reason text alphabet");
  std::string reg = legit::registrable_domain(name);
  std::string norm = legit::normalize_name(name);
  if (!reg.empty())
    fuzz_require(norm.size() >= reg.size() && norm.compare(norm.size() - reg.size(), reg.size(), reg) == 0,
                 "the registrable domain ends the name");
  (void)legit::host_part(name);
  return 0;
}
