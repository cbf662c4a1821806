#!/usr/bin/python3
"""make_corpus.py -- the message corpus of bench/loadgen.sh: unsigned 2 KB and
100 KB messages, and 2 KB messages DKIM-signed (rsa-sha256 2048 bit and
ed25519-sha256) by d=bench.test, with a zone file publishing the two keys.
Keys are made fresh at every run (no private key in git).

usage: make_corpus.py SRCDIR OUTDIR   (Debian's /usr/bin/python3: python3-dkim)
Writes OUTDIR/{plain-2k,plain-100k,rsa-2k,ed25519-2k}.eml and
OUTDIR/bench.zone: SRCDIR/tests/dns/bench.zone plus the two keys.
"""
import base64, os, sys

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

SRC, OUT = sys.argv[1], sys.argv[2]


def message(size, n):
    head = ("From: Sender <sender@bench.test>\r\nTo: <user@example.net>\r\n"
            "Subject: bench message %d\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n"
            "Message-ID: <bench-%d@bench.test>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n" % (n, n))
    line = "The quick brown fox jumps over the lazy dog, again and again.\r\n"
    return (head + line * (size // len(line) + 1)).encode()


def main():
    rk = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rpem = rk.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    rpub = base64.b64encode(rk.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    ek = ed25519.Ed25519PrivateKey.generate()
    eseed = base64.b64encode(ek.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                              serialization.NoEncryption()))
    epub = base64.b64encode(ek.public_key().public_bytes(serialization.Encoding.Raw,
                                                         serialization.PublicFormat.Raw)).decode()
    hdrs = [b"from", b"to", b"subject", b"date", b"message-id"]
    files = {"plain-2k": message(2048, 1), "plain-100k": message(100 * 1024, 2)}
    m = message(2048, 3)
    files["rsa-2k"] = dkim.sign(m, b"rsa", b"bench.test", rpem, include_headers=hdrs) + m
    m = message(2048, 4)
    files["ed25519-2k"] = dkim.sign(m, b"ed", b"bench.test", eseed, include_headers=hdrs,
                                    signature_algorithm=b"ed25519-sha256") + m
    for name, data in files.items():
        with open(os.path.join(OUT, name + ".eml"), "wb") as f:
            f.write(data)
    chunks = lambda s: " ".join('"%s"' % s[i:i + 200] for i in range(0, len(s), 200))
    with open(os.path.join(SRC, "tests", "dns", "bench.zone")) as f:
        zone = f.read()
    with open(os.path.join(OUT, "bench.zone"), "w") as f:
        f.write(zone + "$ORIGIN bench.test.\n")
        f.write("rsa._domainkey IN TXT %s\n" % chunks("v=DKIM1; k=rsa; p=" + rpub))
        f.write("ed._domainkey  IN TXT %s\n" % chunks("v=DKIM1; k=ed25519; p=" + epub))


main()
