#!/usr/bin/env python3
"""bench/idleconns.py — hold N idle milter connections open, as an MTA that
negotiated (protocol 6, everything offered, as Postfix) and sent the connect
step of an SMTP client that then says nothing. Prints "open N" once every
connection is in place, then waits for stdin to close (or SIGTERM) and
closes them. Used by bench/run.sh for the RSS per open idle connection.
usage: idleconns.py PORT N [CLIENT_IP CLIENT_NAME]"""
import resource
import socket
import struct
import sys


def packet(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def read_packet(s):
    head = b""
    while len(head) < 4:
        chunk = s.recv(4 - len(head))
        if not chunk:
            raise OSError("closed")
        head += chunk
    (n,) = struct.unpack(">I", head)
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            raise OSError("closed")
        body += chunk
    return body[:1], body[1:]


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    ip = sys.argv[3] if len(sys.argv) > 3 else "198.18.255.10"
    name = sys.argv[4] if len(sys.argv) > 4 else "mail.bench.test"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    z = lambda *parts: b"".join(p.encode() + b"\0" for p in parts)
    conns = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(packet(b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF)))
        cmd, data = read_packet(s)
        if cmd != b"O" or len(data) < 12:
            raise SystemExit("bad negotiate reply")
        steps = struct.unpack(">III", data[:12])[2]
        s.sendall(packet(b"D", b"C" + z("j", "mx.bench.test", "{client_addr}", ip, "{client_name}", name,
                                         "{client_ptr}", name, "_", f"{name} [{ip}]"))
                  + packet(b"C", z(name) + b"4" + struct.pack(">H", 25) + z(ip)))
        if not steps & 0x1000:  # SMFIP_NR_CONN not asked: the step is answered
            read_packet(s)
        conns.append(s)
    print(f"open {len(conns)}", flush=True)
    sys.stdin.read()
    for s in conns:
        s.close()


if __name__ == "__main__":
    main()
