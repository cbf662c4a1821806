// fuzz_config.cc — the config file parser through its in-memory entry point
// parse_config_text() (include/legit/config.h): Boost.Program_options'
// reader, our line scan for error positions, and every option's value check.
// Properties: never throws; a config or an error, never both.
#include "fuzz_input.h"
#include "legit/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using legit::fuzz::fuzz_require;
  auto r = legit::parse_config_text(legit::fuzz::text(data, size), "fuzz.conf");
  fuzz_require(r.config.has_value() == r.error.empty(), "a config or an error");
  return 0;
}
