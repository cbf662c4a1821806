#!/usr/bin/env bash
# test_monitoring.sh — contrib/grafana/legit-milter.json and
# contrib/prometheus/legit-milter-alerts.yml against the real binary: a milter
# with metrics-listen gets a little traffic (miltertest scenarios, a probe)
# and is scraped; monitoring/check_dashboard.py checks the dashboard is what a
# Grafana import accepts (valid JSON, panels with targets, the datasource
# variable) and that every metric its queries name is in that scrape; each
# query must be PromQL (`promtool check rules` on them as recording rules);
# the alerts pass `promtool check rules` and `promtool test rules`
# (contrib/prometheus/alerts_test.yml: each fires on a synthetic series and
# stays quiet on a healthy one) and name only scraped metrics too; the
# dashboard is what make_dashboard.py writes.
# usage: test_monitoring.sh PATH/TO/legit-milter   (exit 77 = skipped)
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
command -v miltertest >/dev/null || skip "miltertest is not installed (Debian package miltertest)"
command -v curl >/dev/null || skip "curl is not installed"
command -v promtool >/dev/null || skip "promtool is not installed (Debian package prometheus)"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
DASH="$SRC/contrib/grafana/legit-milter.json"
RULES="$SRC/contrib/prometheus/legit-milter-alerts.yml"
start_dns "$SRC/tests/dns/milter.zone" "$SRC/tests/dns/milter-reverse.zone"

# --- a scrape of a running milter with traffic --------------------------------------
HPORT=$(free_port)
milter_bg "$WORK/milter.err" --authserv-id mx.test.example --metrics-listen "inet:$HPORT@127.0.0.1" ||
  { cat "$WORK/milter.err"; exit 1; }
MPORT=$MILTER_PORT PID=$MILTER_PID
miltertest -D port="$MPORT" -s "$SRC/tests/integration/milter/scenarios.lua" >"$WORK/mt.out" 2>&1 ||
  fail "miltertest scenarios" "$(tail -5 "$WORK/mt.out")"
$PY "$SRC/tests/integration/milter/milterclient.py" probe "$MPORT" >"$WORK/probe.out" 2>&1 ||
  fail "milterclient probe" "$(tail -3 "$WORK/probe.out")"
curl -sS --max-time 10 "http://127.0.0.1:$HPORT/metrics" >"$WORK/scrape.txt"
expect_match "the scrape has traffic in it" "$(grep '^legit_messages_total' "$WORK/scrape.txt" | awk '{ s += $2 } END { print s + 0 }')" '^[1-9]'

# --- the dashboard -------------------------------------------------------------------
$PY "$SRC/tests/integration/monitoring/check_dashboard.py" "$DASH" "$WORK/scrape.txt" "$WORK/dash-rules.yml" >"$WORK/dash.out" 2>&1
expect_eq "check_dashboard.py ran to its end (exit 0)" "$?" 0
while read -r line; do
  case $line in
    "ok   - "*) ok "${line#ok   - }" ;;
    "FAIL - "*) n=${line#FAIL - }; fail "${n%%: *}" "${n#*: }" ;;
    *) echo "     $line" ;;
  esac
done <"$WORK/dash.out"
promtool check rules "$WORK/dash-rules.yml" >"$WORK/dash-promtool.out" 2>&1; rc=$?
expect_eq "every dashboard query is PromQL (promtool check rules)" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/     | /' "$WORK/dash-promtool.out" | head -20
$PY "$SRC/contrib/grafana/make_dashboard.py" "$WORK/made.json"
expect_eq "the dashboard is what make_dashboard.py writes" "$(cmp -s "$WORK/made.json" "$DASH" && echo same)" same

# --- the alert rules ------------------------------------------------------------------
out=$(promtool check rules "$RULES" 2>&1); rc=$?
expect_eq "promtool check rules: alerts" "$rc" 0
expect_match "promtool check rules: 5 rules" "$out" "SUCCESS: 5 rules found"
sed "s|RULES|$RULES|" "$SRC/contrib/prometheus/alerts_test.yml" >"$WORK/alerts_test.yml"
out=$(promtool test rules "$WORK/alerts_test.yml" 2>&1); rc=$?
expect_eq "promtool test rules: every alert fires when it should and only then" "$rc" 0
[ "$rc" = 0 ] || echo "$out" | sed 's/^/     | /' | head -30
used=$(grep -o 'legit_[a-z0-9_]*' "$RULES" | sort -u)
expect_match "the alerts use our metrics (else the next check has nothing to look at)" "$(grep -c . <<<"$used")" '^[1-9]'
missing=$(while read -r m; do grep -q "^$m[{ ]" "$WORK/scrape.txt" || echo "$m"; done <<<"$used")
expect_eq "every metric the alerts use is in the scrape" "$missing" ""

kill -TERM "$PID"
finish
