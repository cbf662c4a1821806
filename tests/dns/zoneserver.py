#!/usr/bin/python3
"""zoneserver.py -- a small authoritative DNS server for legit-milter's tests.

usage: zoneserver.py --port PORT [--addr 127.0.0.1] [--pidfile F] [--log F]
                     [--timeout NAME]... [--servfail NAME]... [--json FILE]...
                     [--ttl N] [--delay SEC] [--nxdomain-all] [ZONEFILE...]

* ZONEFILE: BIND-style zone files as python3-dnslib's RR.fromZone reads them
  ($ORIGIN, $TTL, @, relative names); each needs an SOA, whose owner is the
  zone apex. Comment directives inside a zone file:
      ; @timeout NAME    never answer any query for NAME (simulates a timeout)
      ; @servfail NAME   answer SERVFAIL for NAME
  NAME is relative to the current $ORIGIN unless it ends with a dot.
* --json FILE: names mapped to record lists in the shape of the "zonedata" of
  the RFC 7208 test suite, e.g. {"example.com": [{"TXT": "v=spf1 -all"},
  {"TXT": ["two", "strings"]}, {"SPF": "..."}, {"A": "1.2.3.4"},
  {"MX": [10, "mx.example.com"]}, {"PTR": "h.example.com"}, {"CNAME": "x."},
  {"AAAA": "::1"}, "TIMEOUT", "SERVFAIL", {"RCODE": 5}]}. JSON data acts as
  one zone at the root: every name not in it is NXDOMAIN.
* Answers are authoritative (AA); NXDOMAIN for names that do not exist under
  a served zone (and for names outside all served zones: this server is the
  whole DNS); NODATA (NOERROR + SOA) when the name exists with other types or
  is an empty non-terminal; "*" owners act as wildcards; CNAMEs are returned
  and chased inside the served data; never recurses.
* The root's NS (". NS") is answered (ns.zoneserver.test) unless the data
  has a root zone of its own: the milter's resolver health probe asks it.
* --delay SEC: every answer is sent SEC seconds late (a slow resolver).
  --nxdomain-all: every query is answered NXDOMAIN (a lying resolver).
* UDP and TCP. Prints "ready" on stdout once listening. A malformed query is
  answered FORMERR when it has a header, else dropped; the server keeps going.
Run with Debian's /usr/bin/python3 (needs python3-dnslib).
"""
import argparse, json, os, signal, socket, socketserver, struct, sys, threading, time
from dnslib import (AAAA, CNAME, MX, NS, PTR, QTYPE, RCODE, RR, SOA, TXT, A,
                    DNSHeader, DNSLabel, DNSRecord)

ROOT = ()


def key(label):
    """A name as a tuple of lower-cased label bytes (exact, no escaping)."""
    if not isinstance(label, DNSLabel):
        label = DNSLabel(label)
    return tuple(l.lower() for l in label.label)


def label(name):
    """A DNSLabel from raw text: dots separate labels, nothing is an escape."""
    return DNSLabel([l for l in to_bytes(name).rstrip(b".").split(b".")])


def to_bytes(s):
    s = str(s)
    try:
        return s.encode("latin-1")       # YAML "\x80"-style bytes stay bytes
    except UnicodeEncodeError:
        return s.encode("utf-8")


class Data:
    def __init__(self, ttl):
        self.ttl = ttl
        self.zones = {}      # apex key -> {"soa": RR, "names": {key: [RR]}}
        self.special = {}    # name key -> "timeout" | "servfail" | rcode int
        self.nxdomain_all = False
        self.delay = 0.0

    def add_zonefile(self, path):
        text = open(path, encoding="utf-8").read()
        rrs = RR.fromZone(text)
        soa = [r for r in rrs if r.rtype == QTYPE.SOA]
        if not soa:
            sys.exit("%s: no SOA record" % path)
        zone = self.zones.setdefault(key(soa[0].rname),
                                     {"soa": soa[0], "names": {}})
        for r in rrs:
            zone["names"].setdefault(key(r.rname), []).append(r)
        origin = ""
        for line in text.splitlines():
            words = line.split()
            if len(words) >= 2 and words[0].upper() == "$ORIGIN":
                origin = words[1]
            elif len(words) >= 3 and words[0] == ";" and words[1] in ("@timeout", "@servfail"):
                name = words[2] if words[2].endswith(".") else words[2] + "." + origin
                self.special[key(name)] = words[1][1:]

    def root_zone(self):
        soa = RR(".", QTYPE.SOA, ttl=self.ttl,
                 rdata=SOA("ns.zoneserver.test.", "hostmaster.zoneserver.test.",
                           (1, 3600, 600, 86400, self.ttl)))
        return self.zones.setdefault(ROOT, {"soa": soa, "names": {}})

    def add_json(self, path):
        zone = self.root_zone()
        for name, recs in json.load(open(path, encoding="utf-8")).items():
            k = key(label(name))
            zone["names"].setdefault(k, [])
            for rec in recs:
                if isinstance(rec, str):
                    self.special[k] = rec.lower()
                    continue
                for t, v in rec.items():
                    if t == "RCODE":
                        self.special[k] = int(v)
                    else:
                        zone["names"][k].append(self.json_rr(name, t, v))

    def json_rr(self, name, t, v):
        owner = label(name)
        if t in ("TXT", "SPF"):
            strings = v if isinstance(v, list) else [v]
            rdata = TXT([to_bytes(s) for s in strings])
        elif t == "MX":
            rdata = MX(label(v[1]) if v[1] else ".", int(v[0]))
        else:
            rdata = {"A": A, "AAAA": AAAA, "PTR": PTR, "CNAME": CNAME}[t](v)
        return RR(owner, getattr(QTYPE, t), ttl=self.ttl, rdata=rdata)

    def find_zone(self, k):
        for i in range(len(k) + 1):
            if k[i:] in self.zones:
                return self.zones[k[i:]]
        return None

    @staticmethod
    def lookup(zone, k):
        """Returns (records, exists) for name key k inside zone."""
        names = zone["names"]
        if k in names:
            return names[k], True
        if any(n[-len(k):] == k and len(n) > len(k) for n in names):
            return [], True                     # empty non-terminal
        for i in range(1, len(k)):
            wild = (b"*",) + k[i:]
            if wild in names:
                return names[wild], True
        return [], False


def resolve(data, request):
    """The reply to a parsed query, or None to stay silent."""
    reply = request.reply()
    reply.header.aa = 1
    reply.header.ra = request.header.rd
    qtype, name = request.q.qtype, request.q.qname
    if data.nxdomain_all:
        reply.header.rcode = RCODE.NXDOMAIN
        return reply
    if key(name) == ROOT and qtype == QTYPE.NS and ROOT not in data.zones:
        reply.add_answer(RR(".", QTYPE.NS, ttl=data.ttl, rdata=NS("ns.zoneserver.test.")))
        return reply
    for hop in range(10):                       # CNAME chain limit
        k = key(name)
        special = data.special.get(k)
        if special == "timeout":
            return None
        if special is not None:
            reply.header.rcode = RCODE.SERVFAIL if special == "servfail" else special
            return reply
        zone = data.find_zone(k)
        if zone is None:
            if hop == 0:
                reply.header.rcode = RCODE.NXDOMAIN
            break
        rrs, exists = data.lookup(zone, k)
        match = [r for r in rrs if r.rtype == qtype or qtype == QTYPE.ANY]
        cname = [r for r in rrs if r.rtype == QTYPE.CNAME]
        if match:
            for r in match:
                reply.add_answer(RR(name, r.rtype, r.rclass, r.ttl, r.rdata))
            break
        if cname and qtype != QTYPE.CNAME:
            r = cname[0]
            reply.add_answer(RR(name, r.rtype, r.rclass, r.ttl, r.rdata))
            name = r.rdata.label
            continue
        if not exists and hop == 0:
            reply.header.rcode = RCODE.NXDOMAIN
        reply.add_auth(zone["soa"])
        break
    return reply


def answer(data, wire, log):
    """Wire reply bytes for wire query bytes, or None."""
    try:
        request = DNSRecord.parse(wire)
        if request.header.qr or not request.questions:
            raise ValueError("not a query")
    except Exception as e:                      # hostile input: never die
        log("malformed query (%d bytes): %s" % (len(wire), e))
        if len(wire) < 12:
            return None
        qid = struct.unpack("!H", wire[:2])[0]
        return DNSRecord(DNSHeader(id=qid, qr=1, rcode=RCODE.FORMERR)).pack()
    reply = resolve(data, request)
    log("%s %s -> %s" % (request.q.qname, QTYPE.get(request.q.qtype),
                         "(silence)" if reply is None else RCODE.get(reply.header.rcode)))
    return None if reply is None else reply.pack()


def serve(args, data, log):
    class Udp(socketserver.BaseRequestHandler):
        def handle(self):
            out = answer(data, self.request[0], log)
            if out is not None and data.delay:
                time.sleep(data.delay)
            if out is not None:
                if len(out) > 512:              # truncate: client retries on TCP
                    out = DNSRecord.parse(out).truncate().pack()
                self.request[1].sendto(out, self.client_address)

    class Tcp(socketserver.BaseRequestHandler):
        def handle(self):
            f = self.request.makefile("rb")
            while True:
                head = f.read(2)
                if len(head) < 2:
                    return
                wire = f.read(struct.unpack("!H", head)[0])
                out = answer(data, wire, log)
                if out is not None and data.delay:
                    time.sleep(data.delay)
                if out is not None:
                    self.request.sendall(struct.pack("!H", len(out)) + out)

    family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    servers = []
    for base, handler in ((socketserver.ThreadingUDPServer, Udp),
                          (socketserver.ThreadingTCPServer, Tcp)):
        cls = type("S", (base,), {"address_family": family, "daemon_threads": True,
                                  "allow_reuse_address": True})
        s = cls((args.addr, args.port), handler)
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
    return servers


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--pidfile")
    ap.add_argument("--log", help="append one line per query to this file")
    ap.add_argument("--timeout", action="append", default=[], metavar="NAME")
    ap.add_argument("--servfail", action="append", default=[], metavar="NAME")
    ap.add_argument("--json", action="append", default=[], metavar="FILE")
    ap.add_argument("--ttl", type=int, default=300, help="TTL of --json records")
    ap.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    ap.add_argument("--nxdomain-all", action="store_true", help="answer NXDOMAIN to everything")
    ap.add_argument("zonefiles", nargs="*")
    args = ap.parse_args()
    data = Data(args.ttl)
    data.delay = args.delay
    data.nxdomain_all = args.nxdomain_all
    for path in args.zonefiles:
        data.add_zonefile(path)
    for path in args.json:
        data.add_json(path)
    for name in args.timeout:
        data.special[key(name)] = "timeout"
    for name in args.servfail:
        data.special[key(name)] = "servfail"
    logf = open(args.log, "a") if args.log else None
    lock = threading.Lock()

    def log(msg):
        if logf:
            with lock:
                logf.write(msg + "\n")
                logf.flush()

    servers = serve(args, data, log)
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", flush=True)
    while not stop.wait(1):
        pass
    for s in servers:
        s.shutdown()


if __name__ == "__main__":
    main()
