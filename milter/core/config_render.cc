// config_render.cc — text generated from the option table: the --help text
// (general flags, the subcommand's extras, core options, each check with its
// summary and options, then the points rows) and render_default_config(),
// the documented config file etc/legit-milter.conf is generated from.
//
// Pure formatting: no input to reject; the same table gives the same text.
#include <sstream>

#include "config_detail.h"
#include "legit/check.h"
#include "legit/version.h"

namespace legit {
namespace detail {

std::string points_name(std::string_view check, std::string_view result) {
  std::string n(kPointsPrefix);
  n.append(check).append(".").append(result);
  return n;
}

namespace {

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// Words of `text` on lines of at most `width` columns: the first prefixed
// with `first`, the others with `rest` (default: the same).
std::string wrap(std::string_view text, const std::string& first, std::string rest = "",
                 size_t width = 78) {
  if (rest.empty()) rest = first;
  std::string out, line;
  const std::string* prefix = &first;
  for (const auto& word : split_words(text)) {
    if (!line.empty() && prefix->size() + line.size() + 1 + word.size() > width) {
      out += *prefix + line + "\n";
      line.clear();
      prefix = &rest;
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += *prefix + line + "\n";
  return out;
}

std::string placeholder(const OptionSpec& s) {
  switch (s.kind) {
    case OptKind::number: return " N";
    case OptKind::boolean: return "[=yes|no]";
    case OptKind::list: return " LIST";
    case OptKind::choice: {
      std::string c;
      for (const auto& x : s.choices) c += (c.empty() ? "" : "|") + x;
      return " " + c;
    }
    case OptKind::string: break;
  }
  return " TEXT";
}

std::string shown_default(const std::string& def) { return def.empty() ? "(empty)" : def; }

void help_option(std::ostream& out, const OptionSpec& s) {
  out << "  --" << s.name << placeholder(s) << "\n"
      << wrap(s.help + " Default: " + shown_default(s.def) + ".", "      ");
}

void help_group(std::ostream& out, const std::string& title, const std::vector<OptionSpec>& opts) {
  out << "\n" << title << "\n";
  for (const auto& s : opts) help_option(out, s);
}

// Every command main() dispatches on is listed here (test_config_file.sh
// checks each one against --help and its own --help).
const char* kUsage =
    "Usage: legit-milter [-c FILE] [-t] [--OPTION VALUE ...]\n"
    "       legit-milter check [--record] --client-ip IP --helo NAME --mail-from ADDR [options]\n"
    "       legit-milter dig [--dns-server IP[@PORT]] NAME TYPE...\n"
    "       legit-milter memory show|forget [ADDRESS|IP|NETWORK|DOMAIN] [options]\n"
    "       legit-milter stats [--metrics-listen inet:PORT@IP] [--raw]\n"
    "       legit-milter report [--since T] [--until T] [--json] [--html FILE] [FILE...]\n"
    "\nCommands (each has --help):\n"
    "  (none)   run the milter in the foreground on --socket\n"
    "  check    score one SMTP session offline and explain it (--json for scripts;\n"
    "           --record also updates the sender memory as a real session would)\n"
    "  dig      ask the milter's resolver, for debugging DNS\n"
    "  memory   show or forget what the sender memory holds on an address, network or domain\n"
    "  stats    print the running milter's counters (from its metrics-listen endpoint)\n"
    "  report   summarise our log lines (files, .gz, stdin): actions, scores, offenders,\n"
    "           probes, latency; --html FILE writes a page with charts\n";

// The value `c` holds for option `s`, as the file writes it.
std::string value_of(const Config& c, const OptionSpec& s) {
  if (s.kind == OptKind::list) {
    std::string v;
    for (const auto& item : c.lists.at(s.name)) v += (v.empty() ? "" : " ") + item;
    return v;
  }
  if (s.kind == OptKind::number) return format_number(c.numbers.at(s.name));
  return file_value(c.values.at(s.name));
}

// The config-file entry of one option: help, default, then the line: the
// value set (`value` not null) or the default, commented out.
void file_option(std::ostream& out, const OptionSpec& s, const std::string& key,
                 const std::string* value) {
  out << "\n" << wrap(s.help, "# ");
  if (s.kind == OptKind::choice) {
    std::string c;
    for (const auto& x : s.choices) c += (c.empty() ? "" : " | ") + x;
    out << "# values: " << c << "\n";
  }
  out << wrap(shown_default(s.def), "# default: ", "#   ");
  if (value)
    out << key << " =" << (value->empty() ? "" : " " + *value) << "\n";
  else
    out << "#" << key << " =" << (s.def.empty() ? "" : " " + s.def) << "\n";
}

const char* kFileHeader =
    "# legit-milter.conf: configuration of legit-milter, the Postfix milter that\n"
    "# scores how legitimate an SMTP sender is.\n"
    "#\n"
    "# Generated by `legit-milter --dump-config`: every option with its help and\n"
    "# its built-in default. Every setting is commented out, so this file changes\n"
    "# nothing as shipped: remove the leading '#' and edit the value to change one.\n"
    "#\n";

}  // namespace

const std::vector<std::string>& file_syntax() {
  static const std::vector<std::string> text = {
      "Format: \"name = value\", one per line. '#' starts a comment that runs to the end "
      "of the line. A value in double quotes keeps everything inside, '#' included: "
      "reject-reply = \"Rejected, see https://example.org/#mail\" (\\\" and \\\\ inside "
      "the quotes stand for \" and \\).",
      "Booleans: yes/no, true/false, on/off, 1/0. Lists: items separated by spaces or "
      "commas, or the line repeated; a list set in the file replaces the default. Any "
      "other option set twice is an error naming both lines, and so are unknown names.",
      "The [points] section at the end says what each check result is worth (higher = "
      "more legitimate), as \"check.result = N\". Options without a dot in their name "
      "keep their meaning after \"[points]\" too, so a line appended at the end of the "
      "file works.",
      "Every option can also be given on the command line as --name VALUE (points as "
      "--points.CHECK.RESULT=N), which wins over the file. Without -c, legit-milter reads "
      LEGIT_SYSCONFDIR "/legit-milter.conf when it exists. Check a file with: "
      "legit-milter -t -c " LEGIT_SYSCONFDIR "/legit-milter.conf",
  };
  return text;
}

std::string render_help(const ExtraOptions& extra) {
  std::ostringstream out;
  out << (extra.usage.empty() ? kUsage : extra.usage)
      << "\nlegit-milter " LEGIT_VERSION ": scores how legitimate an SMTP sender is.\n"
         "Every option can be given as --name VALUE or in the config file as\n"
         "\"name = value\" (points in its [points] section as \"check.result = N\").\n"
         "\nGeneral:\n"
         "  -c, --config FILE     read options from FILE; the command line wins\n"
         "  -t, --test-config     check the configuration and exit (0 = fine)\n"
         "  -h, --help            show this help\n"
         "  -V, --version         show the version\n";
  if (!extra.options.empty())
    help_group(out, extra.title.empty() ? "Command options:" : extra.title + ":", extra.options);
  help_group(out, "Core options:", core_options());
  for (const auto& c : check_registry()) {
    out << "\nCheck " << c.name << ": " << c.summary << "\n";
    for (const auto& s : c.options) help_option(out, s);
  }
  out << "\nPoints (what each check result is worth; higher = more legitimate):\n";
  for (const auto& c : check_registry())
    for (const auto& row : c.points)
      out << "  --" << points_name(c.name, row.result) << " N  (default "
          << format_number(row.points) << ")\n"
          << wrap(row.why, "      ");
  return out.str();
}

std::string file_value(const std::string& v) {
  bool quote = v.find('#') != std::string::npos || (!v.empty() && (v.front() == '"' || v.front() == ' ' ||
                                                                  v.back() == ' ' || v.front() == '\t' ||
                                                                  v.back() == '\t'));
  if (!quote) return v;
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

std::string render_config(const Config* c, const std::set<std::string>& set, const std::string& source) {
  std::ostringstream out;
  if (c && !set.empty())
    out << "# Effective configuration (" << source << ", then the command line): the\n"
           "# options set there are not commented out.\n";
  out << kFileHeader;
  for (const auto& p : file_syntax()) out << wrap(p, "# ") << "#\n";
  out << "\n# ===== Core options =====\n";
  // The entry of one option, its value when set.
  auto entry = [&](const OptionSpec& s, const std::string& key) {
    bool given = c && set.count(s.name);
    std::string v = given ? value_of(*c, s) : "";
    file_option(out, s, key, given ? &v : nullptr);
  };
  for (const auto& s : core_options()) entry(s, s.name);
  for (const auto& chk : check_registry()) {
    out << "\n# ===== Check " << chk.name << " =====\n" << wrap(chk.summary, "# ");
    for (const auto& s : chk.options) entry(s, s.name);
  }
  out << "\n[points]\n# What each check result is worth (higher = more legitimate); the\n"
         "# comment above a row says why. Here as \"check.result = N\", on the command\n"
         "# line as --points.check.result=N.\n";
  for (const auto& chk : check_registry()) {
    if (chk.points.empty()) continue;  // greylist: options only, no result is worth points
    out << "\n# ===== " << chk.name << " =====\n";
    for (const auto& row : chk.points) {
      std::string name = points_name(chk.name, row.result);
      std::string key = chk.name + "." + row.result;
      out << "\n" << wrap(row.why, "# ");
      if (c && set.count(name))
        out << key << " = " << format_number(c->numbers.at(name)) << "\n";
      else
        out << "#" << key << " = " << format_number(row.points) << "\n";
    }
  }
  return out.str();
}

}  // namespace detail

std::string render_default_config() { return detail::render_config(nullptr, {}, ""); }

}  // namespace legit
