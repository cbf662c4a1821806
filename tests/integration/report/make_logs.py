#!/usr/bin/python3
"""make_logs.py -- writes a day's worth of legit-milter log lines for
test_report.sh, with known totals: OUTDIR/mail.log.1.gz (hours 0-2, syslog
prefix, the first hour in the older log format), OUTDIR/mail.log (hours 3-5,
syslog prefix, Postfix lines between ours) and OUTDIR/journal.txt (hour 5
again as `journalctl -o cat` prints it: no prefix). Prints T0 (the epoch of
hour 0, UTC) on stdout.

usage: make_logs.py OUTDIR
Per hour: 20 accepted messages, 3 quarantined from 198.51.100.7 (HELO User,
spam@bad.example), 2 rejected from 203.0.113.9 (HELO 37.215.63.185,
x@nx.example, eom-ms=250), 1 trusted, 1 authenticated; at hour 2 one more
message from 203.0.113.99 logged in dry-run (would reject); probes: 192.0.2.50
EHLO-QUIT every 5 minutes, 192.0.2.60 a burst of ten "." connections in one
minute at hours 1, 3 and 5, 192.0.2.70 no-helo at hours 0, 2, 4 and 5.
"""
import gzip, os, sys, time

out = sys.argv[1]
T0 = (int(time.time()) - 2 * 86400) // 3600 * 3600
lines = {h: [] for h in range(6)}


def syslog(t, text):
    return time.strftime("%b %e %H:%M:%S", time.gmtime(t)) + " mx legit-milter[4242]: " + text


def msg(h, t, qid, client, ip, helo, frm, score, action, checks, eom, dns, old):
    if old:
        tail = " ".join("%s=%s(%s)" % c for c in checks)
        text = "%s: client=%s[%s] helo=<%s> from=<%s> score=%s action=%s %s" % (qid, client, ip, helo, frm, score, action, tail)
    else:
        tail = ",".join("%s:%s(%s)" % c for c in checks)
        text = "%s: client=%s[%s] helo=<%s> from=<%s> score=%s action=%s checks=%s eom-ms=%s dns-lookups=%d" % (
            qid, client, ip, helo, frm, score, action, tail, eom, dns)
    lines[h].append((t, text))


n = 0
for h in range(6):
    base = T0 + h * 3600
    old = h == 0
    for i in range(20):
        n += 1
        t = base + 60 + i * 170
        msg(h, t, "A%05X" % n, "mail%d.good.example" % (i % 7), "198.18.%d.%d" % (h, i + 1), "mail%d.good.example" % (i % 7),
            "news@good%d.example" % (i % 5), 7.5 if i % 2 else 3, "accept",
            [("iprev", "pass", 1), ("ptr", "good", 0.5), ("helo", "matches-ptr", 1), ("spf", "pass", 2)], "%.1f" % (0.5 + i / 10), 8, old)
    for i in range(3):
        n += 1
        msg(h, base + 900 + i * 600, "Q%05X" % n, "unknown", "198.51.100.7", "User", "spam@bad.example", -5, "quarantine",
            [("iprev", "fail", -2), ("ptr", "none", -1), ("helo", "not-fqdn", -2)], "3.0", 6, old)
    for i in range(2):
        n += 1
        msg(h, base + 1800 + i * 900, "R%05X" % n, "unknown", "203.0.113.9", "37.215.63.185", "x@nx.example", -9.5, "reject",
            [("ptr", "none", -1), ("helo", "bare-ip", -2.5), ("sender-domain", "nxdomain", -7), ("spf", "none", 0)],
            "250.0", 14, old)
    if h == 2:  # one message scored in dry-run (would have been rejected)
        lines[h].append((base + 2000, "D00001: client=unknown[203.0.113.99] helo=<x> from=<> score=-9 action=accept "
                         "dry-run=reject checks=helo:not-fqdn(-2),ptr:none(-1) eom-ms=4.0 dns-lookups=5"))
    t = base + 3000
    if old:
        lines[h].append((t, "T%05X: client=localhost[127.0.0.1] helo=<printer> from=<scan@lan> trusted-network, not scored" % h))
        lines[h].append((t + 1, "U%05X: client=laptop[192.0.2.200] helo=<laptop> from=<joe@ours.example> authenticated=joe, not scored" % h))
    else:
        lines[h].append((t, "T%05X: client=localhost[127.0.0.1] helo=<printer> from=<scan@lan> action=accept reason=trusted" % h))
        lines[h].append((t + 1, "U%05X: client=laptop[192.0.2.200] helo=<laptop> from=<joe@ours.example> action=accept reason=authenticated auth=<joe>" % h))
    for m in range(0, 60, 5):
        lines[h].append((base + m * 60 + 7, "NOQUEUE: client=unknown[192.0.2.50] helo=<User> probe: ehlo-quit iprev=fail ptr=none"))
    if h in (1, 3, 5):
        for k in range(10):
            lines[h].append((base + 2400 + k * 5, 'NOQUEUE: client=unknown[192.0.2.60] helo=<> probe: unknown-command "." iprev=fail ptr=none'))
    if h in (0, 2, 4, 5):
        lines[h].append((base + 3300, "NOQUEUE: client=unknown[192.0.2.70] helo=<> probe: no-helo iprev=fail ptr=none"))

with gzip.open(os.path.join(out, "mail.log.1.gz"), "wt") as f:
    for h in range(3):
        for t, text in sorted(lines[h]):
            f.write(syslog(t, text) + "\n")
with open(os.path.join(out, "mail.log"), "w") as f:
    for h in range(3, 6):
        for t, text in sorted(lines[h]):
            f.write(syslog(t - 1, "postfix/smtpd[99]: connect from unknown[192.0.2.1]").replace("legit-milter[4242]: ", "") + "\n")
            f.write(syslog(t, text) + "\n")
with open(os.path.join(out, "journal.txt"), "w") as f:
    for t, text in sorted(lines[5]):
        f.write(text + "\n")
print(T0)
