// test_message_file.cc — raw message → headers and body (milter/core/message_file.cc).
#include <doctest/doctest.h>

#include "legit/message_file.h"

using legit::parse_message;

TEST_CASE("message_file: headers, folding, body") {
  auto m = parse_message("From: a@example.org\r\nSubject: one\r\n two\r\nX-Empty:\r\n\r\nbody line\nsecond\n");
  REQUIRE(m.headers.size() == 3);
  CHECK(m.headers[0].name == "From");
  CHECK(m.headers[0].value == "a@example.org");
  CHECK(m.headers[1].value == "one\n two");
  CHECK(m.headers[2].value == "");
  auto spaced = parse_message("Subject:  two\r\nX-Tab:\tv\r\n\r\n");
  CHECK(spaced.headers[0].value == " two");
  CHECK(spaced.headers[1].value == "\tv");
  CHECK(m.body == "body line\r\nsecond\r\n");
}

TEST_CASE("message_file: broken input") {
  SUBCASE("empty") {
    auto m = parse_message("");
    CHECK(m.headers.empty());
    CHECK(m.body.empty());
  }
  SUBCASE("no blank line") { CHECK(parse_message("A: b\nC: d").headers.size() == 2); }
  SUBCASE("non-header line ends the headers") {
    auto m = parse_message("A: b\nthis is not a header\nC: d\n");
    CHECK(m.headers.size() == 1);
    CHECK(m.body == "this is not a header\r\nC: d\r\n");
  }
  SUBCASE("continuation before any header is body") {
    auto m = parse_message(" folded\nA: b\n");
    CHECK(m.headers.empty());
  }
  SUBCASE("NUL bytes survive as data") {
    auto m = parse_message(std::string("A: b\0c\n\nx\0y", 11));
    REQUIRE(m.headers.size() == 1);
    CHECK(m.headers[0].value.size() == 3);
    CHECK(m.body.size() == 3);
  }
}
