// config_parse.cc — parse_config(): the command line through a
// Boost.Program_options description built from all_options() (no second
// list of option names), and the config file (config_file.cc): -c FILE, else
// the default file (LEGIT_SYSCONFDIR/legit-milter.conf, or
// $LEGIT_MILTER_CONF) when it exists. Command-line values replace the
// file's, option by option; config.cc checks the values and builds the
// Config.
//
// Never throws: a bad argument, an unreadable file, an unknown option or a
// bad value comes back as ParseResult::error naming the option and, for the
// file, the file name and line ("unknown option 'dns-sever' (in
// /etc/legit-milter.conf line 12)").
#include <cstdlib>
#include <filesystem>
#include <set>

#include <boost/program_options.hpp>

#include "config_detail.h"

namespace po = boost::program_options;

namespace legit {
namespace {

using detail::Given;
using detail::GivenMap;

// Every value is taken as text (one per occurrence) and checked by config.cc.
// A boolean may stand alone ("--skip-authenticated" = yes).
po::value_semantic* semantic_for(const OptionSpec& spec) {
  auto* v = po::value<std::vector<std::string>>();
  if (spec.kind == OptKind::boolean) v->implicit_value({"yes"}, "yes");
  return v;
}

void add_specs(po::options_description& desc, const std::vector<OptionSpec>& specs) {
  for (const auto& s : specs) desc.add_options()(s.name.c_str(), semantic_for(s), s.help.c_str());
}

po::options_description cli_description(const std::vector<OptionSpec>& specs,
                                        const ExtraOptions& extra) {
  po::options_description desc;
  desc.add_options()("config,c", po::value<std::vector<std::string>>(), "config file")(
      "test-config,t", "check the configuration and exit")("help,h", "show help")(
      "version,V", "show the version")("dump-config", "print the effective config file")(
      "man-page", po::value<std::vector<std::string>>(), "print a man page (8 or 5)");
  add_specs(desc, specs);
  add_specs(desc, extra.options);
  return desc;
}

// Which file to read: -c FILE, else the default file when it exists.
// Fills r.config_file ("" = none) and r.config_source; false + r.error when
// the default path exists but cannot be examined.
bool pick_file(const std::optional<std::string>& given, ParseResult& r) {
  if (given) {
    r.config_file = *given;
    r.config_source = "read " + *given;
    return true;
  }
  std::string path = default_config_path();
  if (path.empty()) {
    r.config_source = "no config file (LEGIT_MILTER_CONF is empty): built-in defaults apply";
    return true;
  }
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    r.error = "cannot read config file '" + path + "': " + ec.message();
    return false;
  }
  if (exists) {
    r.config_file = path;
    r.config_source = "read " + path;
  } else {
    r.config_source = "no " + path + ": built-in defaults apply";
  }
  return true;
}

struct CommandLine {
  GivenMap core, extra;
  std::optional<std::string> config_file;
};

// Sorts the parsed command line into ParseResult flags and values.
std::string sort_options(const po::parsed_options& parsed, const ExtraOptions& extra,
                         ParseResult& r, CommandLine& cl) {
  for (const auto& o : parsed.options) {
    const std::string& k = o.string_key;
    // Only a boolean (implicit value) can come without a token.
    std::string v = o.value.empty() ? "yes" : o.value.front();
    if (o.position_key >= 0 || k.empty())
      return "unexpected argument '" + detail::quote_value(v) + "' (options are --name VALUE)";
    if (k == "config") cl.config_file = v;
    else if (k == "test-config") r.check_only = true;
    else if (k == "help") r.show_help = true;
    else if (k == "version") r.show_version = true;
    else if (k == "dump-config") r.dump_config = true;
    else if (k == "man-page") r.man_page = v;
    else if (detail::find_spec(extra.options, k)) cl.extra[k].push_back({v, ""});
    else cl.core[k].push_back({v, ""});
  }
  return "";
}

// Fills r.extra_values from the command line (else defaults), checked.
std::string fill_extras(const ExtraOptions& extra, const GivenMap& given, ParseResult& r) {
  for (const auto& spec : extra.options) {
    auto& out = r.extra_values[spec.name];
    if (spec.def.empty() && !given.count(spec.name)) {
      if (spec.kind == OptKind::boolean) out = {"no"};
      continue;
    }
    for (const auto& g : detail::effective(spec, given)) {
      std::string norm;
      std::string why = detail::check_value(spec, g, &norm);
      if (!why.empty()) return why;
      out.push_back(std::move(norm));
    }
  }
  return "";
}

std::string duplicate_name(const std::vector<OptionSpec>& specs, const ExtraOptions& extra) {
  std::map<std::string, int> n;
  for (const auto& s : specs) ++n[s.name];
  for (const auto& s : extra.options) ++n[s.name];
  for (const char* b : {"config", "test-config", "help", "version", "dump-config", "man-page"}) ++n[b];
  for (const auto& [name, count] : n)
    if (count > 1) return "option '" + name + "' is declared twice (programming error)";
  return "";
}

void parse(int argc, const char* const* argv, const ExtraOptions& extra, ParseResult& r) {
  std::vector<OptionSpec> specs = all_options();
  if ((r.error = duplicate_name(specs, extra)) != "") return;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  po::options_description desc = cli_description(specs, extra);
  po::parsed_options parsed(&desc);
  try {
    int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    parsed = po::command_line_parser(args).options(desc).style(style).run();
  } catch (const po::unknown_option& e) {
    r.error = "unknown option '" + detail::quote_value(e.get_option_name()) + "'";
    return;
  } catch (const po::error& e) {
    r.error = e.what();
    return;
  }
  CommandLine cl;
  if ((r.error = sort_options(parsed, extra, r, cl)) != "") return;
  if (r.show_help) r.help_text = detail::render_help(extra);
  if (r.show_help || r.show_version || !r.man_page.empty()) return;
  if ((r.error = fill_extras(extra, cl.extra, r)) != "") return;
  GivenMap merged;
  if (!pick_file(cl.config_file, r)) return;
  if (!r.config_file.empty() && (r.error = detail::read_config_file(r.config_file, specs, &merged)) != "")
    return;
  for (auto& [name, vals] : cl.core) merged[name] = std::move(vals);
  r.config = detail::build_config(specs, merged, &r.error);
  if (r.config && r.dump_config) {
    std::set<std::string> set;
    for (const auto& [name, vals] : merged) set.insert(name);
    r.dump_text = detail::render_config(&*r.config, set, r.config_source);
  }
}

}  // namespace

ParseResult parse_config_text(std::string_view text, const std::string& name) {
  ParseResult r;
  try {
    std::vector<OptionSpec> specs = all_options();
    GivenMap given;
    if ((r.error = detail::read_config_text(std::string(text), name, specs, &given)) == "")
      r.config = detail::build_config(specs, given, &r.error);
  } catch (const std::exception& e) {
    r.error = std::string("cannot parse the configuration: ") + e.what();
  }
  if (!r.error.empty()) r.config.reset();
  return r;
}

std::string default_config_path() {
  if (const char* env = std::getenv("LEGIT_MILTER_CONF")) return env;
  return LEGIT_SYSCONFDIR "/legit-milter.conf";
}

ParseResult parse_config(int argc, const char* const* argv) {
  return parse_config(argc, argv, ExtraOptions{});
}

ParseResult parse_config(int argc, const char* const* argv, const ExtraOptions& extra) {
  ParseResult r;
  try {
    parse(argc, argv, extra, r);
  } catch (const std::exception& e) {  // e.g. bad_alloc: still an answer, not a crash
    r.config.reset();
    r.error = std::string("cannot parse the configuration: ") + e.what();
  }
  if (!r.error.empty()) r.config.reset();
  return r;
}

}  // namespace legit
