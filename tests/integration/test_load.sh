#!/usr/bin/env bash
# test_load.sh — legit-milter under concurrent load from bench/miltergen (the
# C++ milter-protocol load generator, built next to the binary): 50
# connections, 2 messages each, the bench corpus in turn (unsigned 2 KB and
# 100 KB, DKIM rsa-2048 and ed25519). Every reply must be valid (miltergen
# exits 0), every message scored once and accepted, the signed ones with
# dkim=pass, and the null filter answers the same load (the generator
# itself is sound). A bounded smoke run of bench/loadgen.sh's workload.
# usage: test_load.sh PATH/TO/legit-milter
BIN=$1
. "$(dirname "$0")/lib.sh"
BUILD=$(dirname "$(realpath "$BIN")")
GEN=$BUILD/bench/miltergen NULLF=$BUILD/bench/nullfilter
[ -x "$GEN" ] && [ -x "$NULLF" ] || skip "bench tools not built ($GEN)"
$PY -c 'import dkim' 2>/dev/null || skip "python3-dkim is not installed"
$PY "$SRC/bench/make_corpus.py" "$SRC" "$WORK" >/dev/null || { fail "make_corpus.py" "failed"; finish; }
start_dns "$WORK/bench.zone" "$SRC/tests/dns/bench-reverse198.zone"
CORPUS=("$WORK/plain-2k.eml" "$WORK/plain-100k.eml" "$WORK/rsa-2k.eml" "$WORK/ed25519-2k.eml")
CLIENT=(-i 198.18.255.10 -N mail.bench.test -h mail.bench.test -f sender@bench.test -r user@example.net)

NPORT=$(free_port) LPORT=$(free_port)
"$NULLF" "inet:$NPORT@127.0.0.1" >"$WORK/null.log" 2>&1 & PIDS+=($!)
"$BIN" --socket "inet:$LPORT@127.0.0.1" --log stderr --dns-server "127.0.0.1@$DNS_PORT" \
  --trusted-networks 192.0.2.254/32 --hostname mx.bench.test >"$WORK/legit.log" 2>&1 & PIDS+=($!)
wait_listen "$NPORT" && wait_listen "$LPORT" || { fail "filters start" "$(tail -3 "$WORK/legit.log")"; finish; }

out=$("$GEN" -p "$NPORT" "${CLIENT[@]}" -c 50 -m 2 -n 400 "${CORPUS[@]}" 2>&1)
expect_eq "null filter: 400 messages, none failed" "$?:$(head -1 <<<"$out" | grep -o '^[0-9]* messages.* [0-9]* failed' | sed 's/ in .*msg\/s,//')" "0:400 messages 0 failed"
out=$("$GEN" -p "$LPORT" "${CLIENT[@]}" -c 50 -m 2 -n 400 "${CORPUS[@]}" 2>&1)
expect_eq "legit-milter: 400 messages, none failed" "$?:$(head -1 <<<"$out" | grep -o '^[0-9]* messages.* [0-9]* failed' | sed 's/ in .*msg\/s,//')" "0:400 messages 0 failed"
wait_line "$WORK/legit.log" ' score=' 400
expect_eq "one log line per message" "$(grep -c ' score=' "$WORK/legit.log")" 400
expect_eq "every message accepted" "$(grep ' score=' "$WORK/legit.log" | grep -vc ' action=accept ')" 0
expect_eq "signed messages: dkim=pass (half the corpus)" "$(grep -c '[=,]dkim:pass(' "$WORK/legit.log")" 200
expect_eq "no errors or sanitizer reports" "$(grep -cE '; on-error=|runtime error|Sanitizer' "$WORK/legit.log")" 0
finish
