#!/usr/bin/python3
"""milterbench.py -- milter-protocol load for bench/run.sh: N messages
against a milter on 127.0.0.1:PORT, either all over one milter connection
("one") or each over a fresh connection with its own negotiation ("fresh").
Reuses the protocol client of tests/integration/milter/milterclient.py.

usage: milterbench.py PORT N one|fresh [CLIENT_IP HELO SENDER]
Prints one JSON line: {"mode", "n", "seconds", "msgs_per_s", "p50_ms",
"p95_ms", "actions": {reply: count}}; latency = one whole message (for
"fresh" including connect + negotiation + close). Exit 1 if a message
fails (protocol error, timeout): the message says why.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration", "milter"))
from milterclient import Milter, z  # noqa: E402

BODY = b"".join(b"line %03d of the benchmark body, 64 bytes long ......xxxxxxxxxx\r\n" % i
                for i in range(32))  # 2 KB, like smtp-source -l 2048


def message(m, k, helo, sender, first):
    qid = "QB%06d" % k
    if first:
        m.step(m.packet(b"H", z(helo)))
    m.step(m.macros(b"M", i=qid), m.packet(b"M", z("<%s>" % sender)))
    m.step(m.packet(b"R", z("<rcpt@example.net>")))
    m.step(m.macros(b"T", i=qid), m.packet(b"T"))
    for name, value in [("From", "<%s>" % sender), ("To", "<rcpt@example.net>"),
                        ("Subject", "bench %d" % k), ("Message-ID", "<%s@bench.test>" % qid)]:
        m.step(m.packet(b"L", z(name, value)))
    m.step(m.packet(b"N"))
    m.step(m.packet(b"B", BODY))
    cmd, _, _ = m.step(m.macros(b"E", i=qid), m.packet(b"E"))
    return cmd.decode()


def run(port, n, mode, ip, helo, sender):
    lat, actions = [], {}
    m = None
    t_start = time.perf_counter()
    for k in range(n):
        t0 = time.perf_counter()
        first = m is None or mode == "fresh"
        if first:
            m = Milter(port)
            m.connect(ip, helo)
        a = message(m, k, helo, sender, first)
        if mode == "fresh":
            m.send(m.packet(b"Q"))
            m.s.close()
        lat.append((time.perf_counter() - t0) * 1000)
        actions[a] = actions.get(a, 0) + 1
    secs = time.perf_counter() - t_start
    lat.sort()
    return {"mode": mode, "n": n, "seconds": round(secs, 3), "msgs_per_s": round(n / secs, 1),
            "p50_ms": round(lat[n // 2], 3), "p95_ms": round(lat[max(0, int(n * 0.95) - 1)], 3),
            "actions": actions}


if __name__ == "__main__":
    port, n, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    ip, helo, sender = (sys.argv[4:7] if len(sys.argv) >= 7
                        else ("127.0.0.1", "mail.bench.test", "sender@bench.test"))
    try:
        print(json.dumps(run(port, n, mode, ip, helo, sender)), flush=True)
    except Exception as e:  # the milter broke or timed out
        print("milterbench: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
