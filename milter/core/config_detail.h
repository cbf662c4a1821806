// config_detail.h — internals shared by the config units: config.cc (values
// to a Config, accessors), config_parse.cc (command line and file with
// Boost.Program_options), config_render.cc (--help and the config file).
//
// Nothing here throws for bad input: checks return "" or an error message
// naming the option ("option 'mode': 'x' is not one of: enforce, dry-run").
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "legit/config.h"

namespace legit::detail {

// One value as given, and where: "" for the command line or an override,
// "in FILE line N" for the config file.
struct Given {
  std::string text;
  std::string where;
};
// Option name -> its values in the order given (one source, or merged).
using GivenMap = std::map<std::string, std::vector<Given>>;

std::optional<double> parse_number(std::string_view s);
std::optional<bool> parse_bool(std::string_view s);
// Items of a list value: split on spaces, tabs and commas, empties dropped.
std::vector<std::string> split_list(std::string_view s);
// Shortest text that reads back as the same double: "-2.5", "1".
std::string format_number(double v);
// Printable-ASCII copy for messages, cut at 100 bytes.
std::string quote_value(std::string_view s);

const OptionSpec* find_spec(const std::vector<OptionSpec>& specs, std::string_view name);

// The values an option ends with: given values (lists: split into items),
// else its default (split likewise). Scalars keep only the last value.
std::vector<Given> effective(const OptionSpec& spec, const GivenMap& given);
// Checks one value against the spec's kind, choices and check; "" if fine,
// else "option 'NAME': 'VALUE' REASON[ (WHERE)]". Booleans come back
// normalized to "yes"/"no" in *normalized when set.
std::string check_value(const OptionSpec& spec, const Given& g, std::string* normalized = nullptr);

// Defaults overlaid with `given`, every value checked, typed fields filled.
std::optional<Config> build_config(const std::vector<OptionSpec>& specs, const GivenMap& given,
                                   std::string* error);

// Reads a config file (syntax: config_file.cc) into *out: full option name
// -> values with "in FILE line N". Returns "" or the first error.
std::string read_config_file(const std::string& file, const std::vector<OptionSpec>& specs,
                             GivenMap* out);
// The same for a file's text already in memory (`file` names it in errors).
std::string read_config_text(const std::string& text, const std::string& file,
                             const std::vector<OptionSpec>& specs, GivenMap* out);

// A config file for `c` (nullptr: the defaults): every option with its help
// and default; the options in `set` (given in a file or on the command line)
// uncommented with their value in c, the others commented out with their
// default. `source` (config_source) goes in a header line when `set` is not
// empty.
std::string render_config(const Config* c, const std::set<std::string>& set,
                          const std::string& source);

// The paragraphs that explain the file's syntax (config file header and
// legit-milter.conf(5) both print them).
const std::vector<std::string>& file_syntax();

// A value as the config file reads it back: quoted when it holds '#', starts
// with '"' or has outer spaces.
std::string file_value(const std::string& v);

// The --help text: general flags, the subcommand's extras (if any), core
// options, each registered check, the points rows.
std::string render_help(const ExtraOptions& extra);

inline constexpr std::string_view kPointsPrefix = "points.";
// "points.<check>.<result>": the option name of one points row.
std::string points_name(std::string_view check, std::string_view result);

}  // namespace legit::detail
