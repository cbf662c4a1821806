#!/usr/bin/python3
"""make_seeds.py — (re)writes the seed corpus tests/fuzz/corpus/<target>/ from
the project's own test data (SPF conformance records, zone files, messages,
the config file) plus a few hand-written hostile cases. Run from the repo
root: /usr/bin/python3 tests/fuzz/make_seeds.py. Idempotent: files are named
after a hash of their content. libFuzzer adds what it finds to its own
working corpus (run.sh), never here: copy worthwhile finds by hand."""
import glob, hashlib, os, re, struct
import yaml
import dnslib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")


def put(target, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def txt_records():
    path = "/work/shared/conformance/spf/rfc7208-tests.yml"
    alt = os.path.join(ROOT, "tests", "integration", "rfc7208-tests.yml")
    recs = set()
    for p in (path, alt):
        if not os.path.exists(p):
            continue
        for doc in yaml.safe_load_all(open(p)):
            for name, rrs in (doc or {}).get("zonedata", {}).items():
                for rr in rrs or []:
                    if isinstance(rr, dict):
                        for k in ("SPF", "TXT"):
                            v = rr.get(k)
                            if isinstance(v, list):
                                v = "".join(v)
                            if isinstance(v, str):
                                recs.add(v)
    for z in glob.glob(os.path.join(ROOT, "tests", "dns", "*.zone")):
        for line in open(z, errors="replace"):
            m = re.search(r'TXT\s+((?:"[^"]*"\s*)+)', line)
            if m:
                recs.add("".join(re.findall(r'"([^"]*)"', m.group(1))))
    return sorted(recs)


def spf():
    for r in txt_records():
        if r.lower().startswith("v=spf1"):
            put("spf_record", r)
            put("spf_record", r + "\x01")  # the IPv6 client variant
    for r in ["v=spf1 ip4:0.0.0.0/0 ip6:::/0 -all", "v=spf1 redirect=a.example exp=%{l}.x -all",
              "v=spf1 a/24//64 mx:%{d1r}.x/0 ptr include:%{ir}.%{v}._spf.%{d2} ~all",
              "v=spf1 " + " ".join("ip4:10.0.%d.0/24" % i for i in range(70)) + " -all",
              "v=spf1 exists:%{l1r+-}.%{o}.%{h}.%{c}.%{r}.%{t}.%{p}.%{%}%_%- -all"]:
        put("spf_record", r)


def spf_eval():
    rows = [("v=spf1 include:other.fuzz -all", "user", "mail.helo.fuzz", "v=spf1 ip4:192.0.2.1 -all"),
            ("v=spf1 exists:%{l}.%{d}.other.fuzz ~all", "a.b-c+d", "helo", "v=spf1 -all"),
            ("v=spf1 mx a/24 ptr:spf.fuzz -all", "x", "mx.spf.fuzz", ""),
            ("v=spf1 redirect=other.fuzz", "postmaster", "h", "v=spf1 a:%{h} ?all"),
            ("v=spf1 -all exp=other.fuzz", "u" * 60, "h.fuzz", "%{i} %{s} %{l} %{o} %{d} %{h} %{v} %{ir}"),
            ("v=spf1 a:%{l1r-}.%{d2}.%{i}.other.fuzz ip6:2001:db8::/32 -all", "a-b-c", "h", "v=spf1 +all"),
            ("v=spf1 " + " ".join("ip4:10.0.%d.0/24" % i for i in range(70)) + " -all", "u", "h", "")]
    for i, r in enumerate(rows):
        put("spf_eval", "\0".join(r) + "\0" + chr(i & 1))


def dmarc():
    froms = ["Alice <alice@example.org>", "bob@Example.COM", '"x@y" <a@b.example>',
             "a@b.example, c@d.example", "Group: a@b.example, c@d.example;", "<@route:a@b.example>",
             "=?utf-8?q?x?= <a@xn--bcher-kva.example>", "(comment) a(b)@c.example (d)", ""]
    recs = [r for r in txt_records() if "dmarc" in r.lower()] + [
        "v=DMARC1; p=reject; sp=none; adkim=s; aspf=r; pct=0; rua=mailto:a@b,mailto:c@d!10m",
        "v = DMARC1 ;p=quarantine;pct=101", "v=DMARC1; rua=mailto:x@y", "v=DMARC1;;;p=none;",
        "V=dmarc1; P=REJECT; fo=1:d:s; rf=afrf; ri=86400"]
    for i, r in enumerate(recs):
        put("dmarc", r + "\0" + froms[i % len(froms)])
    put("dmarc", "v=DMARC1; p=none\0a@b.example\0c@d.example")


def dns_answers():
    types = ["A", "NS", "CNAME", "PTR", "MX", "TXT", "AAAA", "SPF"]
    rrs = {"A": "192.0.2.1", "NS": "ns.example.", "CNAME": "c.example.", "PTR": "host.example.",
           "MX": "10 mx.example.", "TXT": '"v=spf1 -all" "second"', "AAAA": "2001:db8::1",
           "SPF": '"v=spf1 -all"'}
    for i, t in enumerate(types):
        q = dnslib.DNSRecord.question("x.example", t)
        q.header.id = 0x4c00 + i  # fixed ids: the same seeds every run
        a = q.reply()
        if t == "SPF":  # dnslib's zone reader does not know type 99
            a.add_answer(dnslib.RR("x.example", 99, rdata=dnslib.TXT("v=spf1 -all"), ttl=300))
        else:
            for rr in dnslib.RR.fromZone("x.example. 300 IN %s %s" % (t, rrs[t])):
                a.add_answer(rr)
        put("dns_answer", bytes([i]) + a.pack())
        nx = q.reply()
        nx.header.rcode = dnslib.RCODE.NXDOMAIN
        put("dns_answer", bytes([i]) + nx.pack())
    sfq = dnslib.DNSRecord.question("x.example", "TXT")
    sfq.header.id = 0x4cff
    sf = sfq.reply()
    sf.header.rcode = dnslib.RCODE.SERVFAIL
    put("dns_answer", bytes([5]) + sf.pack())
    put("dns_answer", b"\x05" + b"\x00" * 12)
    put("dns_answer", b"\x03" + b"host\x00name.example")


def headers():
    for name, val in [("Authentication-Results", "mx.example; spf=pass smtp.mailfrom=a.example"),
                      ("authentication-results", ' (c (nested)) "mx.example" ; none'),
                      ("Authentication-Results", "MX.Example.; dkim=pass"),
                      ("X-Legit-Score", "10 (accept)"), ("Subject", "hi")]:
        put("auth_results", "\0".join([name, val, "mx.example", "spf", "pass",
                                       "reason (x) \\", "a@b.example", "b.example"]))
    put("auth_results", "\0".join(["Authentication-Results", "\r\n\tmx.example;", "mx.example",
                                   "dkim", "fail", "\x00\x7f\xff", "\"@x", "(;)"]))


def host_names():
    for name, ip in [("s72-38-252-2.static.datacom.cgocable.net", "72.38.252.2"),
                     ("cpe-192-181-15-33.kya.res.rr.com", "192.181.15.33"),
                     ("dhcp-7781.pool.isp.example.co.uk.", ""), ("mail.example.org", "2001:db8::1"),
                     ("2001-db8--1.dyn.example.net", "2001:db8::1"), ("c0a80101.example", "192.168.1.1"),
                     ("xn--bcher-kva.example", "::ffff:192.0.2.1"), ("a..b", "300.1.1.1"),
                     ("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "fe80::1%eth0")]:
        put("host_name", name + "\0" + ip)


def quote():
    for s in [b"\x64plain text", b"\x05longer than five", b"\x20back\\slash \x00\x1b[31m\xff\r\n",
              b"\x00", b"\xffutf-8 \xc3\xa9"]:
        put("quote_untrusted", s)


def messages():
    for p in glob.glob(os.path.join(ROOT, "tests", "integration", "messages", "*.eml")):
        put("message_file", open(p, "rb").read())
    for m in [b"From: a@b\r\nSubject: x\r\n\tfolded\r\n\r\nbody\r\n.\r\n",
              b"no header line\n\nbody", b"A: b", b"\n\n\n", b"X:\r\n \r\n\r\n\r",
              b"DKIM-Signature: v=1; a=rsa-sha256; d=x; s=y; h=from; bh=; b=\n" * 5 + b"\nx"]:
        put("message_file", m)


def dkim_messages():
    """Signed messages with their key records, from the DKIM fixtures of the
    integration test (fresh keys each time: only written when the directory
    is still empty, so re-running stays idempotent)."""
    import subprocess, tempfile
    if os.path.isdir(os.path.join(OUT, "dkim")) and os.listdir(os.path.join(OUT, "dkim")):
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests", "integration", "make_dkim_fixtures.py"),
                        ROOT, tmp], check=True, stdout=subprocess.DEVNULL)
        zone = "".join(open(z).read() for z in glob.glob(os.path.join(tmp, "*.zone")))
        keys = {m.group(1): "".join(re.findall(r'"([^"]*)"', m.group(2)))
                for m in re.finditer(r'^(\S+)\._domainkey\s+IN\s+TXT\s+((?:"[^"]*"\s*)+)', zone, re.M)}
        for p in sorted(glob.glob(os.path.join(tmp, "*.eml"))):
            msg = open(p, "rb").read()
            m = re.search(rb"\bs=([A-Za-z0-9_-]+)", msg)
            key = keys.get(m.group(1).decode(), "") if m else ""
            put("dkim", key.encode() + b"\0" + msg)


def config():
    put("config", open(os.path.join(ROOT, "etc", "legit-milter.conf"), "rb").read())
    for c in ["dns-server = 127.0.0.1@5353\nreject-below = -5\n[points]\niprev.fail = -2\n",
              "mode = dry-run # c\ntrusted-networks = 10.0.0.0/8, ::1\n", "[]\n=\nx\n",
              "[points]\n[dkim]\nspf.pass = 1e308\n", "dns-timeout = nan\nmode=\n"]:
        put("config", c)


def milter_protocol():
    """fuzz_milter_protocol: 4 bytes of offered protocol flags, then records
    [command index][len:2 LE][payload] (the command table of the target)."""
    cmds = "DCHMRTLNBEAUQK"

    def rec(cmd, payload=b""):
        return bytes([cmds.index(cmd)]) + struct.pack("<H", len(payload)) + payload

    def z(*p):
        return b"".join(x.encode() + b"\0" for x in p)

    def session(offer, extra_mail=b"", extra_end=b"", unknown=None, qid="QFUZZ1"):
        s = struct.pack("<I", offer)
        s += rec("D", b"C" + z("{client_addr}", "192.0.2.10", "{client_name}", "mail.fuzz.test"))
        s += rec("C", z("mail.fuzz.test") + b"4" + struct.pack("!H", 25) + z("192.0.2.10"))
        s += rec("H", z("mail.fuzz.test"))
        if unknown is not None:
            s += rec("U", unknown)
        s += extra_mail + rec("D", b"M" + z("i", qid)) + rec("M", z("<a@fuzz.test>"))
        s += rec("R", z("<b@example.net>")) + rec("D", b"T" + z("i", qid)) + rec("T")
        s += rec("L", z("From", "a@fuzz.test"))
        s += rec("L", z("DKIM-Signature", "v=1; a=rsa-sha256; d=fuzz.test; s=s; l=3; h=from; bh=x; b=y"))
        s += rec("N") + rec("B", b"Hello.\r\n" * 20) + extra_end
        return s + rec("D", b"E" + z("i", qid)) + rec("E") + rec("Q")

    put("milter_protocol", session(0x1FFFFF))                     # Postfix 3.7's offer
    put("milter_protocol", session(0x1FFFFF & ~0xFF080))          # no no-reply steps
    put("milter_protocol", session(0))                            # nothing offered
    put("milter_protocol", session(0x1FFFFF, extra_mail=rec("D", b"M" + z("i"))))      # odd macros
    put("milter_protocol", session(0x1FFFFF, extra_end=rec("D", b"E" + b"\0" * 5)))   # five NULs
    put("milter_protocol", session(0x1FFFFF, unknown=b"A" * 24))  # unknown command, no NUL
    put("milter_protocol", session(0x1FFFFF)[:-3] + rec("K") + session(0x1FFFFF)[4:])  # QUIT_NC
    # Hostile re-test (issue 9): steps out of order, an abort mid-body, and a
    # forged-field flood past the bound (51 X-Legit-Score: refused, no deletes).
    offer = struct.pack("<I", 0x1FFFFF)
    conn = rec("C", z("mail.fuzz.test") + b"4" + struct.pack("!H", 25) + z("192.0.2.10"))
    put("milter_protocol", offer + conn + rec("B", b"x" * 64) + rec("E") + rec("N") + rec("L", z("From", "a@b")) + rec("Q"))
    put("milter_protocol", offer + rec("E") + rec("U", b"?") + conn + rec("R", z("<b@example.net>")) + rec("E") + rec("Q"))
    put("milter_protocol", session(0x1FFFFF, extra_end=rec("A") + rec("M", z("<c@fuzz.test>")) + rec("B", b"y")))
    flood = b"".join(rec("L", z("X-Legit-Score", "9 forged %d" % k)) for k in range(51))
    put("milter_protocol", session(0x1FFFFF, extra_mail=b"").replace(rec("N"), flood + rec("N"), 1))


if __name__ == "__main__":
    spf(); spf_eval(); dmarc(); dns_answers(); headers(); host_names(); quote(); messages(); dkim_messages(); config()
    milter_protocol()
    for d in sorted(os.listdir(OUT)):
        print(d, len(os.listdir(os.path.join(OUT, d))))
