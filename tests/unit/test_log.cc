// test_log.cc — unit tests of milter/core/log.cc: modes, the stderr line
// format, control characters never reaching the log raw, whole lines from
// many threads. stderr is redirected to a temp file while a test logs.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "legit/log.h"

namespace legit {
namespace {

// Sends fd 2 to a temp file for its lifetime; lines() reads what was written.
class StderrCapture {
 public:
  StderrCapture() {
    char tmpl[] = "/tmp/legit-log-test.XXXXXX";
    int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    path_ = tmpl;
    std::fflush(stderr);
    saved_ = ::dup(2);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~StderrCapture() {
    restore();
    ::unlink(path_.c_str());
  }
  std::vector<std::string> lines() {
    restore();
    std::ifstream in(path_, std::ios::binary);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

}  // namespace

TEST_CASE("log: modes") {
  CHECK_FALSE(log_open("file"));
  CHECK_FALSE(log_open(""));
  CHECK(log_open("stderr", "legit-test"));
}

TEST_CASE("log: stderr lines carry time, ident, pid, level; never raw controls") {
  REQUIRE(log_open("stderr", "legit-test"));
  struct Row {
    const char* name;
    LogLevel level;
    std::string text;
    std::string expect_tail;
  };
  const std::vector<Row> rows = {
      {"info", LogLevel::info, "hello", "]: hello"},
      {"warning", LogLevel::warning, "careful", "]: warning: careful"},
      {"error", LogLevel::error, "broken", "]: error: broken"},
      {"CR LF", LogLevel::info, "a\r\nInjected: line", "]: a\\x0d\\x0aInjected: line"},
      {"NUL", LogLevel::info, std::string("x\0y", 3), "]: x\\x00y"},
      {"ESC DEL", LogLevel::info, "\x1b[31m\x7f", "]: \\x1b[31m\\x7f"},
  };
  for (const auto& row : rows) {
    SUBCASE(row.name) {
      StderrCapture cap;
      log_msg(row.level, row.text);
      auto lines = cap.lines();
      REQUIRE(lines.size() == 1);
      const std::string& l = lines[0];
      CHECK(l.size() > 24);
      CHECK(l[4] == '-');
      CHECK(l[10] == 'T');
      CHECK(l.find(" legit-test[" + std::to_string(::getpid()) + "]: ") != std::string::npos);
      CHECK_MESSAGE(l.size() >= row.expect_tail.size(), l);
      CHECK_MESSAGE(l.compare(l.size() - row.expect_tail.size(), std::string::npos, row.expect_tail) == 0, l);
    }
  }
}

TEST_CASE("log: a very long line is cut") {
  REQUIRE(log_open("stderr", "legit-test"));
  StderrCapture cap;
  log_msg(LogLevel::info, std::string(10000, 'x'));
  auto lines = cap.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].size() < 4200);
  CHECK(lines[0].substr(lines[0].size() - 3) == "...");
}

TEST_CASE("log: lines from many threads stay whole") {
  REQUIRE(log_open("stderr", "legit-test"));
  StderrCapture cap;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i)
        log_msg(LogLevel::info, "thread " + std::to_string(t) + " line " + std::to_string(i) + " end");
    });
  for (auto& th : threads) th.join();
  auto lines = cap.lines();
  CHECK(lines.size() == 800);
  for (const auto& l : lines) {
    CHECK(l.find("legit-test[") != std::string::npos);
    CHECK(l.substr(l.size() - 4) == " end");
  }
}

}  // namespace legit
