#!/usr/bin/python3
"""fit_points.py -- proposes default points from the labelled corpus.

usage: run_corpus.py build/legit-milter --results R.json
       fit_points.py R.json [--quarantine-below -4] [--lambda 0.5] [--legit-weight 5]

Reads what run_corpus.py recorded for every session (label, and each check's
result with the points it got under the current defaults) and fits the
points table by logistic regression, with the current points as priors:

  minimise  sum_i  c_i * log(1 + exp(-y_i * (s_i - q + b) / T))
          + lambda * sum_f (w_f - w0_f)^2
  where s_i = sum of w_f over the check results f of session i,
        y_i = +1 legit / -1 bad, q = quarantine-below, T = 1.5,
        c_i = legit-weight for legitimate sessions (a rejected customer costs
              more than a missed spam), 1 for bad ones,
        b   = a free offset (not a row): without it, rows that fire in almost
              every session (dnsbl.clean, spf-helo.none) would absorb it. A
              large b says the thresholds, not the rows, are off: printed.

Constraints: a row keeps the sign of its prior (a positive finding never
becomes evidence against the sender and the other way round); temperror
rows stay 0 (a DNS failure is never evidence); rows seen in no session keep
their prior. Results are rounded to 0.5.

Prints every row whose rounded value would change, with how many legitimate
and bad sessions it fired in, then the corpus figures with the current and
the proposed points (action from the score alone: the DMARC-policy floor and
other rules outside the points table are not simulated). It changes nothing:
the rationale of every default changed in etc/legit-milter.conf must say what
evidence moved it.
"""
import json
import math
import sys


def arg(name, default):
    return float(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def auc(legit, bad):
    if not legit or not bad:
        return 1.0
    wins = sum(1.0 if l > b else 0.5 if l == b else 0.0 for l in legit for b in bad)
    return wins / (len(legit) * len(bad))


def figures(sessions, w, q):
    scores = {"legit": [], "bad": []}
    for s in sessions:
        scores[s["label"]].append(s["base"] + sum(w[f] for f in s["feats"]))
    legit_ok = sum(1 for x in scores["legit"] if x >= q)
    caught = sum(1 for x in scores["bad"] if x < q)
    return (legit_ok, len(scores["legit"]), caught, len(scores["bad"]),
            auc(scores["legit"], scores["bad"]))


def main():
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        results = json.load(f)
    q = arg("--quarantine-below", -4.0)
    lam = arg("--lambda", 0.5)
    legit_weight = arg("--legit-weight", 5.0)
    temp = 1.5
    prior, fired = {}, {}
    sessions = []
    for r in results:
        feats, base = [], 0.0
        for check, result, points in r["checks"]:
            f = "%s.%s" % (check, result)
            if result == "temperror":
                base += points  # fixed: never evidence
                continue
            prior.setdefault(f, points)
            fired.setdefault(f, [0, 0])[0 if r["label"] == "legit" else 1] += 1
            feats.append(f)
        sessions.append({"label": r["label"], "feats": feats, "base": base})
    w = dict(prior)
    b = 0.0
    rate = 0.01
    for _ in range(4000):
        grad = {f: 2 * lam * (w[f] - prior[f]) for f in w}
        gb = 0.0
        for s in sessions:
            y = 1.0 if s["label"] == "legit" else -1.0
            c = legit_weight if y > 0 else 1.0
            z = y * (s["base"] + sum(w[f] for f in s["feats"]) - q + b) / temp
            g = -c * y / temp / (1.0 + math.exp(min(z, 50)))  # d loss / d s
            gb += g
            for f in s["feats"]:
                grad[f] += g
        b -= rate * gb
        for f in w:
            w[f] -= rate * grad[f]
            if prior[f] > 0:
                w[f] = max(w[f], 0.0)
            elif prior[f] < 0:
                w[f] = min(w[f], 0.0)
    proposed = {f: round(v * 2) / 2 for f, v in w.items()}
    changed = [f for f in sorted(w) if proposed[f] != prior[f]]
    print("# fit_points.py: %d sessions, %d rows seen, quarantine-below %g, lambda %g, legit weight %g"
          % (len(sessions), len(w), q, lam, legit_weight))
    print("%-34s %8s %9s %7s %5s" % ("row", "current", "proposed", "legit", "bad"))
    for f in changed:
        print("%-34s %8g %9g %7d %5d" % (f, prior[f], proposed[f], fired[f][0], fired[f][1]))
    if not changed:
        print("(no row would change)")
    print("offset b = %.2f (the thresholds would move by %.1f to match)" % (b, -b))
    for name, table in (("current", prior), ("proposed", proposed)):
        lo, ln, c, bn, a = figures(sessions, table, q)
        print("%-9s legitimate accepted %d/%d, bad caught %d/%d (%.0f %%), AUC %.3f"
              % (name, lo, ln, c, bn, 100.0 * c / max(bn, 1), a))


if __name__ == "__main__":
    main()
