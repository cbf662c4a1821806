// test_metrics.cc — unit tests of milter/insight/metrics.cc and
// exposition.cc: a recorded message shows up in every series it should,
// the text parses back, histograms are cumulative, quantiles interpolate,
// counting from many threads loses nothing.
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "insight/exposition.h"
#include "insight/metrics.h"

namespace legit::insight {
namespace {

Outcome scored(double score, Action a, std::vector<std::pair<std::string, std::string>> results) {
  Outcome o;
  o.verdict.score = score;
  o.verdict.action = a;
  for (auto& [c, r] : results) o.verdict.items.push_back({{c, r, "", {}}, 0});
  o.eom_seconds = 0.003;
  o.dns_lookups = 5;
  return o;
}

TEST_CASE("metrics: a message lands in its series") {
  Samples before(parse_exposition(render_metrics()));
  count_message(scored(-5.5, Action::quarantine, {{"helo", "bare-ip"}, {"ptr", "none"}, {"helo", "weird"}}),
                Mode::dry_run);
  Outcome trusted;
  trusted.kind = Outcome::Kind::trusted;
  count_message(trusted, Mode::enforce);
  count_probe("NOQUEUE: client=unknown[192.0.2.7] helo=<User> probe: ehlo-quit iprev=fail ptr=none");
  count_probe("garbage");
  count_error("eom");
  count_reload(false);
  Samples after(parse_exposition(render_metrics()));
  auto delta = [&](const char* name, std::map<std::string, std::string> labels = {}) {
    return after.sum(name, labels) - before.sum(name, labels);
  };
  CHECK(delta("legit_messages_total", {{"action", "quarantine"}, {"mode", "dry-run"}}) == 1);
  CHECK(delta("legit_messages_total") == 1);
  CHECK(delta("legit_messages_unscored_total", {{"reason", "trusted"}}) == 1);
  CHECK(delta("legit_check_results_total", {{"check", "helo"}, {"result", "bare-ip"}}) == 1);
  CHECK(delta("legit_check_results_total", {{"check", "ptr"}, {"result", "none"}}) == 1);
  CHECK(delta("legit_check_results_total", {{"check", "helo"}, {"result", "weird"}}) == 1);  // overflow
  CHECK(delta("legit_probes_total", {{"kind", "ehlo-quit"}}) == 1);
  CHECK(delta("legit_probes_total", {{"kind", "other"}}) == 1);
  CHECK(delta("legit_errors_total", {{"stage", "eom"}}) == 1);
  CHECK(delta("legit_reloads_total", {{"result", "failed"}}) == 1);
  CHECK(delta("legit_score_bucket", {{"le", "-4"}}) == 1);
  CHECK(delta("legit_score_bucket", {{"le", "-6"}}) == 0);
  CHECK(delta("legit_score_bucket", {{"le", "+Inf"}}) == 1);
  CHECK(delta("legit_eom_duration_seconds_bucket", {{"le", "0.002"}}) == 0);
  CHECK(delta("legit_eom_duration_seconds_bucket", {{"le", "0.005"}}) == 1);
  CHECK(delta("legit_message_dns_lookups_sum") == 5);
}

TEST_CASE("metrics: concurrent counting loses nothing") {
  Samples before(parse_exposition(render_metrics()));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([] {
      for (int i = 0; i < 2000; ++i) count_message(scored(1, Action::accept, {{"iprev", "pass"}}), Mode::enforce);
    });
  for (auto& t : threads) t.join();
  Samples after(parse_exposition(render_metrics()));
  CHECK(after.sum("legit_messages_total") - before.sum("legit_messages_total") == 8000);
  CHECK(after.sum("legit_check_results_total", {{"check", "iprev"}, {"result", "pass"}}) -
            before.sum("legit_check_results_total", {{"check", "iprev"}, {"result", "pass"}}) ==
        8000);
  CHECK(after.sum("legit_score_count") - before.sum("legit_score_count") == 8000);
}

TEST_CASE("exposition: parse, escapes, quantiles") {
  auto s = parse_exposition(
      "# HELP x y\n# TYPE x counter\nx{a=\"q\\\"\\\\\",b=\"2\"} 3\nbad line\ny 4 1700000000\n"
      "h_bucket{le=\"1\"} 10\nh_bucket{le=\"2\"} 30\nh_bucket{le=\"+Inf\"} 40\n");
  REQUIRE(s.size() == 5);
  CHECK(s[0].labels.at("a") == "q\"\\");
  Samples m(std::move(s));
  CHECK(m.sum("x", {{"b", "2"}}) == 3);
  CHECK(m.sum("y") == 4);
  CHECK(m.quantile("h", 0.25) == doctest::Approx(1.0));
  CHECK(m.quantile("h", 0.5) == doctest::Approx(1.5));
  CHECK(m.quantile("h", 0.95) == doctest::Approx(2.0));  // past the last finite bound
  CHECK_FALSE(m.quantile("nothing", 0.5));
}

}  // namespace
}  // namespace legit::insight
