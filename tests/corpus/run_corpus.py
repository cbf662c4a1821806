#!/usr/bin/python3
"""run_corpus.py -- runs the labelled corpus (tests/corpus/sessions.yaml)
through `legit-milter check --json` and measures the verdicts.

usage: run_corpus.py LEGIT_MILTER [--results FILE] [--config FILE] [-v]
                     [-- extra check options...]

For every session of sessions.yaml: DKIM keys are made fresh (rsa 2048 and
ed25519, python3-dkim), the message is built and signed as the session says
(and damaged after signing where it says so: a list footer, a rewritten
subject; then signed again by `sign_after`, as a list re-signs), the DNS
facts of the whole corpus (world: + each session's dns:,
fcrdns:, ptr:) are served by tests/dns/zoneserver.py on a free loopback
port, and the session is checked with tests/corpus/corpus.conf (our site:
corp.example, MX mx.corp.example 203.0.113.25, given as --server-name and
--server-addr like Postfix's j and {daemon_addr}; a session's rcpt_mailer is
Postfix's {rcpt_mailer}, smtp for a recipient it relays).

Assertions (each counted; the last line is "N passed, N failed"):
  * every legitimate session is accepted (a rejected customer costs more
    than a missed spam);
  * the share of bad sessions quarantined or rejected is >= 85 %;
  * the score separation (AUC: the chance that a random legitimate session
    scores above a random bad one, ties count half) is >= 0.95 over ALL bad
    sessions, and >= 0.95 over the bad sessions a legitimacy scorer can
    judge: those not marked `content_only: true` (a compromised free-mail
    account: every fact this milter sees is honest, only content filters
    tell). Content-only sessions count in the caught share and in the
    all-bad AUC.
A bad session that gets through is listed as MISS with its score, not a
failure by itself. --results FILE writes every session's label, score,
action and check results as JSON (input of tests/corpus/fit_points.py).
Exit 0 when all assertions pass, 1 otherwise, 2 when the corpus or the
DNS server is broken.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import dkim
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
CAUGHT = ("quarantine", "reject")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def reverse_name(ip):
    if ":" in ip:
        import ipaddress
        return ipaddress.ip_address(ip).reverse_pointer
    return ".".join(reversed(ip.split("."))) + ".in-addr.arpa"


def record(text):
    """'MX 10 mx.example' -> {"MX": [10, "mx.example"]} (zoneserver --json)."""
    rtype, _, value = text.partition(" ")
    rtype = rtype.upper()
    if rtype == "MX":
        pref, _, host = value.partition(" ")
        return {"MX": [int(pref), host]}
    if rtype == "TXT" and len(value) > 255:
        return {"TXT": [value[i:i + 250] for i in range(0, len(value), 250)]}
    return {rtype: value}


class Keys:
    """DKIM key pairs by (domain, selector, algorithm), made on first use."""

    def __init__(self):
        self.keys = {}

    def get(self, d, s, alg):
        k = (d, s, alg)
        if k not in self.keys:
            if alg == "ed25519":
                priv = ed25519.Ed25519PrivateKey.generate()
                secret = base64.b64encode(priv.private_bytes(
                    serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                    serialization.NoEncryption()))
                pub = base64.b64encode(priv.public_key().public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
            else:
                priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                secret = priv.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.TraditionalOpenSSL,
                                            serialization.NoEncryption())
                pub = base64.b64encode(priv.public_key().public_bytes(
                    serialization.Encoding.DER,
                    serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
            self.keys[k] = (secret, "v=DKIM1; k=%s; p=%s" % ("ed25519" if alg == "ed25519" else "rsa", pub))
        return self.keys[k]


def build_message(sess, keys, zone):
    """The session's message as bytes (signed, then damaged), or None."""
    m = sess.get("message")
    if m is None:
        return None
    hdrs = []
    if "from" in m:
        hdrs.append("From: " + m["from"])
    hdrs.append("To: " + m.get("to", "<%s>" % sess["rcpt"][0]))
    hdrs.append("Subject: " + m.get("subject", "Hello"))
    hdrs.append("Date: " + m.get("date", "Fri, 27 Nov 2026 10:%02d:00 +0000" % (len(sess["id"]) % 60)))
    hdrs.append("Message-ID: <%s.%s@%s>" % (sess["id"], "corpus",
                                             m.get("msgid_domain", sess["from"].rpartition("@")[2] or "bounce.invalid")))
    hdrs += m.get("headers", [])
    hdrs.append("MIME-Version: 1.0")
    hdrs.append("Content-Type: " + m.get("content_type", "text/plain; charset=utf-8"))
    body = m.get("body", "Hello,\n\nsee you on Tuesday.\n\nRegards\n") * m.get("body_repeat", 1)
    # charset: the body's bytes in that charset (KOI8-R, ISO-2022-JP, GBK...);
    # transfer: base64 encodes them as a mail client does.
    data = body.replace("\n", "\r\n").encode(m.get("charset", "utf-8"))
    if m.get("transfer") == "base64":
        hdrs.append("Content-Transfer-Encoding: base64")
        b64 = base64.b64encode(data)
        data = b"".join(b64[i:i + 76] + b"\r\n" for i in range(0, len(b64), 76))
    raw = ("\r\n".join(hdrs) + "\r\n\r\n").encode() + data
    include = [h.split(":")[0].lower().encode() for h in hdrs if not h.startswith("MIME")] + [b"mime-version", b"content-type"]

    def sign(raw, sig):
        d, s, alg = sig["d"], sig["s"], sig.get("alg", "rsa")
        secret, txt = keys.get(d, s, alg)
        if sig.get("cname"):  # the key lives at the provider, the selector is a CNAME to it
            zone.setdefault("%s._domainkey.%s" % (s, d), []).append(record("CNAME " + sig["cname"]))
            zone.setdefault(sig["cname"], []).append(record("TXT " + txt))
        elif sig.get("publish", True):
            zone.setdefault("%s._domainkey.%s" % (s, d), []).append(record("TXT " + txt))
        signature = dkim.sign(raw, s.encode(), d.encode(), secret, include_headers=include,
                              signature_algorithm=b"ed25519-sha256" if alg == "ed25519" else b"rsa-sha256")
        return signature + raw

    for sig in m.get("sign", []):
        raw = sign(raw, sig)
    for hop in m.get("prepend", []):  # trace headers added after signing (forwarders)
        raw = (hop + "\r\n").encode() + raw
    damage = m.get("damage")
    if damage == "footer":  # a mailing list appends its footer
        raw += b"\r\n_______________________________________________\r\nList mailing list -- unsubscribe: list-leave@lists.example\r\n"
    elif damage == "subject":  # a list tags the subject
        raw = raw.replace(b"\r\nSubject: ", b"\r\nSubject: [list] ", 1)
    for sig in m.get("sign_after", []):  # a list or forwarder signing what it sends on
        raw = sign(raw, sig)
    return raw


def build_zone(corpus):
    zone = {}
    for name, recs in (corpus.get("world") or {}).items():
        zone.setdefault(name.rstrip("."), []).extend(record(r) for r in recs)
    for sess in corpus["sessions"]:
        for name, recs in (sess.get("dns") or {}).items():
            zone.setdefault(name.rstrip("."), []).extend(record(r) for r in recs)
        ip = sess["client"]
        if sess.get("fcrdns"):
            zone.setdefault(reverse_name(ip), []).append({"PTR": sess["fcrdns"]})
            zone.setdefault(sess["fcrdns"], []).append({"AAAA" if ":" in ip else "A": ip})
        elif sess.get("ptr"):
            zone.setdefault(reverse_name(ip), []).append({"PTR": sess["ptr"]})
    return zone


def start_dns(zone, work):
    path = os.path.join(work, "corpus-zone.json")
    with open(path, "w") as f:
        json.dump(zone, f)
    port = free_port()
    out = open(os.path.join(work, "dns.out"), "w")
    proc = subprocess.Popen([sys.executable, os.path.join(SRC, "tests", "dns", "zoneserver.py"),
                             "--port", str(port), "--ttl", "300", "--json", path],
                            stdout=out, stderr=subprocess.STDOUT)
    for _ in range(100):
        time.sleep(0.1)
        if "ready" in open(os.path.join(work, "dns.out")).read():
            return proc, port
    proc.kill()
    sys.exit("run_corpus: zoneserver did not start: " + open(os.path.join(work, "dns.out")).read())


def check(binary, sess, msg_path, dns_port, config, extra):
    args = [binary, "check", "--json", "-c", config, "--log", "stderr",
            "--dns-server", "127.0.0.1@%d" % dns_port, "--client-ip", sess["client"],
            "--helo", sess.get("helo", ""), "--mail-from", "<%s>" % sess["from"]]
    for r in sess["rcpt"]:
        args += ["--rcpt", "<%s>" % r]
    # What Postfix tells the milter about itself ($myhostname, {daemon_addr}),
    # and how it routes the recipients ({rcpt_mailer}: smtp for a relayed one).
    args += ["--server-name", "mx.corp.example", "--server-addr", "203.0.113.25"]
    if sess.get("rcpt_mailer"):
        args += ["--rcpt-mailer", sess["rcpt_mailer"]]
    if sess.get("auth"):
        args += ["--auth", sess["auth"]]
    if msg_path:
        args += ["--message", msg_path]
    p = subprocess.run(args + extra, capture_output=True, text=True, timeout=120)
    try:
        return json.loads(p.stdout)
    except ValueError:
        return {"error": (p.stdout + p.stderr)[-400:]}


def auc(legit, bad):
    if not legit or not bad:
        return 1.0
    wins = sum(1.0 if l > b else 0.5 if l == b else 0.0 for l in legit for b in bad)
    return wins / (len(legit) * len(bad))


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    if not argv:
        sys.exit(__doc__)
    binary, results_path, verbose = argv[0], None, "-v" in argv
    config = os.path.join(HERE, "corpus.conf")
    if "--results" in argv:
        results_path = argv[argv.index("--results") + 1]
    if "--config" in argv:
        config = argv[argv.index("--config") + 1]
    with open(os.path.join(HERE, "sessions.yaml")) as f:
        corpus = yaml.safe_load(f)
    ids = [s["id"] for s in corpus["sessions"]]
    if len(set(ids)) != len(ids):
        sys.exit("run_corpus: duplicate session ids")
    keys = Keys()
    work = tempfile.mkdtemp(prefix="legit-corpus.")
    zone = build_zone(corpus)
    messages = {}
    for sess in corpus["sessions"]:
        raw = build_message(sess, keys, zone)
        if raw is not None:
            messages[sess["id"]] = os.path.join(work, sess["id"] + ".eml")
            with open(messages[sess["id"]], "wb") as f:
                f.write(raw)
    proc, port = start_dns(zone, work)
    passed = failed = 0
    results, scores = [], {"legit": [], "bad": [], "visible": []}
    caught = bad_total = 0
    try:
        for sess in corpus["sessions"]:
            j = check(binary, sess, messages.get(sess["id"]), port, config, extra)
            label = sess["label"]
            if "error" in j or "action" not in j:
                print("FAIL - %s: check failed: %s" % (sess["id"], j.get("error", j)))
                failed += 1
                continue
            score, action = j["score"], j["action"]
            scores[label].append(score)
            if label == "bad" and not sess.get("content_only"):
                scores["visible"].append(score)
            fired = " ".join("%s=%s(%g)" % (c["check"], c["result"], c["points"]) for c in j["checks"]
                             if c["points"] != 0 or verbose)
            results.append({"id": sess["id"], "label": label, "score": score, "action": action,
                            "checks": [[c["check"], c["result"], c["points"]] for c in j["checks"]]})
            if label == "legit":
                if action == "accept":
                    passed += 1
                    print("ok   - legit %-24s %6.1f accept" % (sess["id"], score) + ("  " + fired if verbose else ""))
                else:
                    failed += 1
                    print("FAIL - legit %-24s %6.1f %s: %s | %s" % (sess["id"], score, action, sess["why"], fired))
            else:
                bad_total += 1
                if action in CAUGHT:
                    caught += 1
                    print("ok   - bad   %-24s %6.1f %s" % (sess["id"], score, action) + ("  " + fired if verbose else ""))
                else:
                    print("MISS - bad   %-24s %6.1f %s: %s | %s" % (sess["id"], score, action, sess["why"], fired))
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    share = caught / bad_total if bad_total else 1.0
    a = auc(scores["legit"], scores["visible"])
    a_all = auc(scores["legit"], scores["bad"])
    print("legitimate: %d of %d accepted; bad: %d of %d quarantined or rejected (%.0f %%); "
          "AUC %.3f (%d content-only bad sessions left out; with them %.3f)"
          % (len([r for r in results if r["label"] == "legit" and r["action"] == "accept"]),
             len(scores["legit"]), caught, bad_total, 100 * share, a,
             len(scores["bad"]) - len(scores["visible"]), a_all))
    for name, cond in (("bad senders caught >= 85 %% (%.0f %%)" % (100 * share), share >= 0.85),
                       ("score separation AUC over all bad sessions >= 0.95 (%.3f)" % a_all, a_all >= 0.95),
                       ("score separation AUC without content-only >= 0.95 (%.3f)" % a, a >= 0.95)):
        if cond:
            passed += 1
            print("ok   - " + name)
        else:
            failed += 1
            print("FAIL - " + name)
    if results_path:
        with open(results_path, "w") as f:
            json.dump(results, f, indent=1)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
