#!/usr/bin/python3
"""milter_spy.py -- a transparent TCP proxy between Postfix and a milter that
logs what crosses it, to show which macros a real Postfix sends.

usage: milter_spy.py LISTEN_PORT MILTER_PORT LOGFILE

Every connection from Postfix is forwarded byte for byte to 127.0.0.1:
MILTER_PORT. The milter protocol (4-byte length, command byte, data) is
decoded on the side and one JSON line per interesting packet goes to LOGFILE:
  {"conn": N, "from": "mta", "cmd": "D", "stage": "C", "macros": {...}}
  {"conn": N, "from": "mta", "cmd": "C"|"M"|..., }
  {"conn": N, "from": "milter", "cmd": "O", "symlists": {"0": "..."}, "steps": N, ...}
  {"conn": N, "from": "mta", "cmd": "O", "version": 6, "actions": N, "steps": N}
A packet that cannot be decoded is logged as {"error": ...}; the bytes are
forwarded anyway. Prints "ready" on stdout once listening.
"""
import json, socket, struct, sys, threading

LISTEN, TARGET, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
logf = open(LOG, "a", buffering=1)


def log(**kw):
    with lock:
        logf.write(json.dumps(kw, sort_keys=True) + "\n")


def decode(conn, side, cmd, data):
    if side == "mta" and cmd == "D" and data:
        parts = data[1:].split(b"\0")
        names, values = parts[0:-1:2], parts[1::2]
        macros = {n.decode("latin-1"): v.decode("latin-1") for n, v in zip(names, values)}
        log(conn=conn, side=side, cmd=cmd, stage=chr(data[0]), macros=macros)
    elif cmd == "O" and side == "mta":
        version, actions, steps = struct.unpack("!III", data[:12])
        log(conn=conn, side=side, cmd=cmd, version=version, actions=actions, steps=steps)
    elif side == "milter" and cmd == "O":
        version, actions, steps = struct.unpack("!III", data[:12])
        rest, lists = data[12:], {}
        while len(rest) >= 4:
            stage = struct.unpack("!I", rest[:4])[0]
            names, _, rest = rest[4:].partition(b"\0")
            lists[str(stage)] = names.decode("latin-1")
        log(conn=conn, side=side, cmd=cmd, symlists=lists, version=version, actions=actions,
            steps=steps)
    else:
        log(conn=conn, side=side, cmd=cmd)


def pump(conn, side, src, dst):
    buf = b""
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            dst.sendall(chunk)
            buf += chunk
            while len(buf) >= 4 and len(buf) >= 4 + struct.unpack("!I", buf[:4])[0]:
                n = struct.unpack("!I", buf[:4])[0]
                pkt, buf = buf[4:4 + n], buf[4 + n:]
                if pkt:
                    try:
                        decode(conn, side, chr(pkt[0]), pkt[1:])
                    except Exception as e:  # keep forwarding whatever happens
                        log(conn=conn, side=side, error=repr(e))
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(conn, client):
    try:
        milter = socket.create_connection(("127.0.0.1", TARGET), 10)
    except OSError as e:
        log(conn=conn, error="cannot reach the milter: %r" % e)
        client.close()
        return
    for s in (client, milter):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(None)
    threading.Thread(target=pump, args=(conn, "milter", milter, client), daemon=True).start()
    pump(conn, "mta", client, milter)


def main():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", LISTEN))
    srv.listen(16)
    print("ready", flush=True)
    n = 0
    while True:
        client, _ = srv.accept()
        n += 1
        threading.Thread(target=serve, args=(n, client), daemon=True).start()


if __name__ == "__main__":
    main()
