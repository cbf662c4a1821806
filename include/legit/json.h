// json.h — JSON string quoting: the one quoting of `check --json` (glue) and
// `report --json` (insight).
// Any byte string in, valid JSON out: control bytes become \u00XX, bytes
// that are not valid UTF-8 become \u00XX of the byte (never invalid output).
#pragma once

#include <string>
#include <string_view>

namespace legit {
std::string json_quote(std::string_view s);
}  // namespace legit
