// verdict.h — adds the points of every finding into one score and turns the
// score into an action with the configured thresholds (higher = more
// legitimate). A finding whose result has no row in the points table is worth 0.
#pragma once

#include <string>
#include <vector>

#include "legit/config.h"
#include "legit/finding.h"

namespace legit {

enum class Action { accept, quarantine, reject, tempfail };
const char* to_string(Action a);

struct Verdict {
  double score = 0;
  Action action = Action::accept;   // what the thresholds (and floors) say
  bool any_temperror = false;       // some check could not decide (DNS etc.)
  std::string floor_by;             // "dmarc:fail-reject" when a finding's floor set the action
  double margin = 0;                // score minus the nearest threshold (< 0: below it)
  std::string nearest;              // "quarantine-below" or "reject-below"
  std::vector<ScoredFinding> items;
};

// Scores findings. Thresholds: score < reject-below → reject, score <
// quarantine-below → quarantine, else accept — a score EQUAL to a threshold
// gets the milder action (-4 with quarantine-below -4 is accepted). A reject
// that rests on a temporary failure — the checks that answered temperror
// could, with their best points-table row, have lifted the score to
// reject-below or above — is softened to tempfail when on-error = tempfail,
// and to quarantine otherwise: a DNS outage never rejects mail. Then each
// finding's floor (finding.h) raises the action to at least that floor
// (order accept < quarantine < tempfail < reject); a floor never lowers it.
// When a floor raised the action and the score lies above that action's
// band, the finding that set the floor carries the difference: the score
// becomes half a point below the floor's threshold (quarantine-below - 0.5,
// reject-below - 0.5; the middle of a quarantine band narrower than that),
// so the score, the sum of the items' points and the action agree for
// whoever reads X-Legit-Score downstream.
// No floor applies when an `allowlist` finding is worth points (the
// postmaster vouched for the client, host, sender or recipients: the
// thresholds alone decide, as README "Allowlists" says).
Verdict score_findings(const std::vector<Finding>& findings, const Config& cfg);

// "-2.5", "1", "0.25": shortest text for points/score (no trailing zeros).
std::string format_points(double v);

}  // namespace legit
