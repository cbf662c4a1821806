#!/usr/bin/python3
"""make_dkim_fixtures.py -- key pairs, zone files and signed messages for
test_check_dkim_dmarc.sh, made fresh at every run (no private key in git).

usage: make_dkim_fixtures.py SRCDIR OUTDIR

Generates RSA 512/1024/2048 and ed25519 (RFC 8463) key pairs, fills the
@P_<key>@ placeholders of SRCDIR/tests/dns/{dkim,dmarc}.test.zone into
OUTDIR/*.zone and writes one OUTDIR/<case>.eml per case below, signed with
python3-dkim. Takes about half a second. Run with Debian's /usr/bin/python3.
"""
import base64, os, re, sys

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

SRC, OUT = sys.argv[1], sys.argv[2]
KEYS = {}     # name -> (private key bytes as dkim.sign wants them, public p= text)


def make_keys():
    for bits in (512, 1024, 2048):
        k = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        pem = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption())
        der = k.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
        KEYS["rsa%d" % bits] = (pem, base64.b64encode(der).decode())
    k = ed25519.Ed25519PrivateKey.generate()
    seed = k.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                           serialization.NoEncryption())
    pub = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    KEYS["ed25519"] = (base64.b64encode(seed), base64.b64encode(pub).decode())


def fill_zone(name):
    text = open(os.path.join(SRC, "tests", "dns", name)).read()

    def strings(m):
        p = KEYS[m.group(1)][1]
        return " ".join('"%s"' % p[i:i + 200] for i in range(0, len(p), 200))
    open(os.path.join(OUT, name), "w").write(re.sub(r"@P_(\w+)@", strings, text))


def message(frm="Alice <alice@dkim.test>", subject="Test message", body="Hello.\r\nSecond line.\r\n",
            extra=()):
    head = ["From: " + f for f in ([frm] if isinstance(frm, str) else frm)]
    head += ["To: bob@example.net", "Subject: " + subject, "Date: Mon, 01 Jan 2024 10:00:00 +0000",
             "Message-ID: <%s@dkim.test>" % abs(hash(subject))] + list(extra)
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode()


def sign(msg, sel, dom, key, canon=b"relaxed/simple", **kw):
    alg = b"ed25519-sha256" if key == "ed25519" else b"rsa-sha256"
    sig = dkim.sign(msg, sel.encode(), dom.encode(), KEYS[key][0], canonicalize=tuple(canon.split(b"/")),
                    signature_algorithm=alg, include_headers=[b"from", b"to", b"subject", b"date"], **kw)
    return sig + msg


def cases():
    m = message()
    yield "unsigned", m
    yield "rsa1024-relaxed", sign(m, "rsa1024", "dkim.test", "rsa1024")
    yield "rsa2048-simple", sign(m, "rsa2048", "dkim.test", "rsa2048", b"simple/simple")
    yield "ed25519", sign(m, "ed", "dkim.test", "ed25519")
    yield "ed25519-simple", sign(m, "ed", "dkim.test", "ed25519", b"simple/simple")
    spaced = message(subject="  spaced   out\r\n\t folded  subject")
    yield "relaxed-spacing", sign(spaced, "rsa2048", "dkim.test", "rsa2048", b"relaxed/relaxed")
    yield "simple-folded", sign(spaced, "rsa2048", "dkim.test", "rsa2048", b"simple/simple")
    yield "length-tag", sign(m, "rsa2048", "dkim.test", "rsa2048", length=True) + b"Appended by a list.\r\n"
    good = sign(m, "rsa2048", "dkim.test", "rsa2048")
    yield "multi-good-bad", sign(good, "wrong", "dkim.test", "rsa2048")
    yield "body-tampered", sign(m, "rsa2048", "dkim.test", "rsa2048").replace(b"Hello.", b"Hellx.")
    yield "header-tampered", sign(m, "rsa2048", "dkim.test", "rsa2048").replace(b"Test message", b"Test massage")
    yield "revoked", sign(m, "revoked", "dkim.test", "rsa2048")
    yield "nokey", sign(m, "absent", "dkim.test", "rsa2048")
    yield "garbage-key", sign(m, "garbage", "dkim.test", "rsa2048")
    yield "timeout", sign(m, "slow", "dkim.test", "rsa2048")
    yield "weak-key", sign(m, "weak", "dkim.test", "rsa512")
    yield "malformed", b"DKIM-Signature: v=1; a=rsa-sha256; d=dkim.test; h=from\r\n" + m
    for case, frm, signer in (
            ("dmarc-pass-dkim", "a@dmarc.test", ("k", "dmarc.test")),
            ("dmarc-fail-reject", "a@dmarc.test", ("rsa2048", "dkim.test")),
            ("dmarc-fail-quarantine", "a@q.dmarc.test", None),
            ("dmarc-fail-none", "a@n.dmarc.test", None),
            ("dmarc-sub-pass", "a@sub.dmarc.test", ("k", "dmarc.test")),
            ("dmarc-sub-fail", "a@sub.dmarc.test", None),
            ("dmarc-other-txt", "a@other.dmarc.test", None),
            ("dmarc-strict", "A <a@s.dmarc.test>", ("k", "dmarc.test")),
            ("dmarc-no-record", "a@dkim.test", ("rsa2048", "dkim.test")),
            ("dmarc-multi", "a@multi.dmarc.test", None),
            ("dmarc-bad", "a@bad.dmarc.test", None),
            ("dmarc-tmp", "a@tmp.dmarc.test", None),
            ("dmarc-spf", "a@dmarc.test", None),
            ("dmarc-two-from", ["a@dmarc.test", "b@dkim.test"], ("k", "dmarc.test")),
            ("dmarc-two-addresses", "a@dmarc.test, b@dkim.test", None)):
        m = message(frm=frm, subject=case)
        yield case, sign(m, signer[0], signer[1], "rsa2048") if signer else m


def main():
    os.makedirs(OUT, exist_ok=True)
    make_keys()
    fill_zone("dkim.test.zone")
    fill_zone("dmarc.test.zone")
    for name, data in cases():
        with open(os.path.join(OUT, name + ".eml"), "wb") as f:
            f.write(data)


main()
