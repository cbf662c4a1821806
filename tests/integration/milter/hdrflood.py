#!/usr/bin/python3
"""hdrflood.py PORT PID N KIND -- one session through the milter protocol
whose message carries N headers of KIND ("DKIM-Signature" or "X-Filler"),
streamed back to back as a fast MTA would (replies read by a second thread,
so neither side's buffers fill), then the body and end-of-message. Measures
the milter process PID: its resident set before and its peak after
(/proc/PID/status, the peak reset through /proc/PID/clear_refs when
allowed). Prints one line:
  flood N KIND: BYTES bytes, headers S s, eom S s, total S s, rss +K kB, reply X
"""
import os
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import milterproto as mc  # noqa: E402

NOHDRS, NR_HDR = 0x20, 0x80


def status(pid, key):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def main():
    port, pid, n, kind = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    m = mc.Milter(port)
    m.s.settimeout(120)
    _, _, steps, _ = m.negotiate()
    m.step(m.macros(b"C", **{"{client_addr}": "203.0.113.10", "{client_name}": "mail.flood.test"}),
           m.packet(b"C", mc.z("mail.flood.test") + b"4" + struct.pack("!H", 25) + mc.z("203.0.113.10")))
    m.envelope("QFLOOD")
    if kind == "DKIM-Signature":
        value = "v=1; a=rsa-sha256; d=flood.test; s=s%d; h=from:to:subject; bh=AAAA; b=AAAA"
    else:
        value = "filler value %d padding padding padding padding padding padding padding"
    pkts = [m.packet(b"L", mc.z("From", "alice@flood.test"))]
    pkts += [m.packet(b"L", mc.z(kind, value % i)) for i in range(n)]
    size = sum(len(p) for p in pkts)
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")  # reset the peak resident set
    except OSError:
        pass
    rss0 = status(pid, "VmRSS")
    replies = 0 if (steps & (NOHDRS | NR_HDR)) else len(pkts)
    got = []

    def reader():
        for _ in range(replies):
            got.append(m.read()[0])

    t0 = time.perf_counter()
    th = threading.Thread(target=reader)
    th.start()
    for i in range(0, len(pkts), 1000):
        m.send(*pkts[i:i + 1000])
    th.join()
    t1 = time.perf_counter()
    m.step(m.packet(b"N"))
    m.step(m.packet(b"B", b"Hello.\r\n"))
    if not replies:  # no-reply headers: the body's answer is the first sign they were all read
        t1 = time.perf_counter()
    cmd, _, _ = m.step(m.macros(b"E", i="QFLOOD"), m.packet(b"E"))
    t2 = time.perf_counter()
    peak = max(status(pid, "VmHWM"), status(pid, "VmRSS"))
    print("flood %d %s: %d bytes, headers %.2f s, eom %.2f s, total %.2f s, rss +%d kB, reply %s"
          % (n, kind, size, t1 - t0, t2 - t1, t2 - t0, peak - rss0, cmd.decode()), flush=True)
    m.quit()


if __name__ == "__main__":
    main()
