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

}  // namespace legit
