// fuzz_names.cc — the look-alike names (milter/checks/lookalike_names.h) and
// the lookalike and display-name checks through the engine. Input: the first
// NUL-separated field is a domain (also read as a punycode label and as
// UTF-8 text), the second a From header value, the third a MAIL FROM.
// Properties: never throws; a skeleton is ASCII; a decoded label has at
// most 63 code points; dns_domain (names.h, libidn2) gives A-labels or,
// when IDNA refuses the name, the name as given, normalized (an ASCII name
// always so); the checks report only their own result words.
#include <algorithm>
#include <set>

#include "fake_resolver.h"
#include "fuzz_input.h"
#include "legit/check.h"
#include "legit/engine.h"
#include "lookalike_names.h"
#include "names.h"

namespace {

const legit::Config& config() {
  static const legit::Config cfg = *legit::config_from({{"hostname", "mx.corp.example"},
                                                        {"authserv-id", "mx.corp.example"}}, nullptr);
  return cfg;
}

std::vector<const legit::CheckInfo*> checks() {
  std::vector<const legit::CheckInfo*> out;
  for (const auto& c : legit::check_registry())
    if (c.name == "lookalike" || c.name == "display-name") out.push_back(&c);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::fuzz::fuzz_require;
  namespace la = legit::lookalike;
  auto f = legit::fuzz::fields(legit::fuzz::text(data, size), 3);
  for (char c : la::skeleton(la::utf8_code_points(f[0])))
    fuzz_require(static_cast<unsigned char>(c) < 0x80, "a skeleton is ASCII");
  fuzz_require(la::label_code_points(f[0]).size() <= std::max<std::size_t>(63, f[0].size()), "bounded label");
  std::vector<la::Protected> names = {{"paypal.com", "paypal", "paypal", "paypal", false},
                                      {"corp.example", "corp", "corp", "corp", true}};
  const std::string dn = legit::dns_domain(f[0]);
  auto is_ascii = [](std::string_view t) {
    return std::all_of(t.begin(), t.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  };
  fuzz_require(is_ascii(dn) || dn == legit::normalize_name(f[0]), "dns_domain: A-labels or the name as given");
  if (is_ascii(f[0])) fuzz_require(dn == legit::normalize_name(f[0]), "dns_domain: an ASCII name is only normalized");
  auto r = la::resembles(f[0], names);
  fuzz_require((r.kind == la::Kind::none) == (r.whom == nullptr), "a resemblance names whom");
  static const auto cs = checks();
  legit::test::FakeResolver dns;
  legit::Engine engine(config(), dns, cs);
  auto d = engine.open();
  d->connect("unknown", "192.0.2.1");
  d->helo("mail.example.com");
  d->mail_from("<" + f[2] + ">", "");
  d->rcpt("<bob@corp.example>");
  d->header("From", f[1]);
  d->end_of_headers();
  auto o = d->end_of_message("Q");
  // The words the two checks declare (their points rows), not a copy here
  // that goes stale when a check learns a result (lookalike's `typo` did).
  static const std::set<std::string> words = [] {
    std::set<std::string> w;
    for (const auto* c : cs)
      for (const auto& p : c->points) w.insert(p.result);
    return w;
  }();
  for (const auto& it : o.verdict.items) {
    fuzz_require(words.count(it.finding.result) == 1, "only the checks' own result words");
    fuzz_require(it.finding.result != "error", "the checks never throw");
  }
  return 0;
}
