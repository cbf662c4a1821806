# report_scenarios.sh — scenario 12 of test_postfix_e2e.sh (sourced by it):
# `legit-milter report` over the milter logs the scenarios before it wrote
# (enforce and dry-run instances, real Postfix queue ids, probe lines), its
# counts checked against grep on the same files, and the --html page with
# its three charts. LEGIT_E2E_LOGDIR also keeps the page.
s12_report() {
  local logs=("$PF/milter-enf.log" "$PF/milter-dry.log") json
  json=$("$BIN" report --json "${logs[@]}" 2>"$WORK/report.err")
  expect_eq "12: report exit 0, no complaint" "$?:$(cat "$WORK/report.err")" "0:"
  local all; all=$(cat "${logs[@]}")
  expect_eq "12: every scored line counted" "$(json_get "$json" 'j["messages"]["scored"]')" "$(grep -c ' score=' <<<"$all")"
  for a in accept quarantine reject; do
    expect_eq "12: action $a (dry-run as the action it would take)" \
      "$(json_get "$json" "j['messages']['actions'].get('$a', 0)")" \
      "$(grep ' score=' <<<"$all" | grep -c " dry-run=$a\| action=$a\( [^d]\|$\)")"
  done
  expect_eq "12: dry-run lines" "$(json_get "$json" 'j["messages"]["dry_run"]')" "$(grep -c ' dry-run=' <<<"$all")"
  expect_eq "12: not scored (trusted, authenticated)" "$(json_get "$json" 'sum(j["messages"]["unscored"].values())')" \
    "$(grep -c ' reason=' <<<"$all")"
  expect_eq "12: probe lines" "$(json_get "$json" 'sum(j["probes"]["kinds"].values())')" "$(grep -c ' probe: ' <<<"$all")"
  expect_eq "12: the rejected client tops the offenders" \
    "$(json_get "$json" 'j["below_quarantine"]["clients"][0]["ip"] in ("198.18.0.11", "198.18.0.20")')" True
  expect_match "12: latency and lookups read from the lines" "$(json_get "$json" 'j["latency"]["messages"]')" '^[1-9]'
  "$BIN" report --html "$WORK/e2e-report.html" "${logs[@]}" >/dev/null
  for id in score-histogram actions-over-time probes-over-time; do
    expect_eq "12: html has <svg id=$id>" "$(grep -c "<svg id=\"$id\"" "$WORK/e2e-report.html")" 1
  done
  [ -n "${LEGIT_E2E_LOGDIR:-}" ] && mkdir -p "$LEGIT_E2E_LOGDIR" && cp "$WORK/e2e-report.html" "$LEGIT_E2E_LOGDIR/"
  return 0
}
