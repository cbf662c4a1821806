#!/usr/bin/env bash
# test_corpus.sh — the labelled corpus (tests/corpus/sessions.yaml: legitimate
# senders and bad ones modelled on real traffic) through `legit-milter check
# --json` with the DEFAULT points (tests/corpus/run_corpus.py): fails on any
# legitimate sender not accepted, on fewer than 85 % of the bad ones
# quarantined or rejected, and on a score separation (AUC) under 0.95
# (over all bad sessions, and over those not marked content_only; see
# run_corpus.py).
# usage: test_corpus.sh PATH/TO/legit-milter
BIN=${1:?usage: $0 legit-milter}
SRC=${LEGIT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export LEGIT_MEMORY_DEFAULT=none LEGIT_MILTER_CONF=
exec /usr/bin/python3 "$SRC/tests/corpus/run_corpus.py" "$BIN"
