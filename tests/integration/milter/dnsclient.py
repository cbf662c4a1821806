#!/usr/bin/python3
"""dnsclient.py -- one milter session per call for test_dns_health.sh, on top
of milterproto.py's Milter: connect from IP (client name NAME), HELO,
MAIL FROM, one RCPT, a From header, end of message. Prints one line:
"<final reply letter> <elapsed seconds> <X-Legit-Score value or the reply text>".

usage: dnsclient.py PORT IP NAME QUEUE-ID [COUNT]
  COUNT sessions in a row (queue ids QUEUE-ID-1 ...), one line each.
"""
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from milterproto import Milter, parse_mod  # noqa: E402


def session(port, ip, name, qid):
    t0 = time.time()
    m = Milter(port)
    m.s.settimeout(120)
    m.connect(ip, name)
    m.envelope(qid)
    cmd, data, mods = m.content(qid, [("From", "sender@milter.test")])
    score = [v for c, i, n, v in (parse_mod(c, d) for c, d in mods) if n == "X-Legit-Score"]
    text = score[0] if score else data.rstrip(b"\0").decode(errors="replace")
    text = " ".join(text.split())  # unfolded: one line per session
    return "%s %.2f %s" % (cmd.decode(), time.time() - t0, text)


def main():
    port, ip, name, qid = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    count = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    for i in range(count):
        print(session(port, ip, name, "%s%d" % (qid, i + 1)), flush=True)


if __name__ == "__main__":
    main()
