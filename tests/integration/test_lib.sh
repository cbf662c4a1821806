#!/bin/bash
# test_lib.sh — the helpers of tests/integration/lib.sh that other scripts
# trust to be right: free_port never hands out a port twice in one script
# (before, 200 picks had 1-4 repeats: a port chosen for smtp-sink and not yet
# bound could be chosen again for a milter), milter_bg starts the milter and
# says where, wait_line gives up at its deadline. (points_but: test_config_file.sh.)
# Usage: test_lib.sh /path/to/legit-milter. Prints "N passed, N failed".
BIN=${1:?usage: $0 legit-milter}
. "$(dirname "$0")/lib.sh"

ports=$(for _ in $(seq 1 200); do free_port; done)
expect_eq "free_port: 200 ports, all numbers" "$(grep -cxE '[0-9]+' <<<"$ports")" 200
expect_eq "free_port: no port handed out twice" "$(sort <<<"$ports" | uniq -d | tr '\n' ' ')" ""

start_dns "$SRC/tests/dns/milter.zone"
if milter_bg "$WORK/bg.err" --authserv-id mx.test.example; then
  ok "milter_bg: started (port $MILTER_PORT)"
else
  fail "milter_bg: started" "$(tail -3 "$WORK/bg.err")"
fi
expect_eq "milter_bg: MILTER_PID is the milter" "$(tr '\0' ' ' <"/proc/$MILTER_PID/cmdline" 2>/dev/null | grep -c "inet:$MILTER_PORT@127.0.0.1")" 1
expect_eq "milter_bg: it listens on MILTER_PORT" "$(port_open "$MILTER_PORT" && echo yes)" yes
milter_bg "$WORK/bad.err" --mode nonsense; rc=$?
expect_eq "milter_bg: false at once for a milter that exits (bad option)" "$rc" 1

t0=$(date +%s%N)
wait_line "$WORK/bg.err" 'no such line' 1 5; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "wait_line: false at its deadline (0.5 s: ${ms} ms)" "$rc:$((ms >= 400 && ms < 5000))" "1:1"
finish
