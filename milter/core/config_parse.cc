// config_parse.cc — parse_config(): the command line and the -c config file,
// both through Boost.Program_options descriptions built from all_options()
// (no second list of option names). Command-line values replace the file's,
// option by option; config.cc checks the values and builds the Config.
//
// Never throws: a bad argument, an unreadable file, an unknown option or a
// bad value comes back as ParseResult::error naming the option and, for the
// file, the file name and line ("unknown option 'dns-sever' (in
// /etc/legit-milter.conf line 12)").
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

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
      "version,V", "show the version")("dump-config", "print the default config file");
  add_specs(desc, specs);
  add_specs(desc, extra.options);
  return desc;
}

// Where each "name = value" line of a config file is, by full option name
// (section prefix included), in file order; and the lines po will refuse.
// Mirrors po's reading: '#' starts a comment, "[sec]" prefixes "sec.".
struct FileMap {
  std::map<std::string, std::vector<int>> lines;
  std::vector<int> bad_lines;
};

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

FileMap scan_file(const std::string& text) {
  FileMap m;
  std::istringstream in(text);
  std::string line, section;
  for (int n = 1; std::getline(in, line); ++n) {
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    if (line.front() == '[' && line.back() == ']') {
      section = trim(line.substr(1, line.size() - 2));
      section += section.empty() ? "" : ".";
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos || trim(line.substr(0, eq)).empty()) {
      m.bad_lines.push_back(n);
      continue;
    }
    m.lines[section + trim(line.substr(0, eq))].push_back(n);
  }
  return m;
}

std::string at_line(const std::string& file, const FileMap& m, const std::string& name, size_t k) {
  auto it = m.lines.find(name);
  if (it == m.lines.end() || k >= it->second.size()) return "in " + file;
  return "in " + file + " line " + std::to_string(it->second[k]);
}

// Parses the text of config file FILE into *out (option name -> values with
// their lines).
std::string read_text(const std::string& text, const std::string& file,
                      const std::vector<OptionSpec>& specs, GivenMap* out) {
  FileMap m = scan_file(text);
  po::options_description desc;
  add_specs(desc, specs);
  std::istringstream stream(text);
  po::parsed_options parsed(&desc);
  try {
    parsed = po::parse_config_file(stream, desc, false);
  } catch (const po::unknown_option& e) {
    return "unknown option '" + detail::quote_value(e.get_option_name()) + "' (" +
           at_line(file, m, e.get_option_name(), 0) + ")";
  } catch (const po::error& e) {
    if (!m.bad_lines.empty())
      return "config file " + file + " line " + std::to_string(m.bad_lines.front()) +
             ": not a 'name = value' line";
    return "config file " + file + ": " + e.what();
  }
  std::map<std::string, size_t> seen;
  for (const auto& o : parsed.options) {
    std::string where = at_line(file, m, o.string_key, seen[o.string_key]++);
    (*out)[o.string_key].push_back({o.value.empty() ? "" : o.value.front(), where});
  }
  return "";
}

// Reads FILE into *out.
std::string read_file(const std::string& file, const std::vector<OptionSpec>& specs, GivenMap* out) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    return "cannot read config file '" + file + "': it is a directory";
  std::ifstream in(file, std::ios::binary);
  if (!in) return "cannot read config file '" + file + "': " + std::strerror(errno);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return "cannot read config file '" + file + "': read error";
  return read_text(text, file, specs, out);
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
  for (const char* b : {"config", "test-config", "help", "version", "dump-config"}) ++n[b];
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
  if (r.show_help || r.show_version || r.dump_config) return;
  if ((r.error = fill_extras(extra, cl.extra, r)) != "") return;
  GivenMap merged;
  if (cl.config_file && (r.error = read_file(*cl.config_file, specs, &merged)) != "")
    return;
  for (auto& [name, vals] : cl.core) merged[name] = std::move(vals);
  r.config = detail::build_config(specs, merged, &r.error);
}

}  // namespace

ParseResult parse_config_text(std::string_view text, const std::string& name) {
  ParseResult r;
  try {
    std::vector<OptionSpec> specs = all_options();
    GivenMap given;
    if ((r.error = read_text(std::string(text), name, specs, &given)) == "")
      r.config = detail::build_config(specs, given, &r.error);
  } catch (const std::exception& e) {
    r.error = std::string("cannot parse the configuration: ") + e.what();
  }
  if (!r.error.empty()) r.config.reset();
  return r;
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
