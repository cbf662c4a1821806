// test_config_render.cc — unit tests of milter/core/config_render.cc: the
// --help text (and the flags that stop parsing: --help, --version,
// --dump-config, -t) and render_default_config(), which must list every
// option exactly once, commented out, and parse back to the defaults.
#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "config_test_util.h"
#include "legit/check.h"
#include "legit/config.h"

namespace legit {
using namespace test;

TEST_CASE("config: --help, --version, -t, --dump-config") {
  ParseResult h = parse({"-h"});
  CHECK(h.show_help);
  CHECK_FALSE(h.config);
  for (const auto& s : all_options()) CHECK_MESSAGE(h.help_text.find("--" + s.name) != std::string::npos, s.name);
  for (const auto& c : check_registry()) CHECK(h.help_text.find(c.summary) != std::string::npos);
  CHECK(parse({"--version"}).show_version);
  CHECK(parse({"-V"}).show_version);
  CHECK(parse({"--dump-config"}).dump_config);
  ParseResult t = parse({"-t"});
  CHECK(t.check_only);
  CHECK(t.config);
}

TEST_CASE("config: render_default_config lists every option once, commented out") {
  std::string text = render_default_config();
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  size_t points_at = 0;
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i] == "[points]") points_at = i;
  REQUIRE(points_at > 0);
  for (const auto& s : all_options()) {
    CAPTURE(s.name);
    bool is_points = s.name.rfind("points.", 0) == 0;
    std::string key = "#" + (is_points ? s.name.substr(7) : s.name) + " =";
    int n = 0;
    for (size_t i = 0; i < lines.size(); ++i)
      if (lines[i].rfind(key, 0) == 0 && (lines[i].size() == key.size() || lines[i][key.size()] == ' ')) {
        ++n;
        CHECK((i > points_at) == is_points);
      }
    CHECK(n == 1);
  }
  TempDir dir;
  SUBCASE("as shipped it changes nothing") {
    CHECK(same(parse_ok({"-c", dir.write("d.conf", text)}), parse_ok({})));
  }
  SUBCASE("every line uncommented gives the defaults too") {
    std::string live;
    for (const auto& l : lines) {
      bool setting = l.size() > 1 && l[0] == '#' && l[1] != ' ' && l.find(" =") != std::string::npos;
      live += (setting ? l.substr(1) : l) + "\n";
    }
    CHECK(same(parse_ok({"-c", dir.write("live.conf", live)}), parse_ok({})));
  }
}

TEST_CASE("config: --dump-config prints the effective configuration") {
  TempDir dir;
  SUBCASE("nothing set: the default file, byte for byte") {
    ParseResult r = parse({"--dump-config"});
    REQUIRE(r.config);
    CHECK(r.dump_text == render_default_config());
  }
  SUBCASE("file and command line: set options uncommented, reads back the same") {
    auto f = dir.write("f.conf",
                       "mode = dry-run\nreject-reply = \"See https://example.org/#x \\\"%s\\\"\"\n"
                       "trusted-networks = 10.0.0.0/8, 192.0.2.0/24\n[points]\niprev.fail = -7\n");
    ParseResult r = parse({"-c", f, "--dns-timeout", "2.5", "--dump-config"});
    REQUIRE(r.config);
    const std::string& d = r.dump_text;
    CHECK(d.rfind("# Effective configuration (read " + f, 0) == 0);
    for (const char* line : {"\nmode = dry-run\n", "\ndns-timeout = 2.5\n", "\ntrusted-networks = 10.0.0.0/8 192.0.2.0/24\n",
                             "\nreject-reply = \"See https://example.org/#x \\\"%s\\\"\"\n", "\niprev.fail = -7\n",
                             "\n#quarantine-below = -4\n", "\n#iprev.pass = "})
      CHECK_MESSAGE(d.find(line) != std::string::npos, line);
    Config back = parse_ok({"-c", dir.write("back.conf", d)});
    CHECK(same(back, *r.config));
    CHECK(back.reject_reply == "See https://example.org/#x \"%s\"");
  }
  SUBCASE("a bad configuration is an error, not a dump") {
    CHECK_FALSE(parse({"--dump-config", "--mode", "x"}).config);
  }
}

TEST_CASE("config: man pages list every option") {
  std::string p8 = render_man_page("8"), p5 = render_man_page("5");
  CHECK(render_man_page("1").empty());
  CHECK(p8.rfind(".\\\" Generated", 0) == 0);
  CHECK(p8.find(".TH LEGIT\\-MILTER 8 ") != std::string::npos);
  CHECK(p5.find(".TH LEGIT\\-MILTER.CONF 5 ") != std::string::npos);
  auto troff = [](std::string s) {
    std::string out;
    for (char c : s) out += c == '-' ? std::string("\\-") : std::string(1, c);
    return out;
  };
  for (const auto& s : all_options()) {
    CAPTURE(s.name);
    bool is_points = s.name.rfind("points.", 0) == 0;
    CHECK(p8.find("\\fB\\-\\-" + troff(s.name) + "\\fR") != std::string::npos);
    CHECK(p5.find("\\fB" + troff(is_points ? s.name.substr(7) : s.name) + "\\fR = ") != std::string::npos);
  }
}

}  // namespace legit
