#!/usr/bin/python3
"""faultdns.py -- a DNS server that misbehaves on purpose, for the failure
behaviour test (tests/integration/test_failure_behaviour.sh).

usage: faultdns.py --port PORT MODE [--upstream PORT] [--delay S] [--seed N]

MODE (every query, UDP and TCP):
  servfail  answers SERVFAIL (the query's id and question echoed)
  garbage   answers bytes that are not a usable reply: with the query's id
            followed by random bytes, random lengths (0..600), sometimes a
            header claiming records the packet does not hold
  slow      forwards the query to 127.0.0.1:UPSTREAM (the zone server) and
            returns its answer DELAY seconds after the query arrived
Prints "ready" once listening; runs until killed.
"""
import argparse, random, socket, socketserver, struct, threading, time


def servfail(q):
    if len(q) < 12:
        return None
    flags = struct.unpack("!H", q[2:4])[0]
    head = struct.pack("!HHHHHH", struct.unpack("!H", q[:2])[0], 0x8000 | (flags & 0x0100) | 2,
                       struct.unpack("!H", q[4:6])[0], 0, 0, 0)
    return head + q[12:]


def garbage(q, rnd):
    if len(q) < 2:
        return None
    kind = rnd.randrange(4)
    body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(600)))
    if kind == 0:    # a reply header claiming many records, then noise
        return q[:2] + struct.pack("!HHHHH", 0x8180, 1, 50, 50, 50) + body
    if kind == 1:    # the question echoed, then a truncated record
        return q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + q[12:] + body[:7]
    if kind == 2:    # noise under the right id
        return q[:2] + body
    return body      # pure noise


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("mode", choices=["servfail", "garbage", "slow"])
    ap.add_argument("--upstream", type=int)
    ap.add_argument("--delay", type=float, default=1.2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    lock = threading.Lock()

    def reply(q):
        if a.mode == "servfail":
            return servfail(q)
        if a.mode == "garbage":
            with lock:
                return garbage(q, rnd)
        t0 = time.time()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        try:
            s.sendto(q, ("127.0.0.1", a.upstream))
            out = s.recv(65535)
        except OSError:
            return None
        finally:
            s.close()
        time.sleep(max(0.0, a.delay - (time.time() - t0)))
        return out

    class Udp(socketserver.BaseRequestHandler):
        def handle(self):
            out = reply(self.request[0])
            if out is not None:
                self.request[1].sendto(out, self.client_address)

    class Tcp(socketserver.StreamRequestHandler):
        def handle(self):
            while True:
                head = self.rfile.read(2)
                if len(head) < 2:
                    return
                out = reply(self.rfile.read(struct.unpack("!H", head)[0]))
                if out is not None:
                    self.request.sendall(struct.pack("!H", len(out)) + out)

    for base, h in ((socketserver.ThreadingUDPServer, Udp), (socketserver.ThreadingTCPServer, Tcp)):
        cls = type("S", (base,), {"daemon_threads": True, "allow_reuse_address": True})
        srv = cls(("127.0.0.1", a.port), h)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
