// test_log_parse.cc — unit tests of milter/insight/log_parse.cc: every line
// kind, every prefix (syslog, ISO, journalctl -o cat), the old and the new
// keys, hostile helo/from text that imitates our tail, and lines that are
// not ours.
#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>

#include "insight/log_record.h"

namespace legit::insight {
namespace {

const char* kScored =
    "4F2B0B2: client=cpe-1.example.net[192.0.2.7] helo=<User> from=<a@b.example> score=-5.5 "
    "action=quarantine ptr=generic(-1.5) helo=not-fqdn(-2) spf=none(0) eom-ms=1.2 dns-lookups=7";

TEST_CASE("log_parse: a scored line, no prefix (journalctl -o cat)") {
  auto r = parse_log_line(kScored);
  REQUIRE(r);
  CHECK(r->kind == LogRecord::Kind::message);
  CHECK_FALSE(r->time);
  CHECK(r->queue_id == "4F2B0B2");
  CHECK(r->client_name == "cpe-1.example.net");
  CHECK(r->client_ip == "192.0.2.7");
  CHECK(r->helo == "User");
  CHECK(r->from == "a@b.example");
  CHECK(r->score == -5.5);
  CHECK(r->action == "quarantine");
  CHECK_FALSE(r->dry_run);
  REQUIRE(r->checks.size() == 3);
  CHECK(r->checks[1].check == "helo");
  CHECK(r->checks[1].result == "not-fqdn");
  CHECK(r->checks[1].points == -2);
  CHECK(r->eom_ms == doctest::Approx(1.2));
  CHECK(r->dns_lookups == 7);
}

TEST_CASE("log_parse: the key=value line (checks= list)") {
  auto r = parse_log_line(
      "4F2B0B2: client=cpe-1.example.net[192.0.2.7] helo=<User> from=<a@b.example> score=-5.5 "
      "action=quarantine forged-removed=1 checks=ptr:generic(-1.5),helo:not-fqdn(-2),spf:none(0) "
      "eom-ms=1.2 dns-lookups=7");
  REQUIRE(r);
  CHECK(r->helo == "User");
  CHECK(r->from == "a@b.example");
  CHECK(r->action == "quarantine");
  REQUIRE(r->checks.size() == 3);
  CHECK(r->checks[0].check == "ptr");
  CHECK(r->checks[0].result == "generic");
  CHECK(r->checks[0].points == -1.5);
  CHECK(r->checks[2].result == "none");
  CHECK(r->eom_ms == doctest::Approx(1.2));
  CHECK(r->dns_lookups == 7);
  auto empty = parse_log_line("Q: client=x[192.0.2.1] helo=<h> from=<> score=0 action=accept checks= eom-ms=0.1 dns-lookups=0");
  REQUIRE(empty);
  CHECK(empty->checks.empty());
  CHECK(empty->dns_lookups == 0);
}

TEST_CASE("log_parse: prefixes") {
  setenv("TZ", "UTC", 1);
  tzset();
  ParseContext ctx{2026, 1795000000};  // 2026-11-18
  auto a = parse_log_line(std::string("Nov 28 16:00:01 mx legit-milter[77]: ") + kScored, ctx);
  REQUIRE(a);
  REQUIRE(a->time);
  CHECK(*a->time == 1764345601);  // 2025-11-28 16:00:01 UTC: ten days ahead of now = last year
  auto b = parse_log_line(std::string("2026-11-28T16:00:01.123+0100 legit-milter[77]: ") + kScored);
  REQUIRE(b);
  REQUIRE(b->time);
  CHECK(*b->time == 1795881601 - 3600);  // 16:00:01+01:00 = 15:00:01Z
  auto c = parse_log_line(std::string("2026-11-28T16:00:01.123456+01:00 mx legit-milter[77]: ") + kScored);
  REQUIRE(c);
  CHECK(c->time == b->time);
  CHECK(c->queue_id == "4F2B0B2");
}

TEST_CASE("log_parse: dry-run, old and new keys") {
  auto old = parse_log_line(
      "Q1: client=x[192.0.2.1] helo=<h> from=<> score=-20 action=accept (dry-run, would reject) iprev=fail(-20)");
  REQUIRE(old);
  CHECK(old->action == "reject");
  CHECK(old->dry_run);
  REQUIRE(old->checks.size() == 1);
  auto neu = parse_log_line(
      "Q1: client=x[192.0.2.1] helo=<h> from=<> score=-20 action=accept dry-run=reject iprev=fail(-20)");
  REQUIRE(neu);
  CHECK(neu->action == "reject");
  CHECK(neu->dry_run);
}

TEST_CASE("log_parse: trusted and authenticated, old and new keys") {
  auto t = parse_log_line("Q2: client=localhost[127.0.0.1] helo=<h> from=<a@b> trusted-network, not scored");
  REQUIRE(t);
  CHECK(t->kind == LogRecord::Kind::unscored);
  CHECK(t->reason == "trusted");
  CHECK(t->from == "a@b");
  auto a = parse_log_line("Q3: client=x[192.0.2.1] helo=<h> from=<a@b> authenticated=joe, not scored");
  REQUIRE(a);
  CHECK(a->reason == "authenticated");
  auto n = parse_log_line("Q4: client=x[192.0.2.1] helo=<h> from=<a@b> action=accept reason=trusted");
  REQUIRE(n);
  CHECK(n->kind == LogRecord::Kind::unscored);
  CHECK(n->reason == "trusted");
  CHECK(n->from == "a@b");
  auto na = parse_log_line(
      "Q5: client=x[192.0.2.1] helo=<h> from=<a@b> action=accept reason=authenticated auth=<joe> forged-removed=2");
  REQUIRE(na);
  CHECK(na->reason == "authenticated");
  CHECK(na->from == "a@b");
}

TEST_CASE("log_parse: probe lines") {
  auto e = parse_log_line("NOQUEUE: client=unknown[192.0.2.7] helo=<User> probe: ehlo-quit iprev=fail ptr=none");
  REQUIRE(e);
  CHECK(e->kind == LogRecord::Kind::probe);
  CHECK(e->probe == "ehlo-quit");
  CHECK(e->iprev == "fail");
  CHECK(e->ptr == "none");
  auto u = parse_log_line(
      "NOQUEUE: client=unknown[192.0.2.7] helo=<> probe: unknown-command \"GET / \\x22x\" count=3 iprev=fail ptr=none");
  REQUIRE(u);
  CHECK(u->probe == "unknown-command");
  CHECK(u->command == "GET / \\x22x");
  CHECK(u->count == 3);
  auto m = parse_log_line("NOQUEUE: client=unknown[192.0.2.7] helo=<x> probe: no-message mail=2 iprev=pass ptr=a.b");
  REQUIRE(m);
  CHECK(m->probe == "no-message");
  CHECK(m->count == 2);
}

TEST_CASE("log_parse: a client imitating our tail in HELO and MAIL FROM") {
  auto r = parse_log_line(
      "Q5: client=unknown[198.51.100.20] helo=<x client=a[192.0.2.66] score=9 action=accept > "
      "from=<y score=9 action=accept> score=-20 action=reject checks=iprev:fail(-20) eom-ms=3.0 dns-lookups=2");
  REQUIRE(r);
  CHECK(r->client_ip == "198.51.100.20");
  CHECK(r->score == -20);
  CHECK(r->action == "reject");
  CHECK(r->helo == "x client=a[192.0.2.66] score=9 action=accept ");
  CHECK(r->from == "y score=9 action=accept");
}

TEST_CASE("log_parse: not ours") {
  for (const char* line : {"", "Nov 28 16:00:01 mx postfix/smtpd[1]: connect from x[192.0.2.1]",
                           "starting legit-milter 0.1.0 socket=inet:8895@127.0.0.1",
                           ": client=", "Q: client=x[1] helo=<", "Q: client=x[1] helo=<h> from=<a>"})
    CHECK_FALSE(parse_log_line(line));
}

TEST_CASE("log_parse: parse_time") {
  setenv("TZ", "UTC", 1);
  tzset();
  CHECK(parse_time("2026-11-28") == 1795824000);
  CHECK(parse_time("2026-11-28 01:02") == 1795824000 + 3720);
  CHECK(parse_time("2026-11-28T01:02:03Z") == 1795824000 + 3723);
  CHECK(parse_time("2026-11-28T01:02:03-0130") == 1795824000 + 3723 + 5400);
  CHECK_FALSE(parse_time("yesterday"));
  CHECK_FALSE(parse_time("2026-13-01"));
}

}  // namespace
}  // namespace legit::insight
