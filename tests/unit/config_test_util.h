// config_test_util.h — helpers for the config unit tests: a temp dir that
// cleans up, parse_config() on a vector of arguments, Config comparison, and
// the table driver of broken config files (check_bad_files).
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "legit/config.h"

namespace legit::test {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/legit-config-test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = path + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
};

inline ParseResult parse(std::vector<std::string> args, const ExtraOptions* extra = nullptr) {
  args.insert(args.begin(), "legit-milter");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return extra ? parse_config(static_cast<int>(argv.size()), argv.data(), *extra)
               : parse_config(static_cast<int>(argv.size()), argv.data());
}

inline Config parse_ok(const std::vector<std::string>& args) {
  ParseResult r = parse(args);
  INFO("error: " << r.error);
  REQUIRE(r.error.empty());
  REQUIRE(r.config);
  return *r.config;
}

inline std::string parse_err(const std::vector<std::string>& args) {
  ParseResult r = parse(args);
  CHECK_FALSE(r.config);
  CHECK_FALSE(r.error.empty());
  return r.error;
}

inline bool same(const Config& a, const Config& b) {
  return a.values == b.values && a.lists == b.lists && a.numbers == b.numbers &&
         a.point_table == b.point_table;
}

inline std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// A broken config file: its text and what its error must say (besides the
// file's name).
struct BadFile {
  const char* name;
  std::string text;
  std::vector<std::string> expect;  // substrings of the error
};

// One SUBCASE per row: the text written to a file in `dir` and read with -c
// must fail with an error naming the file and holding every `expect`.
inline void check_bad_files(const TempDir& dir, const std::vector<BadFile>& rows) {
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      auto f = dir.write("bad.conf", row.text);
      std::string err = parse_err({"-c", f});
      CHECK_MESSAGE(err.find(f) != std::string::npos, err);
      for (const auto& e : row.expect) CHECK_MESSAGE(err.find(e) != std::string::npos, err);
    }
  }
}

}  // namespace legit::test
