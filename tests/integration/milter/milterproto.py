#!/usr/bin/python3
"""milterproto.py -- the MTA side of the milter protocol (v6) that the test
clients share (milterclient.py, dnsclient.py, lifecycle_client.py,
hdrflood.py): the Milter class (negotiate, macros, one step at a time, the
replies and modification requests of each step), the SMFIF_/SMFIP_ bits,
z() for NUL-terminated strings, parse_mod() for a modification request, and
out() for the "ok - NAME" / "FAIL - NAME: WHY" lines.

A reply the milter never sends ends in socket.timeout (10 s); a connection it
closes in EOFError. Nothing here asserts: the callers do.
"""
import socket
import struct

# Actions (SMFIF_*) and protocol steps (SMFIP_*) from libmilter/mfapi.h, mfdef.h.
ADDHDRS, CHGHDRS, QUARANTINE, SETSYMLIST = 0x01, 0x10, 0x20, 0x100
ALL_ACTIONS = 0x1FF
ALL_STEPS = 0x1FFFFF          # every NO*/NR*/SKIP/RCPT_REJ/HDR_LEADSPC bit up to 0x100000
NODATA = 0x200
SKIP = 0x400
# per command: the SMFIP_NR_* bit that makes it a no-reply step (mfdef.h)
NR_BITS = {b"C": 0x1000, b"H": 0x2000, b"M": 0x4000, b"R": 0x8000, b"T": 0x10000,
           b"U": 0x20000, b"N": 0x40000, b"B": 0x80000, b"L": 0x80}
NR_ALL = sum(NR_BITS.values())
FINAL = b"aclrtyds"           # accept continue ... reject tempfail replycode discard skip
STAGES = {0: "connect", 1: "helo", 2: "envfrom", 3: "envrcpt", 4: "data", 5: "eom", 6: "eoh"}


def out(name, cond, why=""):
    print(("ok - %s" % name) if cond else ("FAIL - %s: %s" % (name, why)), flush=True)


def z(*parts):
    return b"".join(p.encode() + b"\0" for p in parts)


class Milter:
    def __init__(self, port, offer=ALL_STEPS):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.offer = offer  # the protocol steps/flags this "MTA" offers
        self.steps = 0      # what the milter chose

    def packet(self, cmd, data=b""):
        return struct.pack("!I", len(data) + 1) + cmd + data

    def send(self, *packets):  # one write per step: no Nagle stall on our side
        self.s.sendall(b"".join(packets))

    def read(self):
        while len(self.buf) < 4 or len(self.buf) < 4 + struct.unpack("!I", self.buf[:4])[0]:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("milter closed the connection")
            self.buf += chunk
        n = struct.unpack("!I", self.buf[:4])[0]
        pkt, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
        return pkt[:1], pkt[1:]

    def step(self, *packets):
        """Sends one step; returns (final reply, data, [modification requests]).
        A step the milter negotiated as no-reply returns (b"", b"", []) at once."""
        data = b"".join(packets)
        self.send(data)
        pos, last = 0, b""
        while pos + 5 <= len(data):  # the step is the last packet's command
            last = data[pos + 4:pos + 5]
            pos += 4 + struct.unpack("!I", data[pos:pos + 4])[0]
        if self.steps & NR_BITS.get(last, 0):
            return b"", b"", []
        mods = []
        while True:
            cmd, data = self.read()
            if cmd == b"p":
                continue
            if cmd in [bytes([c]) for c in FINAL]:
                return cmd, data, mods
            mods.append((cmd, data))

    def negotiate(self):
        self.send(self.packet(b"O", struct.pack("!III", 6, ALL_ACTIONS, self.offer)))
        cmd, data = self.read()
        assert cmd == b"O", cmd
        version, actions, steps = struct.unpack("!III", data[:12])
        self.steps = steps
        symlists, rest = {}, data[12:]
        while len(rest) >= 4:
            stage = struct.unpack("!I", rest[:4])[0]
            names, _, rest = rest[4:].partition(b"\0")
            symlists[STAGES.get(stage, stage)] = names.decode().split()
        return version, actions, steps, symlists

    def macros(self, stage, **m):
        return self.packet(b"D", stage + z(*[x for kv in m.items() for x in kv]))

    def connect(self, ip, name):
        self.negotiate()
        return self.step(self.macros(b"C", **{"{client_addr}": ip, "{client_name}": name}),
                         self.packet(b"C", z(name) + b"4" + struct.pack("!H", 25) + z(ip)))

    def envelope(self, qid, helo="mail.milter.test"):
        self.step(self.packet(b"H", z(helo)))
        self.step(self.macros(b"M", i=qid), self.packet(b"M", z("<sender@milter.test>")))
        self.step(self.packet(b"R", z("<rcpt@example.net>")))
        return self.step(self.macros(b"T", i=qid), self.packet(b"T"))

    def content(self, qid, headers):
        for name, value in headers:
            self.step(self.packet(b"L", z(name, value)))
        self.step(self.packet(b"N"))
        self.step(self.packet(b"B", b"Hello.\r\n"))
        return self.step(self.macros(b"E", i=qid), self.packet(b"E"))

    def quit(self):
        """Sends QUIT; returns whatever the milter sent before closing."""
        self.send(self.packet(b"Q"))
        got = self.buf
        while True:
            chunk = self.s.recv(65536)
            if not chunk:
                return got
            got += chunk


def parse_mod(cmd, data):
    if cmd in (b"m", b"i"):
        idx = struct.unpack("!I", data[:4])[0]
        name, value = data[4:].split(b"\0")[:2]
        return cmd.decode(), idx, name.decode(), value.decode()
    if cmd == b"h":
        name, value = data.split(b"\0")[:2]
        return "h", None, name.decode(), value.decode()
    return cmd.decode(), None, data.rstrip(b"\0").decode(), ""
