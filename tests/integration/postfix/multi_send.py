#!/usr/bin/python3
"""multi_send.py -- several messages over ONE SMTP connection, after XCLIENT
(swaks sends one message per connection).

usage: multi_send.py PORT CLIENT_ADDR CLIENT_NAME HELO FROM,TO,FILE...

EHLO, XCLIENT ADDR= NAME= REVERSE_NAME=, EHLO again (XCLIENT resets the
session), then for each FROM,TO,FILE: MAIL, RCPT, DATA with the file's
content, and one output line per message: "<code> <reply text>", e.g.
"250 2.0.0 Ok: queued as 4XyZ". QUIT at the end. Exit 1 if the connection
itself fails.
"""
import smtplib, sys


def main():
    port, addr, name, helo = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    s = smtplib.SMTP("127.0.0.1", port, timeout=30)
    s.ehlo(helo)
    code, text = s.docmd("XCLIENT", "ADDR=%s NAME=%s REVERSE_NAME=%s" % (addr, name, name))
    if code != 220:
        print("XCLIENT refused: %d %s" % (code, text.decode()))
        return 1
    s.ehlo_resp = None
    s.ehlo(helo)
    for spec in sys.argv[5:]:
        frm, to, path = spec.split(",", 2)
        with open(path, "rb") as f:
            data = f.read()
        s.mail(frm)
        s.rcpt(to)
        code, text = s.data(data)
        print("%d %s" % (code, text.decode()), flush=True)
    s.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
