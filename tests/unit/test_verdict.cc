// test_verdict.cc — score_findings (milter/core/verdict.cc): a score equal
// to a threshold gets the milder action, the margin to the nearest
// threshold, and findings' floors (DMARC policy, open relay).
#include <doctest/doctest.h>

#include <algorithm>

#include "legit/verdict.h"
#include "test_helpers.h"

using namespace legit;
using namespace legit::test;

namespace {

Config thresholds() {
  Config c = make_config({{"quarantine-below", "-4"}, {"reject-below", "-8"}});
  c.point_table["t.minus4"] = -4;
  c.point_table["t.minus8"] = -8;
  c.point_table["t.plus3"] = 3;
  c.point_table["t.minus1"] = -1;
  c.point_table["t.minus10"] = -10;
  return c;
}

Finding f(const char* result, std::string floor = "", bool with_negative = false) {
  Finding x{"t", result, "", {}};
  x.floor = std::move(floor);
  x.floor_with_negative = with_negative;
  return x;
}

}  // namespace

TEST_CASE("verdict: a score equal to a threshold gets the milder action; margin to the nearest") {
  Config c = thresholds();
  struct Row { std::vector<const char*> results; Action action; double margin; const char* nearest; };
  const Row rows[] = {
      {{"minus4"}, Action::accept, 0, "quarantine-below"},
      {{"minus8"}, Action::quarantine, 0, "reject-below"},
      {{"minus8", "minus1"}, Action::reject, -1, "reject-below"},
      {{"plus3"}, Action::accept, 7, "quarantine-below"},
      {{"minus4", "minus1"}, Action::quarantine, -1, "quarantine-below"},
  };
  for (const auto& r : rows) {
    std::vector<Finding> fs;
    for (const char* w : r.results) fs.push_back(f(w));
    Verdict v = score_findings(fs, c);
    CAPTURE(v.score);
    CHECK(v.action == r.action);
    CHECK(v.margin == doctest::Approx(r.margin));
    CHECK(v.nearest == r.nearest);
    CHECK(v.floor_by.empty());
  }
}

TEST_CASE("verdict: floors raise the action whatever the score, never lower it") {
  Config c = thresholds();
  Verdict v = score_findings({f("plus3", "quarantine")}, c);
  CHECK(v.action == Action::quarantine);
  CHECK(v.floor_by == "t:plus3");
  v = score_findings({f("plus3", "reject")}, c);
  CHECK(v.action == Action::reject);
  v = score_findings({f("minus10", "quarantine")}, c);
  CHECK(v.action == Action::reject);  // never lowered
  CHECK(v.floor_by.empty());
  // "with another negative": alone nothing, with any other negative finding the floor.
  v = score_findings({f("plus3", "quarantine", true)}, c);
  CHECK(v.action == Action::accept);
  v = score_findings({f("plus3", "quarantine", true), f("plus3")}, c);
  CHECK(v.action == Action::accept);
  v = score_findings({f("plus3", "quarantine", true), f("minus1"), f("plus3")}, c);
  CHECK(v.action == Action::quarantine);
  CHECK(v.score == doctest::Approx(-4.5));  // was +5: the floor's finding carries -9.5
}

// A floored action with a score above its band: the finding that set the
// floor carries the difference, so score, sum of points and action agree
// (old code: +3 (quarantine), +3 (reject) — X-Legit-Score said "legitimate").
TEST_CASE("verdict: the finding that sets a floor carries the points that put the score in its band") {
  Config c = thresholds();
  auto sum = [](const Verdict& v) {
    double t = 0;
    for (const auto& i : v.items) t += i.points;
    return t;
  };
  struct Row { std::vector<Finding> fs; Action action; double score; int by; double by_points; };
  const Row rows[] = {
      {{f("plus3", "quarantine")}, Action::quarantine, -4.5, 0, -4.5},
      {{f("plus3"), f("plus3", "quarantine"), f("minus1")}, Action::quarantine, -4.5, 1, -6.5},
      {{f("plus3", "reject")}, Action::reject, -8.5, 0, -8.5},
      {{f("plus3", "quarantine"), f("plus3", "reject")}, Action::reject, -8.5, 1, -11.5},  // the deciding floor carries it
      {{f("minus4", "quarantine"), f("minus1")}, Action::quarantine, -5, 0, -4},           // already in the band
      {{f("minus10", "quarantine")}, Action::reject, -10, 0, -10},                         // no floor set
  };
  for (const auto& r : rows) {
    Verdict v = score_findings(r.fs, c);
    CAPTURE(v.floor_by);
    CHECK(v.action == r.action);
    CHECK(v.score == doctest::Approx(r.score));
    CHECK(sum(v) == doctest::Approx(v.score));
    CHECK(v.items[r.by].points == doctest::Approx(r.by_points));
  }
  // the margin follows the new score
  CHECK(score_findings({f("plus3", "quarantine")}, c).margin == doctest::Approx(-0.5));
  // a quarantine band narrower than half a point: its middle
  Config narrow = make_config({{"quarantine-below", "-4"}, {"reject-below", "-4.2"}});
  narrow.point_table["t.plus3"] = 3;
  Verdict v = score_findings({f("plus3", "quarantine")}, narrow);
  CHECK(v.action == Action::quarantine);
  CHECK(v.score == doctest::Approx(-4.1));
}

TEST_CASE("verdict: no floor when the allowlist vouches (worth points); an unverified allowlist sender does not") {
  Config c = thresholds();
  c.point_table["allowlist.client"] = 100;
  c.point_table["allowlist.sender-unverified"] = 0;
  Finding listed{"allowlist", "client", "", {}}, forged{"allowlist", "sender-unverified", "", {}};
  Verdict v = score_findings({listed, f("plus3", "reject"), f("minus1", "quarantine")}, c);
  CHECK(v.action == Action::accept);
  CHECK(v.floor_by.empty());
  v = score_findings({forged, f("plus3", "reject")}, c);
  CHECK(v.action == Action::reject);
  CHECK(v.floor_by == "t:plus3");
  v = score_findings({listed, f("minus10"), f("minus10"), f("minus10"), f("minus10"), f("minus10"),
                      f("minus10"), f("minus10"), f("minus10"), f("minus10"), f("minus10"), f("minus10")},
                     c);
  CHECK(v.action == Action::reject);  // the thresholds still decide: 100 - 110 < -8
}

TEST_CASE("verdict: every check's *-action option reads through floor_of_action; none = no floor") {
  CHECK(floor_of_action("none") == "");
  CHECK(floor_of_action("quarantine") == "quarantine");
  CHECK(floor_of_action("reject") == "reject");
  int options = 0;
  for (const auto& c : check_registry())
    for (const auto& o : c.options) {
      if (o.name.size() < 7 || o.name.compare(o.name.size() - 7, 7, "-action") != 0) continue;
      ++options;
      INFO(o.name);
      CHECK(o.kind == OptKind::choice);
      CHECK(std::find(o.choices.begin(), o.choices.end(), "none") != o.choices.end());
      for (const auto& v : o.choices) CHECK(floor_of_action(v) == (v == "none" ? "" : v));
    }
  CHECK(options >= 7);  // relay, dmarc-reject/-quarantine, dnsbl-strong, private-mx, lookalike, anonymous
}
