// test_config.cc — unit tests of the option table and its parser
// (milter/core/options.cc, config*.cc): defaults, every kind, every error
// naming its option (and file line), command line over file, list
// replacement, points rows and [points], config_from, accessors, extras.
// Table-driven: one SUBCASE per row. --help and the generated config file:
// test_config_render.cc.
#include <doctest/doctest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config_test_util.h"
#include "legit/check.h"
#include "legit/config.h"

namespace legit {
using namespace test;

TEST_CASE("config: option names are unique and every default is valid") {
  std::map<std::string, int> seen;
  for (const auto& s : all_options()) CHECK_MESSAGE(++seen[s.name] == 1, s.name);
  std::string err;
  CHECK(config_from({}, &err));
  CHECK(err.empty());
}

TEST_CASE("config: defaults with no file") {
  Config c = parse_ok({});
  CHECK(c.socket == "inet:8895@127.0.0.1");
  CHECK(c.dns_servers.empty());
  CHECK(c.dns_timeout == 5);
  CHECK_FALSE(c.hostname.empty());
  CHECK(c.authserv_id == c.hostname);
  CHECK(c.str("hostname") == c.hostname);
  CHECK(c.mode == Mode::enforce);
  CHECK(c.quarantine_below == -4);
  CHECK(c.reject_below == -8);
  CHECK(c.reject_reply.find("%s") != std::string::npos);
  CHECK(c.trusted_networks.size() == 2);
  CHECK(c.skip_authenticated);
  CHECK(c.on_error == OnError::accept);
  CHECK(c.user.empty());
  CHECK(c.log == "auto");
  for (const auto& s : all_options()) {
    CAPTURE(s.name);
    if (s.kind == OptKind::number) CHECK(c.num(s.name) == std::stod(s.def));
    if (s.kind == OptKind::list) CHECK(c.list(s.name) == words(s.def));
    if (s.kind == OptKind::boolean) CHECK(c.flag(s.name) == (s.def == "yes"));
    if ((s.kind == OptKind::string || s.kind == OptKind::choice) && !s.def.empty())
      CHECK(c.str(s.name) == s.def);
  }
}

TEST_CASE("config: each option kind parses") {
  struct Row {
    const char* name;
    std::vector<std::string> args;
    std::function<void(const Config&)> check;
  };
  const std::vector<Row> rows = {
      {"number", {"--dns-timeout", "3"}, [](const Config& c) { CHECK(c.dns_timeout == 3); }},
      {"number =", {"--dns-timeout=0.5"}, [](const Config& c) { CHECK(c.num("dns-timeout") == 0.5); }},
      {"negative number", {"--reject-below", "-10"}, [](const Config& c) { CHECK(c.reject_below == -10); }},
      {"plus sign", {"--quarantine-below", "+1"}, [](const Config& c) { CHECK(c.quarantine_below == 1); }},
      {"points row", {"--points.iprev.fail=-3"}, [](const Config& c) { CHECK(c.points("iprev", "fail") == -3); }},
      {"choice", {"--mode", "dry-run"}, [](const Config& c) { CHECK(c.mode == Mode::dry_run); }},
      {"choice on-error", {"--on-error=tempfail"}, [](const Config& c) { CHECK(c.on_error == OnError::tempfail); }},
      {"bool bare", {"--skip-authenticated"}, [](const Config& c) { CHECK(c.skip_authenticated); }},
      {"bool no", {"--skip-authenticated=no"}, [](const Config& c) { CHECK_FALSE(c.skip_authenticated); }},
      {"bool off", {"--skip-authenticated", "off"}, [](const Config& c) { CHECK_FALSE(c.flag("skip-authenticated")); }},
      {"bool false", {"--skip-authenticated=false"}, [](const Config& c) { CHECK_FALSE(c.skip_authenticated); }},
      {"bool 0", {"--skip-authenticated=0"}, [](const Config& c) { CHECK_FALSE(c.skip_authenticated); }},
      {"bool true", {"--skip-authenticated=TRUE"}, [](const Config& c) { CHECK(c.skip_authenticated); }},
      {"bool on", {"--skip-authenticated=on"}, [](const Config& c) { CHECK(c.str("skip-authenticated") == "yes"); }},
      {"bool 1", {"--skip-authenticated=1"}, [](const Config& c) { CHECK(c.skip_authenticated); }},
      {"list spaces", {"--dns-server", "192.0.2.1 2001:db8::1@5353"},
       [](const Config& c) { CHECK(c.dns_servers == std::vector<std::string>{"192.0.2.1", "2001:db8::1@5353"}); }},
      {"list commas", {"--dns-server=127.0.0.1@5353,192.0.2.2"},
       [](const Config& c) { CHECK(c.dns_servers.size() == 2); }},
      {"list repeated", {"--trusted-networks", "10.0.0.0/8", "--trusted-networks", "2001:db8::/32, 192.0.2.7"},
       [](const Config& c) { CHECK(c.list("trusted-networks").size() == 3); CHECK(c.trusted_networks.size() == 3); }},
      {"socket unix", {"--socket", "unix:/run/legit/milter.sock"}, [](const Config& c) { CHECK(c.socket == "unix:/run/legit/milter.sock"); }},
      {"socket local", {"--socket=local:/x.sock"}, [](const Config& c) { CHECK(c.socket == "local:/x.sock"); }},
      {"socket inet6", {"--socket=inet6:8895@::1"}, [](const Config& c) { CHECK(c.socket == "inet6:8895@::1"); }},
      {"socket inet host", {"--socket=inet:10025@localhost"}, [](const Config& c) { CHECK(c.socket == "inet:10025@localhost"); }},
      {"socket inet any", {"--socket=inet:8895"}, [](const Config& c) { CHECK(c.socket == "inet:8895"); }},
      {"authserv-id", {"--authserv-id", "mx.example.org"}, [](const Config& c) { CHECK(c.authserv_id == "mx.example.org"); }},
      {"hostname gives authserv-id", {"--hostname", "mx.example.net"},
       [](const Config& c) { CHECK(c.hostname == "mx.example.net"); CHECK(c.authserv_id == "mx.example.net"); }},
      {"reply without %s", {"--reject-reply", "Go away"}, [](const Config& c) { CHECK(c.reject_reply == "Go away"); }},
      {"user", {"--user", "legit-milter"}, [](const Config& c) { CHECK(c.user == "legit-milter"); }},
      {"log", {"--log", "stderr"}, [](const Config& c) { CHECK(c.log == "stderr"); }},
      {"thresholds equal", {"--reject-below=-4"}, [](const Config& c) { CHECK(c.reject_below == -4); }},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) { row.check(parse_ok(row.args)); }
  }
}

TEST_CASE("config: every error names the option and why") {
  struct Row {
    std::vector<std::string> args;
    std::vector<std::string> expect;  // substrings of the error
  };
  const std::vector<Row> rows = {
      {{"--reject-below", "abc"}, {"option 'reject-below': 'abc' is not a number"}},
      {{"--dns-timeout", "5s"}, {"option 'dns-timeout': '5s' is not a number"}},
      {{"--dns-timeout", "nan"}, {"option 'dns-timeout'", "not a number"}},
      {{"--mode", "enforcing"}, {"option 'mode': 'enforcing' is not one of: enforce, dry-run"}},
      {{"--trusted-networks", "10.0.0.0/33"}, {"option 'trusted-networks': '10.0.0.0/33' is not a network"}},
      {{"--skip-authenticated=maybe"}, {"option 'skip-authenticated': 'maybe' is not a boolean"}},
      {{"--socket", "inet:127.0.0.1:8895"}, {"option 'socket'", "inet:PORT@HOST"}},
      {{"--socket", "inet:0@127.0.0.1"}, {"option 'socket'"}},
      {{"--socket", "inet:8895@::1"}, {"option 'socket'", "inet6"}},
      {{"--socket", "unix:relative.sock"}, {"option 'socket'"}},
      {{"--socket", "tcp:8895"}, {"option 'socket'"}},
      {{"--dns-server", "192.0.2.1@0"}, {"option 'dns-server': '192.0.2.1@0'"}},
      {{"--dns-server", "192.0.2.1@70000"}, {"option 'dns-server'"}},
      {{"--dns-server", "192.0.2.1 dns.example.com"}, {"option 'dns-server': 'dns.example.com'"}},
      {{"--dns-timeout", "0"}, {"option 'dns-timeout'", "range"}},
      {{"--dns-timeout", "61"}, {"option 'dns-timeout'", "range"}},
      {{"--authserv-id", "mx example"}, {"option 'authserv-id'"}},
      {{"--authserv-id", "mx;example"}, {"option 'authserv-id'"}},
      {{"--hostname", "bad_name.example"}, {"option 'hostname'"}},
      {{"--reject-reply", "100% spam"}, {"option 'reject-reply'"}},
      {{"--reject-reply", "%s %s"}, {"option 'reject-reply'"}},
      {{"--reject-reply", "score %d"}, {"option 'reject-reply'"}},
      {{"--user", "bad user"}, {"option 'user'"}},
      {{"--log", "file"}, {"option 'log': 'file' is not one of: auto, syslog, stderr"}},
      {{"--on-error", "reject"}, {"option 'on-error'"}},
      {{"--reject-below", "-1"}, {"option 'reject-below'", "option 'quarantine-below'"}},
      {{"--points.iprev.fail=x"}, {"option 'points.iprev.fail': 'x' is not a number"}},
      {{"--dns-sever", "192.0.2.1"}, {"unknown option", "dns-sever"}},
      {{"--dns-serv=192.0.2.1"}, {"unknown option", "dns-serv"}},
      {{"--points.iprev.fial=1"}, {"unknown option", "points.iprev.fial"}},
      {{"stray"}, {"unexpected argument 'stray'"}},
      {{"--socket"}, {"socket"}},
      {{"-c", "/nonexistent/legit.conf"}, {"/nonexistent/legit.conf"}},
  };
  for (const auto& row : rows) {
    std::string name;
    for (const auto& a : row.args) name += a + " ";
    SUBCASE(name.c_str()) {
      std::string err = parse_err(row.args);
      for (const auto& e : row.expect) CHECK_MESSAGE(err.find(e) != std::string::npos, err);
    }
  }
}

TEST_CASE("config: file values, [points], and errors with file and line") {
  TempDir dir;
  SUBCASE("values and [points]") {
    auto f = dir.write("ok.conf",
                       "# comment\n\nmode = dry-run\ndns-timeout = 3   # trailing comment\n"
                       "skip-authenticated = off\n[points]\niprev.fail = -3\n");
    Config c = parse_ok({"-c", f});
    CHECK(c.mode == Mode::dry_run);
    CHECK(c.dns_timeout == 3);
    CHECK_FALSE(c.skip_authenticated);
    CHECK(c.points("iprev", "fail") == -3);
    CHECK(c.num("points.iprev.fail") == -3);
  }
  check_bad_files(dir, {
      {"unknown option", "mode = enforce\n\ndns-sever = 192.0.2.1\n", {"unknown option 'dns-sever' (in ", " line 3)"}},
      {"bad value", "# x\nmode = enforcing\n", {"option 'mode': 'enforcing' is not one of: enforce, dry-run (in ", " line 2)"}},
      {"bad number", "reject-below = abc\n", {"option 'reject-below': 'abc' is not a number", "line 1"}},
      {"bad network", "trusted-networks = 127.0.0.0/8\ntrusted-networks = 10.0.0.0/33\n", {"'10.0.0.0/33' is not a network", "line 2"}},
      {"unknown points row", "[points]\niprev.pass = 1\niprev.fial = 1\n", {"unknown option 'points.iprev.fial'", "line 3"}},
      {"not an option inside [points]", "[points]\nmoed = dry-run\n", {"unknown option 'points.moed'", "line 2"}},
      {"thresholds", "quarantine-below = -6\nreject-below = -2\n", {"option 'reject-below'", "option 'quarantine-below'", "line 2"}},
      {"not name = value", "mode = enforce\njust some words\n", {"line 2", "name = value"}},
      {"cli-only flag in file", "help = yes\n", {"unknown option 'help'", "line 1"}},
  });
  SUBCASE("missing file is named") {
    std::string err = parse_err({"--config", dir.path + "/missing.conf"});
    CHECK(err.find(dir.path + "/missing.conf") != std::string::npos);
  }
  SUBCASE("a directory is not a config file") {
    CHECK(parse_err({"-c", dir.path}).find(dir.path) != std::string::npos);
  }
  SUBCASE("empty file = defaults") {
    CHECK(same(parse_ok({"-c", dir.write("empty.conf", "")}), parse_ok({})));
  }
}

TEST_CASE("config: the command line wins over the file") {
  TempDir dir;
  auto f = dir.write("a.conf", "mode = dry-run\ndns-timeout = 3\nreject-below = -9\n");
  Config c = parse_ok({"-c", f, "--mode", "enforce", "--reject-below=-12"});
  CHECK(c.mode == Mode::enforce);
  CHECK(c.reject_below == -12);
  CHECK(c.dns_timeout == 3);  // from the file
  SUBCASE("order of -c does not matter") {
    Config d = parse_ok({"--mode", "enforce", "-c", f});
    CHECK(d.mode == Mode::enforce);
  }
  SUBCASE("the last of two values wins") {
    CHECK(parse_ok({"--dns-timeout", "2", "--dns-timeout", "4"}).dns_timeout == 4);
  }
}

TEST_CASE("config: a list given anywhere replaces the default and the file's") {
  TempDir dir;
  struct Row {
    const char* name;
    std::string file;
    std::vector<std::string> args;
    std::vector<std::string> expect;
  };
  const std::vector<Row> rows = {
      {"default", "", {}, {"127.0.0.0/8", "::1/128"}},
      {"file replaces default", "trusted-networks = 10.0.0.0/8\n", {}, {"10.0.0.0/8"}},
      {"file lines add up", "trusted-networks = 10.0.0.0/8\ntrusted-networks = 192.0.2.0/24, 2001:db8::/32\n", {},
       {"10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32"}},
      {"command line replaces file", "trusted-networks = 10.0.0.0/8\n", {"--trusted-networks", "192.0.2.0/24"}, {"192.0.2.0/24"}},
      {"empty value empties", "trusted-networks =\n", {}, {}},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      std::vector<std::string> args = row.args;
      if (!row.file.empty()) {
        args.push_back("-c");
        args.push_back(dir.write("l.conf", row.file));
      }
      Config c = parse_ok(args);
      CHECK(c.list("trusted-networks") == row.expect);
      CHECK(c.trusted_networks.size() == row.expect.size());
    }
  }
}

TEST_CASE("config: points rows come from the registry with their defaults") {
  Config c = parse_ok({});
  auto all = all_options();
  for (const auto& check : check_registry()) {
    for (const auto& row : check.points) {
      std::string name = "points." + check.name + "." + row.result;
      CAPTURE(name);
      CHECK(c.points(check.name, row.result) == row.points);
      CHECK(c.num(name) == row.points);
      bool listed = false;
      for (const auto& s : all) listed |= s.name == name && s.kind == OptKind::number && s.help == row.why;
      CHECK(listed);
    }
    for (const auto& o : check.options) CHECK_NOTHROW((void)c.values.count(o.name));
  }
  CHECK(c.points("no-such-check", "fail") == 0);
}

TEST_CASE("config: config_from applies overrides") {
  std::string err;
  auto c = config_from({{"mode", "dry-run"}, {"points.iprev.fail", "-5"}, {"dns-server", "192.0.2.1,192.0.2.2"}}, &err);
  REQUIRE(c);
  CHECK(c->mode == Mode::dry_run);
  CHECK(c->points("iprev", "fail") == -5);
  CHECK(c->dns_servers.size() == 2);
  CHECK_FALSE(config_from({{"nope", "1"}}, &err));
  CHECK(err == "unknown option 'nope'");
  CHECK_FALSE(config_from({{"dns-timeout", "x"}}, &err));
  CHECK(err == "option 'dns-timeout': 'x' is not a number");
  CHECK_FALSE(config_from({{"mode", "x"}}));  // no error pointer: still no throw
}

TEST_CASE("config: parse_config_text reads a file's text from memory") {
  auto r = parse_config_text("mode = dry-run\n[points]\niprev.fail = -5\n", "mem.conf");
  REQUIRE(r.config);
  CHECK(r.config->mode == Mode::dry_run);
  CHECK(r.config->points("iprev", "fail") == -5);
  r = parse_config_text("\n# comment\nnot a line\n", "mem.conf");
  CHECK_FALSE(r.config);
  CHECK(r.error == "config file mem.conf line 3: not a 'name = value' line");
  r = parse_config_text("dns-sever = 1\n");
  CHECK(r.error == "unknown option 'dns-sever' (in <text> line 1)");
  r = parse_config_text(std::string("mode = \0\xff\n", 10));  // no throw on any bytes
  CHECK_FALSE(r.config);
}

TEST_CASE("config: accessors throw logic_error for names not held") {
  Config c = parse_ok({});
  CHECK_THROWS_AS(c.str("no-such-option"), std::logic_error);
  CHECK_THROWS_AS(c.num("mode"), std::logic_error);
  CHECK_THROWS_AS(c.flag("mode"), std::logic_error);
  CHECK_THROWS_AS(c.list("socket"), std::logic_error);
  CHECK_THROWS_AS(c.str("dns-timeout"), std::logic_error);
}

TEST_CASE("config: extra command-line options of a subcommand") {
  ExtraOptions extra{"Usage: legit-milter check [options]\n", "check options",
                     {{"client-ip", OptKind::string, "", "client IP"},
                      {"rcpt", OptKind::list, "", "recipient"},
                      {"json", OptKind::boolean, "", "JSON output"},
                      {"timeout", OptKind::number, "7", "seconds"}}};
  SUBCASE("given") {
    ParseResult r = parse({"--client-ip", "192.0.2.1", "--rcpt", "a@example.org", "--rcpt", "b@example.org",
                           "--json", "--mode", "dry-run"}, &extra);
    REQUIRE(r.config);
    CHECK(r.config->mode == Mode::dry_run);
    CHECK(r.extra_values["client-ip"] == std::vector<std::string>{"192.0.2.1"});
    CHECK(r.extra_values["rcpt"] == std::vector<std::string>{"a@example.org", "b@example.org"});
    CHECK(r.extra_values["json"] == std::vector<std::string>{"yes"});
    CHECK(r.extra_values["timeout"] == std::vector<std::string>{"7"});
  }
  SUBCASE("not given") {
    ParseResult r = parse({}, &extra);
    REQUIRE(r.config);
    CHECK(r.extra_values["client-ip"].empty());
    CHECK(r.extra_values["rcpt"].empty());
    CHECK(r.extra_values["json"] == std::vector<std::string>{"no"});
  }
  SUBCASE("bad value names the option") {
    ParseResult r = parse({"--timeout", "soon"}, &extra);
    CHECK(r.error == "option 'timeout': 'soon' is not a number");
  }
  SUBCASE("not allowed in the file") {
    TempDir dir;
    ParseResult r = parse({"-c", dir.write("x.conf", "json = yes\n")}, &extra);
    CHECK(r.error.find("unknown option 'json'") != std::string::npos);
  }
  SUBCASE("help lists them first, under the usage given") {
    ParseResult r = parse({"--help"}, &extra);
    CHECK(r.help_text.rfind("Usage: legit-milter check", 0) == 0);
    CHECK(r.help_text.find("check options:") < r.help_text.find("--socket"));
    CHECK(r.help_text.find("--client-ip") != std::string::npos);
  }
}

}  // namespace legit
