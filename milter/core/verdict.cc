// verdict.cc — findings → score → action (verdict.h).
#include "legit/verdict.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace legit {

const char* to_string(Action a) {
  switch (a) {
    case Action::accept: return "accept";
    case Action::quarantine: return "quarantine";
    case Action::reject: return "reject";
    case Action::tempfail: return "tempfail";
  }
  return "accept";
}

std::string format_points(double v) {
  if (std::fabs(v) < 0.005) return "0";
  char buf[32];
  // std::to_chars with a precision is printf("%.2f") exactly (C++17), at a
  // fraction of its cost (~30 calls per message: headers and log line).
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 2);
  if (ec != std::errc()) {  // cannot happen for a finite double below 1e28; printf then
    std::snprintf(buf, sizeof buf, "%.2f", v);
    end = buf + std::strlen(buf);
  }
  std::string s(buf, end);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// The most a check could have added had it been able to answer: the largest
// row of that check in the points table (never below 0).
static double best_points(const Config& cfg, const std::string& check) {
  double best = 0;
  std::string prefix = check + ".";
  for (const auto& [key, points] : cfg.point_table)
    if (key.compare(0, prefix.size(), prefix) == 0 && points > best) best = points;
  return best;
}

static int severity(Action a) {
  switch (a) {
    case Action::accept: return 0;
    case Action::quarantine: return 1;
    case Action::tempfail: return 2;
    case Action::reject: return 3;
  }
  return 0;
}

// The score a floored message is given when the findings' sum lies above its
// action's band: half a point (the points table's step) below the floor's
// threshold, or the middle of the quarantine band when that is narrower.
static double floored_score(Action a, const Config& cfg) {
  if (a == Action::reject) return cfg.reject_below - 0.5;
  double top = cfg.quarantine_below - 0.5;
  return top >= cfg.reject_below ? top : (cfg.quarantine_below + cfg.reject_below) / 2;
}

// Raises v.action to each applicable finding's floor (verdict.h), unless
// the allowlist vouches for the message (its finding is worth points). The
// finding that set the floor then carries the points that bring the score
// into its action's band, so the score agrees with the action.
static void apply_floors(Verdict& v, const Config& cfg) {
  for (const auto& item : v.items)
    if (item.finding.check == "allowlist" && item.points > 0) return;
  ScoredFinding* by = nullptr;
  for (auto& item : v.items) {
    const Finding& f = item.finding;
    if (f.floor != "quarantine" && f.floor != "reject") continue;
    if (f.floor_with_negative) {
      bool other = false;
      for (const auto& o : v.items) other = other || (&o != &item && o.points < 0);
      if (!other) continue;
    }
    Action a = f.floor == "reject" ? Action::reject : Action::quarantine;
    if (severity(a) > severity(v.action)) {
      v.action = a;
      v.floor_by = f.check + ":" + f.result;
      by = &item;
    }
  }
  if (by == nullptr) return;
  double target = std::round(floored_score(v.action, cfg) * 100) / 100;
  if (v.score <= target) return;
  by->points = std::round((by->points - (v.score - target)) * 100) / 100;
  v.score = target;
}

Verdict score_findings(const std::vector<Finding>& findings, const Config& cfg) {
  Verdict v;
  double optimistic = 0;  // the score if every temperror had been the best result
  v.items.reserve(findings.size());
  for (const auto& f : findings) {
    double p = cfg.points(f.check, f.result);
    v.score += p;
    optimistic += p;
    if (f.result == "temperror") {
      v.any_temperror = true;
      optimistic += best_points(cfg, f.check);
    }
    v.items.push_back({f, p});
  }
  // Round to hundredths so the header and the threshold agree exactly.
  v.score = std::round(v.score * 100) / 100;
  if (v.score < cfg.reject_below)
    v.action = Action::reject;
  else if (v.score < cfg.quarantine_below)
    v.action = Action::quarantine;
  // A reject that rests on a temporary failure: the checks that could not
  // answer might have lifted the score above reject-below. Never reject then.
  if (v.action == Action::reject && v.any_temperror && optimistic >= cfg.reject_below)
    v.action = cfg.on_error == OnError::tempfail ? Action::tempfail : Action::quarantine;
  apply_floors(v, cfg);
  bool nearer_reject = std::fabs(v.score - cfg.reject_below) < std::fabs(v.score - cfg.quarantine_below);
  v.nearest = nearer_reject ? "reject-below" : "quarantine-below";
  v.margin = std::round((v.score - (nearer_reject ? cfg.reject_below : cfg.quarantine_below)) * 100) / 100;
  return v;
}

}  // namespace legit
