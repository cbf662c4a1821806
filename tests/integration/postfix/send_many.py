#!/usr/bin/python3
"""send_many.py -- N messages, one SMTP connection each (as N different MTAs
would send them), through a Postfix listener, after XCLIENT; for the failure
behaviour test.

usage: send_many.py [-j K] [-i SECONDS] PORT TAG N [CLIENT_ADDR CLIENT_NAME HELO FROM]

-j K: K connections at a time (default 1: one after the other).
-i SECONDS: each connection starts at least SECONDS after the previous one
   of its worker started (default 0), so a fault can hit mid-stream.

Message i carries "Message-ID: <TAG.i@fail.test>". One line per message on
stdout, flushed as it completes: "i code seconds reply-text", code 0 when
the connection itself failed (refused, reset, timeout).
"""
import smtplib, sys, threading, time

LOCK = threading.Lock()


def main():
    args = sys.argv[1:]
    jobs, interval = 1, 0.0
    while args and args[0] in ("-j", "-i"):
        if args[0] == "-j":
            jobs = int(args[1])
        else:
            interval = float(args[1])
        args = args[2:]
    port, tag, n = int(args[0]), args[1], int(args[2])
    addr, name, helo, frm = (args[3:7] + ["198.18.0.10", "mail.e2e.test", "mail.e2e.test",
                                          "sender@e2e.test"][len(args[3:7]):])
    todo = list(range(n))

    def worker():
        while True:
            with LOCK:
                if not todo:
                    return
                i = todo.pop(0)
            t0 = time.time()
            send(port, tag, i, addr, name, helo, frm)
            time.sleep(max(0.0, interval - (time.time() - t0)))

    threads = [threading.Thread(target=worker) for _ in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def send(port, tag, i, addr, name, helo, frm):
    msg = ("From: <%s>\r\nTo: <rcpt@example.net>\r\nSubject: %s %d\r\n"
           "Message-ID: <%s.%d@fail.test>\r\n\r\nHello %d.\r\n" % (frm, tag, i, tag, i, i))
    t0 = time.time()
    code, text = 0, ""
    try:
        s = smtplib.SMTP("127.0.0.1", port, timeout=60)
        s.ehlo(helo)
        c, t = s.docmd("XCLIENT", "ADDR=%s NAME=%s REVERSE_NAME=%s" % (addr, name, name))
        if c != 220:
            raise smtplib.SMTPException("XCLIENT %d" % c)
        s.ehlo_resp = None
        s.ehlo(helo)
        for c, t in (s.mail(frm), s.rcpt("rcpt@example.net")):
            if c != 250:  # smtplib returns these refusals instead of raising
                raise smtplib.SMTPResponseException(c, t)
        code, t = s.data(msg.encode())
        text = t.decode(errors="replace")
        s.quit()
    except smtplib.SMTPRecipientsRefused as e:
        code, t = list(e.recipients.values())[0]
        text = t.decode(errors="replace")
    except smtplib.SMTPResponseException as e:
        code, text = e.smtp_code, e.smtp_error.decode(errors="replace")
    except (OSError, smtplib.SMTPException) as e:
        code, text = code or 0, str(e)
    with LOCK:
        print("%d %d %.3f %s" % (i, code, time.time() - t0, " ".join(text.split())), flush=True)


if __name__ == "__main__":
    main()
