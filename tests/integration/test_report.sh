#!/usr/bin/env bash
# test_report.sh — `legit-milter report` on six hours of log lines with known
# totals (report/make_logs.py): a rotated .gz file and a plain syslog file
# with Postfix lines between ours, the first hour in the older log format,
# and `journalctl -o cat` output on stdin. Checks the JSON numbers (actions,
# dry-run, not scored, score distribution, checks fired, offenders below the
# quarantine threshold, probe patterns, per-hour volume, slowest messages),
# --since/--until, the text report, usage errors, and the --html page:
# self-contained (no script, nothing fetched), opened in headless Chromium,
# screenshotted, its SVG charts present with bars in the rendered DOM.
# LEGIT_REPORT_KEEP=DIR keeps the page and the screenshot there.
# usage: test_report.sh PATH/TO/legit-milter
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"
export TZ=UTC ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
T0=$($PY "$SRC/tests/integration/report/make_logs.py" "$WORK") || { echo "make_logs.py failed"; exit 1; }
# j JSON EXPR: a python expression on the parsed report (j)
j() { json_get "$1" "$2"; }

# --- all of it: .gz + plain file ------------------------------------------------
all=$("$BIN" report --json "$WORK/mail.log.1.gz" "$WORK/mail.log" 2>"$WORK/err"); rc=$?
expect_eq "report --json: exit 0, nothing on stderr" "$rc:$(cat "$WORK/err")" "0:"
expect_eq "lines read (ours + Postfix's)" "$(j "$all" 'j["lines"]')" "$(( $(zcat "$WORK/mail.log.1.gz" | wc -l) + $(wc -l <"$WORK/mail.log") ))"
expect_eq "actions over both files, both log formats" "$(j "$all" 'sorted(j["messages"]["actions"].items())')" \
  "[('accept', 120), ('quarantine', 18), ('reject', 13)]"
expect_eq "dry-run counted under the action it would have taken" "$(j "$all" 'j["messages"]["dry_run"]')" 1
expect_eq "not scored: trusted and authenticated (old and new keys)" "$(j "$all" 'sorted(j["messages"]["unscored"].items())')" \
  "[('authenticated', 6), ('trusted', 6)]"
expect_eq "score distribution" "$(j "$all" '[(s["score"], s["count"]) for s in j["scores"]]')" \
  "[(-10, 12), (-9, 1), (-5, 18), (3, 60), (7, 60)]"
expect_eq "score bins split by action" "$(j "$all" '[s["actions"] for s in j["scores"] if s["score"] == -9][0]')" "{'reject': 1}"
expect_eq "the check that fired most" "$(j "$all" '(j["checks_fired"][0]["check"], j["checks_fired"][0]["result"], j["checks_fired"][0]["count"])')" \
  "('ptr', 'none', 31)"
expect_eq "checks fired: points come along" "$(j "$all" '[c["points"] for c in j["checks_fired"] if c["result"] == "nxdomain"]')" "[-7]"
expect_eq "top offender below the quarantine threshold" "$(j "$all" '[(c["ip"], c["count"], c["worst_score"]) for c in j["below_quarantine"]["clients"][:2]]')" \
  "[('198.51.100.7', 18, -5), ('203.0.113.9', 12, -9.5)]"
expect_eq "top offending HELOs" "$(j "$all" '[(h["helo"], h["count"]) for h in j["below_quarantine"]["helos"]]')" \
  "[('User', 18), ('37.215.63.185', 12), ('x', 1)]"
expect_eq "top offending sender domains" "$(j "$all" '[(d["domain"], d["count"]) for d in j["below_quarantine"]["sender_domains"]]')" \
  "[('bad.example', 18), ('nx.example', 12), ('<>', 1)]"
expect_eq "probe kinds" "$(j "$all" 'sorted(j["probes"]["kinds"].items())')" \
  "[('ehlo-quit', 72), ('no-helo', 4), ('unknown-command', 30)]"
expect_eq "EHLO-QUIT prober: every ~5 min" "$(j "$all" '[c["pattern"] for c in j["probes"]["clients"] if c["ip"] == "192.0.2.50"][0]')" \
  "ehlo-quit x72; every ~5 min"
expect_match "dot prober: bursts" "$(j "$all" '[c["pattern"] for c in j["probes"]["clients"] if c["ip"] == "192.0.2.60"][0]')" \
  '^unknown-command x30 \("\."\); bursts of up to 10 a minute'
expect_eq "per-hour volume: six hours" "$(j "$all" 'len(j["hours"])')" 6
expect_eq "per-hour volume: hour 3" "$(j "$all" 'sorted(j["hours"][3]["counts"].items())')" \
  "[('accept', 20), ('probe:ehlo-quit', 12), ('probe:unknown-command', 10), ('quarantine', 3), ('reject', 2), ('unscored', 2)]"
expect_eq "the first hour starts at T0" "$(j "$all" 'j["hours"][0]["start"]')" "$T0"
expect_eq "slowest: the rejects with their lookups" "$(j "$all" '(j["latency"]["slowest"][0]["eom_ms"], j["latency"]["slowest"][0]["dns_lookups"], j["latency"]["slowest"][0]["ip"])')" \
  "(250, 14, '203.0.113.9')"
expect_eq "latency: older lines carry none, the rest do" "$(j "$all" 'j["latency"]["messages"]')" $((125 + 1))

# --- time window ----------------------------------------------------------------------
since=$(date -u -d "@$((T0 + 3 * 3600))" '+%Y-%m-%d %H:%M')
until=$(date -u -d "@$((T0 + 5 * 3600))" '+%Y-%m-%dT%H:%M:%SZ')
win=$("$BIN" report --json --since "$since" --until "$until" "$WORK/mail.log.1.gz" "$WORK/mail.log")
expect_eq "--since/--until: hours 3 and 4 only" "$(j "$win" '[len(j["hours"]), j["messages"]["actions"]]')" \
  "[2, {'accept': 40, 'quarantine': 6, 'reject': 4}]"
expect_eq "--since/--until: the rest counted as skipped" "$(j "$win" 'j["skipped"] + j["records"]')" "$(j "$all" 'j["records"]')"

# --- stdin: journalctl -o cat ---------------------------------------------------
cat_=$("$BIN" report --json <"$WORK/journal.txt")
expect_eq "stdin, no prefix (journalctl -o cat)" "$(j "$cat_" '[j["records"], j["messages"]["actions"], j["first"], len(j["hours"])]')" \
  "[50, {'accept': 20, 'quarantine': 3, 'reject': 2}, None, 0]"
expect_eq "'-' is stdin too, a gz on stdin is read" "$("$BIN" report --json - <"$WORK/mail.log.1.gz" | $PY -c 'import json,sys; print(json.load(sys.stdin)["messages"]["actions"]["accept"])')" 60

# --- text ---------------------------------------------------------------------------
txt=$("$BIN" report --top 3 "$WORK/mail.log.1.gz" "$WORK/mail.log")
echo "$txt" | sed -n '1,12p' | sed 's/^/     | /'
expect_match "text: messages line" "$txt" "Messages: 151 scored, 6 authenticated, 6 trusted"
expect_match "text: reject share" "$txt" "reject +13 +8.6 %"
expect_match "text: probe pattern" "$txt" "192.0.2.50 +ehlo-quit x72; every ~5 min"
expect_match "text: slowest" "$txt" "250.0 ms +14 lookups +203.0.113.9"
expect_match "text: the first line names the zone" "$(head -1 <<<"$txt")" ' [0-9]{2}:[0-9]{2} UTC$'
# +05:30: the hours are local hours (10:00 .. 11:00), not UTC hours read locally (10:30 .. 11:30).
ist=$(TZ=Asia/Kolkata "$BIN" report "$WORK/mail.log.1.gz" "$WORK/mail.log" | sed -n '/^Per hour:/,$p' | grep -E '^  [0-9]{4}-')
expect_eq "text, TZ=Asia/Kolkata: six hours, each on a local :00" "$(grep -c ' [0-9][0-9]:00  accept' <<<"$ist"):$(wc -l <<<"$ist")" "6:6"
expect_eq "text: --top 3 cuts the HELO table" "$(sed -n '/HELO names:/,/sender domains:/p' <<<"$txt" | grep -c '^    ')" 3

# --- usage -----------------------------------------------------------------------------
"$BIN" report --since yesterday "$WORK/mail.log" >/dev/null 2>"$WORK/err"; rc=$?
expect_eq "bad --since: exit 2" "$rc" 2
expect_match "bad --since: says which option" "$(cat "$WORK/err")" "option 'since'"
"$BIN" report --json "$WORK/mail.log" "$WORK/missing.log" >/dev/null 2>"$WORK/err"; rc=$?
expect_eq "missing file: exit 1, the others still read" "$rc" 1
expect_match "missing file: named" "$(cat "$WORK/err")" "cannot read .*missing.log"

# --- HTML --------------------------------------------------------------------------------
"$BIN" report --html "$WORK/report.html" "$WORK/mail.log.1.gz" "$WORK/mail.log" >/dev/null
expect_eq "html: no script, nothing fetched (the SVG namespace is the only URL)" \
  "$(grep -c -i -E '<script|<link|src=|url\(' "$WORK/report.html"):$(grep -o -E 'https?://[^"]*' "$WORK/report.html" | grep -cv '^http://www.w3.org/2000/svg$')" "0:0"
for id in score-histogram actions-over-time probes-over-time; do
  expect_eq "html: <svg id=$id>" "$(grep -c "<svg id=\"$id\"" "$WORK/report.html")" 1
done
expect_match "html: offenders table" "$(cat "$WORK/report.html")" '<table id="offenders"><tr><th>client</th>.*<td>198\.51\.100\.7</td>'
# Every score beyond the chart's left edge (-40): one edge bar, no crash (fuzz_log_parse found it).
grep -m1 ' score=-' "$WORK/mail.log" | sed -E 's/ score=-?[0-9.]+ / score=-55 /' >"$WORK/edge.log"
"$BIN" report --html "$WORK/edge.html" "$WORK/edge.log" >/dev/null 2>&1; rc=$?
expect_eq "html: a lone score of -55 lands in the edge bar" "$rc:$(grep -o '<svg id="score-histogram".*</svg>' "$WORK/edge.html" | grep -o 'class="bar"' | head -1)" '0:class="bar"'
# 40 hours in +05:30: hourly bars start on local :00, and no axis label runs past the chart's
# right edge (x + half its ~7 px a character <= 1000).
$PY - "$WORK/days.log" <<'EOF'
import sys, time
with open(sys.argv[1], "w") as f:
    for m in range(0, 40 * 60 - 6, 30):
        t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(1795651200 + m * 60))
        f.write("%s mx legit-milter[1]: Q%d: client=c.example[198.18.0.1] helo=<c.example> from=<a@b.example> "
                "score=3 action=accept checks=iprev:pass(1)\n" % (t, m))
EOF
TZ=Asia/Kolkata "$BIN" report --html "$WORK/days.html" "$WORK/days.log" >/dev/null
labels=$(grep -o '<svg id="actions-over-time".*</svg>' "$WORK/days.html" | grep -oE '<text x="[0-9.]+" y="[0-9.]+" class="small" text-anchor="middle">[0-9-]+ [0-9:]+</text>' |
  sed -E 's/<text x="([0-9.]+)".*>(.*)<\/text>/\1 \2/')
expect_eq "html, TZ=Asia/Kolkata, 40 hours: time labels on local :00, none past the right edge" \
  "$(awk '{ n++; if ($3 ~ /:00$/ && $1 + 3.6 * length($2 " " $3) <= 1000) good++ } END { print (n > 0 && good == n) ? "yes" : good + 0 "/" n + 0 }' <<<"$labels")" yes
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  skip_part "no chromium: the page is not rendered"
else
  chrome() {  # chrome ARGS... : headless, offline, a fresh profile each time
    local profile; profile=$(mktemp -d "$WORK/chrome.XXXXXX")
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
      --user-data-dir="$profile" "$@" 2>>"$WORK/chrome.err"
  }
  chrome --window-size=1100,1900 --screenshot="$WORK/report.png" "file://$WORK/report.html" >/dev/null
  expect_eq "chromium: screenshot is a PNG" "$(head -c 8 "$WORK/report.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a"
  size=$(stat -c %s "$WORK/report.png" 2>/dev/null || echo 0)
  expect_match "chromium: screenshot has content ($size bytes)" "$size" '^[0-9]{5,}$'
  chrome --dump-dom "file://$WORK/report.html" >"$WORK/dom.html"
  $PY - "$WORK/dom.html" >"$WORK/dom.out" <<'EOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.svg = None; s.bars = {}; s.texts = {}
    def handle_starttag(s, tag, attrs):
        a = dict(attrs)
        if tag == "svg": s.svg = a.get("id"); s.bars[s.svg] = 0; s.texts[s.svg] = 0
        elif tag == "rect" and s.svg and "bar" in (a.get("class") or ""): s.bars[s.svg] += 1
        elif tag == "text" and s.svg: s.texts[s.svg] += 1
    def handle_endtag(s, tag):
        if tag == "svg": s.svg = None
p = P(); p.feed(open(sys.argv[1]).read())
for k in sorted(p.bars): print(k, p.bars[k], p.texts[k])
EOF
  echo "     rendered DOM (svg id, bars, labels): $(tr '\n' ';' <"$WORK/dom.out")"
  for id in score-histogram actions-over-time probes-over-time; do
    expect_match "rendered DOM: $id has bars and labels" "$(grep "^$id " "$WORK/dom.out")" "^$id [1-9][0-9]* [1-9][0-9]*$"
  done
  expect_eq "rendered DOM: score histogram has a bar per action in each bin" \
    "$(awk '$1 == "score-histogram" { print $2 }' "$WORK/dom.out")" 5
  expect_match "rendered DOM: top offenders table with its first row" "$(tr -d '\n' <"$WORK/dom.html")" \
    '<table id="offenders"><tbody><tr><th>client</th>.*</tr><tr><td>198\.51\.100\.7</td><td>unknown</td><td><span class="n">18</span></td><td>-5</td></tr>'
  expect_match "rendered page: the time axes name their zone" "$(tr -d '\n' <"$WORK/dom.html")" 'time \(UTC\), one bar per 15 minutes'
  expect_eq "rendered DOM: whole-number grid labels (60 messages: 0 15 30 45 60)" \
    "$(tr -d '\n' <"$WORK/dom.html" | grep -o '<svg id="score-histogram".*</svg>' | grep -o 'text-anchor="end">[^<]*' | cut -d'>' -f2 | head -5 | tr '\n' ' ')" "0 15 30 45 60 "
fi
if [ -n "${LEGIT_REPORT_KEEP:-}" ]; then
  mkdir -p "$LEGIT_REPORT_KEEP" && cp "$WORK"/report.html "$WORK"/report.png "$LEGIT_REPORT_KEEP/" 2>/dev/null
fi
finish
