// test_headers.cc — X-Legit-Score / Authentication-Results formatting, forged
// header recognition, quoting (milter/core/headers.cc).
#include <doctest/doctest.h>

#include "legit/headers.h"

using namespace legit;

// A folded header value on one line ("\n\t" → " "), for comparisons.
static std::string unfold(std::string s) {
  for (std::size_t p; (p = s.find("\n\t")) != std::string::npos;) s.replace(p, 2, " ");
  return s;
}

static Verdict verdict(double score, Action a, std::vector<ScoredFinding> items) {
  Verdict v;
  v.score = score;
  v.action = a;
  v.items = std::move(items);
  return v;
}

TEST_CASE("headers: X-Legit-Score starts with the score") {
  Verdict v = verdict(-7.5, Action::reject,
                      {{{"iprev", "fail", "", {}}, -2}, {{"helo", "bare-ip", "", {}}, -5.5}});
  CHECK(format_score_header(v, false) == "-7.5 (reject) iprev=fail(-2) helo=bare-ip(-5.5)");
  CHECK(unfold(format_score_header(v, true)) == "-7.5 (accept; dry-run would reject) iprev=fail(-2) helo=bare-ip(-5.5)");
  Verdict ok = verdict(3, Action::accept, {{{"iprev", "pass", "", {}}, 1}});
  CHECK(format_score_header(ok, true) == "3 (accept) iprev=pass(1)");
}

TEST_CASE("headers: a result word from a check cannot break the header") {
  Verdict v = verdict(0, Action::accept, {{{"x", "a b\r\nX-Evil: 1", "", {}}, 0}});
  std::string h = format_score_header(v, false);
  CHECK(h.find('\r') == std::string::npos);
  CHECK(h.find("\nX-Evil") == std::string::npos);
}

TEST_CASE("headers: Authentication-Results syntax") {
  SUBCASE("no results") { CHECK(format_ar_header("mx.example.org", {}) == "mx.example.org; none"); }
  SUBCASE("iprev pass with reason") {
    ArEntry e{"iprev", "pass", "mail.example.com", {{"policy.iprev", "192.0.2.1"}}};
    CHECK(unfold(format_ar_header("mx.example.org", {e})) ==
          "mx.example.org; iprev=pass (mail.example.com) policy.iprev=192.0.2.1");
  }
  SUBCASE("IPv6 value is quoted (':' is a tspecial)") {
    ArEntry e{"iprev", "fail", "", {{"policy.iprev", "2001:db8::1"}}};
    CHECK(format_ar_header("mx", {e}) == "mx; iprev=fail policy.iprev=\"2001:db8::1\"");
  }
  SUBCASE("address value stays bare, hostile value is quoted") {
    ArEntry a{"spf", "pass", "", {{"smtp.mailfrom", "user@example.org"}}};
    ArEntry b{"spf", "none", "x)(y\\", {{"smtp.helo", "bad name;\r\n\"q\""}}};
    std::string h = format_ar_header("mx", {a, b});
    CHECK(h.find("smtp.mailfrom=user@example.org;") != std::string::npos);
    CHECK(h.find("(x\\)\\(y\\\\)") != std::string::npos);
    CHECK(h.find("smtp.helo=\"bad name;\\\"q\\\"\"") != std::string::npos);
    CHECK(h.find('\r') == std::string::npos);
  }
  SUBCASE("long headers fold at 78 columns") {
    std::vector<ArEntry> many;
    for (int i = 0; i < 8; ++i)
      many.push_back({"dkim", "pass", "", {{"header.d", "example" + std::to_string(i) + ".org"}, {"header.s", "selector"}}});
    std::string h = "Authentication-Results: " + format_ar_header("mx.example.org", many);
    std::size_t start = 0;
    int lines = 0;
    while (start < h.size()) {
      auto end = h.find('\n', start);
      if (end == std::string::npos) end = h.size();
      std::string line = h.substr(start, end - start);
      if (lines > 0) { REQUIRE(line[0] == '\t'); line.replace(0, 1, 8, ' '); }
      CHECK(line.size() <= 78);
      ++lines;
      start = end + 1;
    }
    CHECK(lines > 1);
  }
}

TEST_CASE("headers: authserv-id of incoming A-R") {
  struct Row { const char* value; const char* id; };
  const Row rows[] = {
      {"mx.example.org; spf=pass", "mx.example.org"},
      {"  mx.example.org;spf=pass", "mx.example.org"},
      {"(comment (nested)) mx.example.org; none", "mx.example.org"},
      {"\"mx.example.org\"; none", "mx.example.org"},
      {"mx.example.org 1; none", "mx.example.org"},
      {"\n\tmx.example.org;\n\tdkim=pass", "mx.example.org"},
      {"", ""},
      {"(unterminated", ""},
  };
  for (const auto& r : rows) {
    SUBCASE(r.value) { CHECK(ar_authserv_id(r.value) == r.id); }
  }
}

TEST_CASE("headers: forged headers") {
  CHECK(is_forged("X-Legit-Score", "10 (accept)", "mx.example.org"));
  CHECK(is_forged("x-legit-score", "", "mx.example.org"));
  CHECK(is_forged("Authentication-Results", "MX.Example.ORG; iprev=pass", "mx.example.org"));
  CHECK(is_forged("Authentication-Results", "mx.example.org.; iprev=pass", "mx.example.org"));
  CHECK_FALSE(is_forged("Authentication-Results", "other.example; spf=pass", "mx.example.org"));
  CHECK_FALSE(is_forged("Authentication-Results", "mx.example.org.evil; spf=pass", "mx.example.org"));
  CHECK_FALSE(is_forged("X-Legit-Scored", "1", "mx.example.org"));
  CHECK_FALSE(is_forged("Received", "from mx.example.org", "mx.example.org"));
}

TEST_CASE("headers: quote_untrusted") {
  CHECK(quote_untrusted("mail.example.org") == "mail.example.org");
  CHECK(quote_untrusted(std::string("a\0b\r\n", 5)) == "a\\x00b\\x0d\\x0a");
  CHECK(quote_untrusted("back\\slash") == "back\\\\slash");
  CHECK(quote_untrusted("\xc3\xa9") == "\\xc3\\xa9");
  CHECK(quote_untrusted(std::string(300, 'x'), 100) == std::string(100, 'x') + "...");
}
