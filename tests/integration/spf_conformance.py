#!/usr/bin/python3
"""spf_conformance.py -- runs the openspf.org RFC 7208 test suite through
`legit-milter check --json` (and, for reference, through pyspf).

usage: spf_conformance.py --bin legit-milter --suite rfc7208-tests.yml
                          [--known spf_known_failures.txt] [--jobs N]
                          [--dns-timeout S] [--only NAME]... [--pyspf]

Each YAML document is a scenario: `tests` (name -> host, helo, mailfrom,
result) and `zonedata`. The zonedata is served by tests/dns/zoneserver.py
(--json) on its own loopback port, after the suite's driver conventions
(those of pyspf's own test driver): a name without TXT records gets its SPF
records as TXT ("auto-magic duplication"), "NONE" values are dropped, and a
"TIMEOUT" entry makes the types the name has no records of time out. The
zone server can only time out a whole name, so TIMEOUT is dropped for a name
that has TXT records (its TXT answer is what SPF asks for; the one test with
this, spftimeout, expects exactly that).

Identity: a test with an empty mailfrom checks the HELO identity (RFC 7208
§2.4: the MAIL FROM identity of <> is postmaster@HELO), compared against the
`spf-helo` finding; otherwise the `spf` finding. A list result means any of
them is acceptable.

Output: one line per failing test, then "N passed, N failed". With --known,
tests listed there (one name per line, '#' comments) are expected to fail;
the exit code is 1 when a test fails unexpectedly or a listed test passes
(so the list stays honest), else 0. --pyspf also runs python3-spf against
the same zone servers and prints its count ("pyspf: N passed, N failed").
"""
import argparse, concurrent.futures, json, os, socket, subprocess, sys, tempfile, time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ZONESERVER = os.path.join(HERE, "..", "dns", "zoneserver.py")


def zonedata_json(zonedata):
    """The suite's zonedata in zoneserver.py --json shape (see module doc)."""
    out = {}
    for name, recs in (zonedata or {}).items():
        recs = recs or []
        has_txt = any(isinstance(r, dict) and "TXT" in r for r in recs)
        timeout = any(r == "TIMEOUT" for r in recs)
        items = []
        for r in recs:
            if isinstance(r, str):
                continue
            for t, v in r.items():
                if v == "NONE":
                    continue
                items.append({t: v})
                if t == "SPF" and not has_txt:
                    items.append({"TXT": v})
        if timeout and not any("TXT" in i for i in items):
            items.append("TIMEOUT")
        out[str(name)] = items
    return out


def free_port():
    for _ in range(50):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        u = socket.socket(type=socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            u.close()
            return port
        except OSError:
            u.close()
    raise RuntimeError("no free port")


class ZoneServer:
    def __init__(self, zonedata, workdir, idx):
        self.path = os.path.join(workdir, "zone%d.json" % idx)
        with open(self.path, "w", encoding="utf-8") as f:
            json.dump(zonedata_json(zonedata), f)
        self.port = free_port()
        self.log = open(os.path.join(workdir, "zone%d.out" % idx), "w+")
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", ZONESERVER, "--port", str(self.port), "--addr", "127.0.0.1",
             "--json", self.path], stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(100):
            self.log.seek(0)
            if "ready" in self.log.read():
                return
            time.sleep(0.05)
        raise RuntimeError("zoneserver did not start for scenario %d" % idx)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()


def run_ours(binary, port, test, dns_timeout):
    """(result, detail) of the check that owns the test's identity."""
    mailfrom = test.get("mailfrom", "") or ""
    check = "spf" if mailfrom else "spf-helo"
    cmd = [binary, "check", "--json", "--dns-server", "127.0.0.1@%d" % port,
           "--dns-timeout", str(dns_timeout), "--log", "stderr", "--authserv-id", "mx.test",
           "--client-ip", str(test["host"]), "--helo", str(test.get("helo", "")),
           "--mail-from", "<%s>" % mailfrom]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=120)
        j = json.loads(p.stdout.decode("utf-8", "replace"))
    except Exception as e:  # a crash or bad JSON is a failure, never a pass
        return "error", "%s: %s" % (type(e).__name__, str(e)[:200])
    for c in j.get("checks", []):
        if c["check"] == check:
            # pass-broad / neutral-broad refine the RFC word (the A-R carries the RFC word)
            return c["result"].replace("-broad", ""), c.get("detail", "")
    return "(no %s finding)" % check, ""


def run_pyspf(port, test):
    import spf, dns.resolver
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = ["127.0.0.1"]
    r.port = port
    dns.resolver.default_resolver = r
    try:
        q = spf.query(i=str(test["host"]), s=test.get("mailfrom", "") or "",
                      h=str(test.get("helo", "")), strict=False, timeout=1, querytime=0)
        return q.check()[0]
    except Exception as e:
        return "error: %s" % e


def wanted(test):
    w = test["result"]
    return w if isinstance(w, list) else [w]


def load_known(path):
    known = set()
    if path and os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            line = line.split("#", 1)[0].strip()
            if line:
                known.add(line)
    return known


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--suite", required=True)
    ap.add_argument("--known")
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--dns-timeout", type=float, default=1)
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--pyspf", action="store_true")
    args = ap.parse_args()

    scenarios = [d for d in yaml.safe_load_all(open(args.suite, encoding="utf-8")) if d]
    known = load_known(args.known)
    start = time.time()
    workdir = tempfile.mkdtemp(prefix="legit-spfconf.")
    servers, jobs = [], []
    try:
        for idx, sc in enumerate(scenarios):
            tests = {n: t for n, t in sc.get("tests", {}).items()
                     if not args.only or n in args.only}
            if not tests:
                continue
            srv = ZoneServer(sc.get("zonedata"), workdir, idx)
            servers.append((srv, tests))
            jobs += [(n, t, srv.port) for n, t in tests.items()]
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
            futs = {n: ex.submit(run_ours, args.bin, port, t, args.dns_timeout)
                    for n, t, port in jobs}
        passed, failed, unexpected, fixed = 0, 0, [], []
        for n, t, _ in jobs:
            got, detail = futs[n].result()
            ok = got in wanted(t)
            passed += ok
            failed += not ok
            if not ok:
                mark = "known" if n in known else "UNEXPECTED"
                print("FAIL %s [%s]: got %s, want %s -- %s" % (n, mark, got, "|".join(wanted(t)),
                                                              detail[:160]))
                if n not in known:
                    unexpected.append(n)
            elif n in known:
                fixed.append(n)
        for n in fixed:
            print("PASS %s [listed in known failures: remove it from the list]" % n)
        if args.pyspf:
            ppass = sum(run_pyspf(port, t) in wanted(t) for n, t, port in
                        [(n, t, srv.port) for srv, ts in servers for n, t in ts.items()])
            print("pyspf %s: %d passed, %d failed" % (
                __import__("spf").__version__, ppass, len(jobs) - ppass))
    finally:
        for srv, _ in servers:
            srv.stop()
    print("legit-milter: %d unexpected failures, %d unexpected passes, %.0f s" % (
        len(unexpected), len(fixed), time.time() - start))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if (args.known is not None and (unexpected or fixed)) else 0


if __name__ == "__main__":
    sys.exit(main())
