// config_file.cc — reads a config file into option values with their file
// and line (config_detail.h: read_config_file). Our own reader, not
// Boost.Program_options': po carries no line numbers, cannot quote a '#',
// and reads an option appended after [points] as "points.<name>".
//
// Syntax, one "name = value" per line:
//   - '#' starts a comment that runs to the end of the line (also after a
//     value), blank lines are ignored, spaces around name and value too;
//   - a value in double quotes keeps everything inside, '#' and outer
//     spaces included: reject-reply = "Rejected, see https://example.org/#mail"
//     (\" and \\ inside the quotes stand for " and \);
//   - "[points]" starts the points section: "check.result = N" lines there
//     are the option "points.check.result". A name without a dot (a core or
//     check option) keeps its own meaning anywhere, so
//     `echo 'mode = dry-run' >> legit-milter.conf` does what it says;
//   - a list option may be repeated (the lines add up); any other option set
//     twice is an error naming both lines.
// Bad input never throws: the first problem in file order comes back as an
// error naming the option (or the line), the file and the line number.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "config_detail.h"

namespace legit::detail {
namespace {

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// The value after '=': quoted (escapes undone) or up to a '#' comment,
// trimmed. Returns "" on success, else why the value cannot be read.
std::string read_value(std::string_view raw, std::string* value) {
  std::string_view s = raw;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  if (s.empty() || s.front() != '"') {
    *value = trim(s.substr(0, s.find('#')));
    return "";
  }
  value->clear();
  for (std::size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\')) {
      *value += s[++i];
    } else if (c == '"') {
      std::string after = trim(s.substr(i + 1));
      if (!after.empty() && after.front() != '#') return "text after the closing quote";
      return "";
    } else {
      *value += c;
    }
  }
  return "no closing quote";
}

struct Reader {
  const std::string& file;
  const std::vector<OptionSpec>& specs;
  GivenMap* out;
  std::map<std::string, int> first_line;  // non-list options: where set

  std::string where(int n) const { return "in " + file + " line " + std::to_string(n); }

  // One line; "" when fine (or nothing to do), else the error.
  std::string line(std::string_view text, int n, std::string& section) {
    std::string bare = trim(text.substr(0, text.find('#')));
    if (bare.empty()) return "";
    if (bare.front() == '[' && bare.back() == ']') {
      section = trim(std::string_view(bare).substr(1, bare.size() - 2));
      if (section == "points") return "";
      return "unknown section '[" + quote_value(section) + "]' (" + where(n) + "; only [points])";
    }
    auto eq = text.find('=');
    std::string name = eq == std::string_view::npos ? "" : trim(text.substr(0, eq));
    if (name.empty() || name.find('#') != std::string::npos || eq > text.find('#'))
      return "config file " + file + " line " + std::to_string(n) + ": not a 'name = value' line";
    std::string value;
    std::string why = read_value(text.substr(eq + 1), &value);
    if (!why.empty()) return "option '" + quote_value(name) + "': " + why + " (" + where(n) + ")";
    std::string full = name;
    bool own_meaning = name.find('.') == std::string::npos && find_spec(specs, name);
    if (!section.empty() && !own_meaning) full = section + "." + name;
    const OptionSpec* spec = find_spec(specs, full);
    if (!spec) return "unknown option '" + quote_value(full) + "' (" + where(n) + ")";
    if (spec->kind != OptKind::list) {
      auto [it, fresh] = first_line.emplace(full, n);
      if (!fresh)
        return "option '" + full + "' is set twice in " + file + ": line " +
               std::to_string(it->second) + " and line " + std::to_string(n) + " (keep one)";
    }
    (*out)[full].push_back({std::move(value), where(n)});
    return "";
  }
};

}  // namespace

std::string read_config_file(const std::string& file, const std::vector<OptionSpec>& specs,
                             GivenMap* out) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    return "cannot read config file '" + file + "': it is a directory";
  std::ifstream in(file, std::ios::binary);
  if (!in) return "cannot read config file '" + file + "': " + std::strerror(errno);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return "cannot read config file '" + file + "': read error";
  return read_config_text(text, file, specs, out);
}

std::string read_config_text(const std::string& text, const std::string& file,
                             const std::vector<OptionSpec>& specs, GivenMap* out) {
  Reader r{file, specs, out, {}};
  std::istringstream lines(text);
  std::string section, line;
  for (int n = 1; std::getline(lines, line); ++n) {
    std::string err = r.line(line, n, section);
    if (!err.empty()) return err;
  }
  return "";
}

}  // namespace legit::detail
