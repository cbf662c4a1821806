// config.h — options: declared once, parsed from the command line and the
// config file with Boost.Program_options, frozen after start-up.
//
// Every option is an OptionSpec (name, kind, default, help). The core table
// (core_options()) and each check's CheckInfo::options together are the one
// table that feeds --help, -t, the parser and etc/legit-milter.conf.
// Points are options too: "points.<check>.<result>" (in the file: a
// [points] section with "iprev.fail = -2" lines), declared from each check's
// CheckInfo::points rows.
//
// parse_config() never throws for bad input: it returns an error string that
// names the option and says why ("option 'reject-below': 'x' is not a number").
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "legit/ip.h"

namespace legit {

enum class OptKind { string, number, boolean, list, choice };

struct OptionSpec {
  std::string name;       // "dns-timeout"
  OptKind kind;
  std::string def;        // default as text; lists: space-separated
  std::string help;       // one line
  std::vector<std::string> choices = {};  // for OptKind::choice
  // Optional extra check of one value (for lists: of each item), run after
  // the kind's own check. Returns "" when the value is fine, else why it is
  // not, phrased to follow the quoted value: "is not a network".
  std::function<std::string(const std::string&)> check = {};
};

enum class Mode { enforce, dry_run };
enum class OnError { accept, tempfail };

class Config {
 public:
  // Typed core settings (filled by parse_config from the generic values).
  std::string socket;
  std::vector<std::string> dns_servers;
  double dns_timeout = 5;
  std::string authserv_id;
  std::string hostname;            // this host's name (gethostname unless set)
  Mode mode = Mode::enforce;
  double quarantine_below = 0;
  double reject_below = 0;
  std::string reject_reply;
  std::vector<Network> trusted_networks;
  bool skip_authenticated = true;
  OnError on_error = OnError::accept;
  std::string user;
  std::string log;                 // auto | syslog | stderr

  // Generic access by option name, for check-specific options. Unknown names
  // are a programming error: std::logic_error.
  const std::string& str(const std::string& name) const;
  double num(const std::string& name) const;
  bool flag(const std::string& name) const;
  const std::vector<std::string>& list(const std::string& name) const;

  // Points for a check result; 0 when the table has no such row.
  double points(std::string_view check, std::string_view result) const;

  // Raw storage (parse_config fills it; tests may too).
  std::map<std::string, std::string> values;
  std::map<std::string, std::vector<std::string>> lists;
  std::map<std::string, double> numbers;
  std::map<std::string, double> point_table;  // "iprev.fail" -> -2
};

// All option specs: core options, then every registered check's options and
// points rows ("points.<check>.<result>", kind number).
std::vector<OptionSpec> all_options();
// The core table alone.
const std::vector<OptionSpec>& core_options();

struct ParseResult {
  std::optional<Config> config;  // set on success
  std::string error;             // set on failure: names the option and why
  bool show_help = false;        // --help given
  bool show_version = false;     // --version given
  bool check_only = false;       // -t given
  bool dump_config = false;      // hidden --dump-config given: print
                                 // dump_text and exit 0
  std::string man_page;          // hidden --man-page SECTION given ("8" or "5"):
                                 // print render_man_page(SECTION) and exit 0
  std::string help_text;         // filled when show_help
  // The config file read ("" = none) and a sentence saying so, for -t, the
  // start of the milter and check: "read /etc/legit-milter.conf" or
  // "no /etc/legit-milter.conf: built-in defaults apply".
  std::string config_file;
  std::string config_source;
  // With --dump-config and a good configuration: the effective config as a
  // config file (render_config); equal to render_default_config() when no
  // file and no option set anything.
  std::string dump_text;
  // Values of ExtraOptions::options, by name: what was given on the command
  // line, else the default split like a list (so empty for an empty default).
  // Lists: every item; other kinds: one element; booleans as "yes"/"no"
  // (an unset boolean with an empty default is "no"). Validated like core
  // options (kind, choices, check).
  std::map<std::string, std::vector<std::string>> extra_values;
};

// Command-line-only options of a subcommand (the offline `check` command):
// parsed and validated with the core options, listed first in --help, not
// accepted in the config file and not stored in Config. A boolean extra is a
// flag: "--json" means yes, "--json=no" turns it off.
struct ExtraOptions {
  std::string usage;                // replaces the usage line(s) of --help when set
  std::string title;                // heading of their --help group ("check options")
  std::vector<OptionSpec> options;  // names must not clash with all_options()
};

// The config file read when -c is not given: $LEGIT_MILTER_CONF when that
// variable is set (empty = no file; the tests set it), else
// LEGIT_SYSCONFDIR "/legit-milter.conf" (a compile-time path, /etc by
// default). A missing default file is not an error: built-in defaults apply.
std::string default_config_path();

// Parses argv (argv[0] is skipped; pass the arguments after a subcommand
// name the same way) and the config file: -c FILE, else
// default_config_path() when it exists. Command-line values
// win over the file; a list given in a source replaces the default (and a
// list on the command line replaces the file's). Scalars given twice: the
// last wins. Options: -c/--config FILE, -t/--test-config, -h/--help,
// -V/--version, hidden --dump-config and --man-page, and --<name> VALUE for
// every option in all_options() (booleans: "--name" alone means yes).
// Positional arguments are an error. --help/--version/--man-page stop before
// the file is read.
// `extra` lets the check CLI add its own options (see ExtraOptions).
ParseResult parse_config(int argc, const char* const* argv);
ParseResult parse_config(int argc, const char* const* argv, const ExtraOptions& extra);

// The text of a config file (as -c would read it, `name` standing for the
// file name in errors), with no command line: the in-memory entry point for
// the fuzz target and tests. Never throws.
ParseResult parse_config_text(std::string_view text, const std::string& name = "<text>");

// Builds a Config from defaults plus name=value overrides, for tests.
// Returns nullopt and sets *error on a bad value.
std::optional<Config> config_from(const std::map<std::string, std::string>& overrides,
                                  std::string* error = nullptr);

// The text of a config file listing every option with its default and help
// (what etc/legit-milter.conf is generated from and checked against).
std::string render_default_config();

// A man page in troff -man, generated from the same table as --help and the
// config file: section "8" is legit-milter(8) (the command line), "5" is
// legit-milter.conf(5) (the file). "" for any other section.
std::string render_man_page(std::string_view section);

}  // namespace legit
