// test_config_file.cc — unit tests of milter/core/config_file.cc (the config
// file reader) and of the default config file (config_parse.cc): options
// after [points], an option set twice, quoted values with '#', and which
// file is read without -c ($LEGIT_MILTER_CONF, set here per test).
#include <doctest/doctest.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "config_test_util.h"
#include "legit/config.h"

namespace legit {
using namespace test;

namespace {
// Sets LEGIT_MILTER_CONF for its lifetime, then back to "" (main.cc's value).
struct DefaultFile {
  explicit DefaultFile(const std::string& path) { ::setenv("LEGIT_MILTER_CONF", path.c_str(), 1); }
  ~DefaultFile() { ::setenv("LEGIT_MILTER_CONF", "", 1); }
};
}  // namespace

TEST_CASE("config file: options after [points], quoting, comments") {
  TempDir dir;
  struct Row {
    const char* name;
    std::string text;
    const char* option;
    std::string want;
  };
  const std::vector<Row> rows = {
      {"core option appended after [points]", "[points]\niprev.fail = -3\nmode = dry-run\n", "mode", "dry-run"},
      {"check option after [points]", "[points]\nhelo-our-addresses = 192.0.2.1\n", "helo-our-addresses", "192.0.2.1"},
      {"full points name outside the section", "points.iprev.fail = -4\n", "points.iprev.fail", "-4"},
      {"unquoted '#' starts a comment", "reject-reply = Go away # not this\n", "reject-reply", "Go away"},
      {"quoted '#' is kept", "reject-reply = \"See https://example.org/#mail (%s)\"  # note\n", "reject-reply",
       "See https://example.org/#mail (%s)"},
      {"quoted outer spaces are kept", "reject-reply = \"  two  \"\n", "reject-reply", "  two  "},
      {"escapes inside quotes", "reject-reply = \"say \\\"no\\\" \\\\ here\"\n", "reject-reply", "say \"no\" \\ here"},
      {"quote inside an unquoted value", "reject-reply = a \"b\" c\n", "reject-reply", "a \"b\" c"},
      {"CRLF line ends", "mode = dry-run\r\n", "mode", "dry-run"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      Config c = parse_ok({"-c", dir.write("f.conf", row.text)});
      std::string opt = row.option;
      std::string got = c.values.count(opt)    ? c.values.at(opt)
                        : c.numbers.count(opt) ? std::to_string(int(c.numbers.at(opt)))
                                               : c.lists.at(opt).at(0);
      CHECK(got == row.want);
    }
  }
  SUBCASE("appended mode really applies") {
    Config c = parse_ok({"-c", dir.write("f.conf", "[points]\niprev.fail = -3\nmode = dry-run\n")});
    CHECK(c.mode == Mode::dry_run);
    CHECK(c.points("iprev", "fail") == -3);
  }
}

TEST_CASE("config file: errors name the option, the file and the lines") {
  TempDir dir;
  check_bad_files(dir, {
      {"set twice", "mode = enforce\n# x\nmode = dry-run\n", {"option 'mode' is set twice in ", ": line 1 and line 3"}},
      {"set twice across [points]", "mode = enforce\n[points]\nmode = dry-run\n", {"option 'mode' is set twice", "line 1 and line 3"}},
      {"points row twice", "[points]\niprev.fail = 1\niprev.fail = 2\n", {"option 'points.iprev.fail' is set twice", "line 2 and line 3"}},
      {"no closing quote", "mode = enforce\nreject-reply = \"open\n", {"option 'reject-reply': no closing quote", "line 2"}},
      {"text after the quote", "reject-reply = \"a\" b\n", {"option 'reject-reply': text after the closing quote", "line 1"}},
      {"unknown section", "[point]\niprev.fail = 1\n", {"unknown section '[point]'", "line 1"}},
      {"name in a comment", "# mode = x\n   # = y\nmode # = dry-run\n", {"line 3", "name = value"}},
  });
  SUBCASE("a list may be repeated") {
    Config c = parse_ok({"-c", dir.write("l.conf", "trusted-networks = 10.0.0.0/8\ntrusted-networks = ::1/128\n")});
    CHECK(c.list("trusted-networks").size() == 2);
  }
}

TEST_CASE("config file: the default file without -c") {
  TempDir dir;
  SUBCASE("compiled-in path when the variable is unset") {
    ::unsetenv("LEGIT_MILTER_CONF");
    CHECK(default_config_path() == LEGIT_SYSCONFDIR "/legit-milter.conf");
    ::setenv("LEGIT_MILTER_CONF", "", 1);
  }
  SUBCASE("empty variable: no file, defaults") {
    ParseResult r = parse({});
    REQUIRE(r.config);
    CHECK(r.config_file.empty());
    CHECK(r.config_source.find("built-in defaults apply") != std::string::npos);
  }
  SUBCASE("existing default file is read and named") {
    DefaultFile env(dir.write("legit-milter.conf", "mode = dry-run\n"));
    ParseResult r = parse({});
    REQUIRE(r.config);
    CHECK(r.config->mode == Mode::dry_run);
    CHECK(r.config_file == dir.path + "/legit-milter.conf");
    CHECK(r.config_source == "read " + dir.path + "/legit-milter.conf");
  }
  SUBCASE("missing default file: defaults, and said so") {
    DefaultFile env(dir.path + "/nope.conf");
    ParseResult r = parse({"-t"});
    REQUIRE(r.config);
    CHECK(r.config_file.empty());
    CHECK(r.config_source == "no " + dir.path + "/nope.conf: built-in defaults apply");
  }
  SUBCASE("-c wins over the default file") {
    DefaultFile env(dir.write("legit-milter.conf", "mode = dry-run\n"));
    ParseResult r = parse({"-c", dir.write("other.conf", "")});
    REQUIRE(r.config);
    CHECK(r.config->mode == Mode::enforce);
  }
  SUBCASE("a broken default file is an error naming it") {
    DefaultFile env(dir.write("legit-milter.conf", "mode = x\n"));
    CHECK(parse_err({}).find(dir.path + "/legit-milter.conf line 1") != std::string::npos);
  }
}

}  // namespace legit
