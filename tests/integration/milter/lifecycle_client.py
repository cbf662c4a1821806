#!/usr/bin/python3
"""lifecycle_client.py -- milter-protocol sessions for test_lifecycle.sh
(reload, drain on SIGTERM), built on milterproto.py's Milter class.

usage:
  lifecycle_client.py score PORT QID
      one whole message from 203.0.113.10 (FCrDNS): prints
      "<final reply letter> <X-Legit-Score value or ->"
  lifecycle_client.py hold PORT QID READY GO
      connect, HELO, MAIL, RCPT, DATA; creates file READY; waits (up to 30 s)
      for file GO; then headers, body, end-of-message: prints like score
  lifecycle_client.py connect PORT
      negotiate and connect only: prints the reply letter to the connect step
Errors print "error <why>" and exit 1.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from milterproto import Milter  # noqa: E402


def message(m, qid, ready=None, go=None):
    m.connect("203.0.113.10", "mail.milter.test")
    m.envelope(qid)
    if ready:
        open(ready, "w").close()
        deadline = time.time() + 30
        while not os.path.exists(go) and time.time() < deadline:
            time.sleep(0.01)
    cmd, _, mods = m.content(qid, [("From", "sender@milter.test"), ("Subject", qid)])
    # added (h: name, value) or inserted (i: index, name, value)
    fields = [(d if c == b"h" else d[4:]).split(b"\0") for c, d in mods if c in (b"h", b"i")]
    score = [f[1].decode() for f in fields if f[0] == b"X-Legit-Score"]
    return "%s %s" % (cmd.decode(), score[0] if score else "-")


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    try:
        m = Milter(port)
        if mode == "score":
            print(message(m, sys.argv[3]))
        elif mode == "hold":
            print(message(m, sys.argv[3], sys.argv[4], sys.argv[5]))
        elif mode == "connect":
            cmd, _, _ = m.connect("203.0.113.10", "mail.milter.test")
            print(cmd.decode())
        else:
            print("error unknown mode %s" % mode)
            return 1
    except Exception as e:  # noqa: BLE001 -- the test wants one line, whatever broke
        print("error %s: %s" % (type(e).__name__, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
