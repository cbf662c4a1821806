// test_report.cc — unit tests of milter/insight/report.cc: the bounded
// tables, the two phases (add, then finish before any rendering), the totals
// finish() computes once, the sender-domain column, and local-time buckets
// (a +05:30 zone, a 25-hour DST day).
#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "insight/report.h"

namespace legit::insight {
namespace {

// Sets TZ for one test, and back to UTC after it.
struct Zone {
  explicit Zone(const char* tz) { setenv("TZ", tz, 1), tzset(); }
  ~Zone() { setenv("TZ", "UTC", 1), tzset(); }
};

LogRecord message(const char* action, double score, double eom_ms, const char* from = "a@b.example") {
  LogRecord m;
  m.kind = LogRecord::Kind::message;
  m.client_ip = "192.0.2.7";
  m.action = action;
  m.score = score;
  m.eom_ms = eom_ms;
  m.dns_lookups = 4;
  m.from = from;
  return m;
}

TEST_CASE("report: more distinct check results than kMaxKeys spill into (other), every rendering works") {
  Report r;
  LogRecord m = message("quarantine", -5, -1);
  for (std::size_t i = 0; i <= Report::kMaxKeys + 1; ++i) {
    m.client_ip = "192.0.2." + std::to_string(i % 250);
    m.checks = {{"helo", "word" + std::to_string(i), -1.0}};
    r.add(m);
  }
  CHECK(r.fired.size() == Report::kMaxKeys + 1);  // kept keys + "(other)"
  CHECK(r.fired.at("(other)") == 2);
  CHECK(r.fired_points.size() == r.fired.size());
  r.finish();
  CHECK_NOTHROW(render_text(r));
  CHECK_NOTHROW(render_json(r));
  CHECK_NOTHROW(render_html(r));
}

TEST_CASE("report: rendering needs finish(), and an add() after it needs it again") {
  Report r;
  r.add(message("accept", 3, 1));
  CHECK_THROWS_AS(render_text(r), std::logic_error);
  r.finish();
  CHECK(r.totals().scored == 1);
  r.add(message("reject", -9, 2));
  CHECK_THROWS_AS(render_json(r), std::logic_error);
  r.finish();
  CHECK(r.totals().scored == 2);
}

TEST_CASE("report: finish() computes the totals every rendering shows") {
  Report r;
  for (int i = 1; i <= 100; ++i) r.add(message(i % 10 ? "accept" : "reject", i % 10 ? 3.5 : -9.2, 101 - i));
  LogRecord u;
  u.kind = LogRecord::Kind::unscored;
  u.reason = "trusted";
  r.add(u);
  LogRecord p;
  p.kind = LogRecord::Kind::probe;
  p.probe = "ehlo-quit";
  for (const char* ip : {"192.0.2.50", "192.0.2.50", "192.0.2.60"}) p.client_ip = ip, r.add(p);
  r.finish();
  const Totals& t = r.totals();
  CHECK(t.scored == 100);
  CHECK(t.unscored == 1);
  CHECK(t.probes == 3);
  CHECK(t.per_score == std::map<int, int>{{-10, 10}, {3, 90}});
  CHECK(t.p50_ms == 50);  // nearest rank of 1..100
  CHECK(t.p90_ms == 90);
  CHECK(t.p99_ms == 99);
  CHECK(t.lookups_mean == 4);
  REQUIRE(t.probers.size() == 2);
  CHECK(t.probers[0] == std::pair<std::string, int>{"192.0.2.50", 2});
  REQUIRE(t.slow_senders.size() == 1);
  CHECK(t.slow_senders[0].messages == 100);
  CHECK(t.slow_senders[0].mean_ms == doctest::Approx(50.5));
  CHECK(percentile({}, 0.5) == std::nullopt);
}

TEST_CASE("report: the sender-domain column of the offenders") {
  Report r;
  for (const char* from : {"a@Bad.Example", "b@bad.example.", "", "postmaster", "c@"}) r.add(message("reject", -9, 1, from));
  CHECK(r.bad_domains == std::map<std::string, int>{{"bad.example", 2}, {"<>", 1}, {"(none)", 2}});
}

TEST_CASE("report: buckets start on local-time boundaries") {
  SUBCASE("+05:30: an hour starts at :00 local, not at :30") {
    Zone z("Asia/Kolkata");
    const std::int64_t t = 1795840200 + 47 * 60;  // 2026-11-28 10:47 IST (05:17 UTC)
    CHECK(format_time(t, "%H:%M") == "10:47");
    CHECK(format_time(local_floor(t, 3600), "%H:%M") == "10:00");
    CHECK(format_time(local_floor(t, 86400), "%d %H:%M") == "28 00:00");
    Report r;
    LogRecord m = message("accept", 3, 1);
    m.time = t;
    r.add(m);
    REQUIRE(r.hours.size() == 1);
    CHECK(format_time(r.hours.begin()->first, "%H:%M") == "10:00");
  }
  SUBCASE("a 25-hour day (DST ends): the next day still starts at local midnight") {
    Zone z("America/New_York");
    const std::int64_t day = 1793505600;  // 2026-11-01 00:00 EDT, DST ends at 02:00
    CHECK(local_floor(day + 12 * 3600, 86400) == day);
    std::int64_t next = local_next(day, 86400);
    CHECK(next - day == 25 * 3600);
    CHECK(format_time(next, "%m-%d %H:%M") == "11-02 00:00");
    CHECK(local_next(day + 3600, 3600) == day + 2 * 3600);  // 01:00 EDT -> 01:00 EST
  }
  SUBCASE("a 23-hour day (DST starts)") {
    Zone z("America/New_York");
    const std::int64_t day = 1772946000;  // 2026-03-08 00:00 EST, 02:00 -> 03:00 EDT
    CHECK(local_floor(day + 12 * 3600, 86400) == day);
    CHECK(local_next(day, 86400) - day == 23 * 3600);
  }
}

}  // namespace
}  // namespace legit::insight
