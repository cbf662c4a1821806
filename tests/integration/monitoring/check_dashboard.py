#!/usr/bin/python3
"""check_dashboard.py DASHBOARD.json SCRAPE.txt RULES_OUT.yml

What a Grafana dashboard import needs, checked offline (no Grafana here):
valid JSON; a title, a uid, an integer schemaVersion; panels with unique
ids, a known type, a gridPos inside the 24-column grid and targets, each
target with a unique refId and a PromQL expr; every panel and target on the
`datasource` variable (a templating variable of type datasource, query
prometheus); every $variable a query uses defined (or one of Grafana's own).
Then every metric name a query uses must be a sample name in SCRAPE.txt (a
real /metrics scrape), and every expr (with Grafana's variables replaced by
values) is written as a recording rule to RULES_OUT.yml for `promtool check
rules` (PromQL syntax). Prints one "ok - ..." / "FAIL - ..." line per check.
"""
import json, re, sys

dash_path, scrape_path, rules_out = sys.argv[1:4]
fails = 0


def check(name, cond, why=""):
    global fails
    print(("ok   - " if cond else "FAIL - ") + name + ("" if cond else ": " + why))
    fails += 0 if cond else 1


try:
    d = json.load(open(dash_path))
    check("dashboard: valid JSON", True)
except ValueError as e:
    check("dashboard: valid JSON", False, str(e))
    sys.exit(1)

check("dashboard: title, uid, integer schemaVersion",
      isinstance(d.get("title"), str) and isinstance(d.get("uid"), str) and isinstance(d.get("schemaVersion"), int),
      "missing")
variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
ds = variables.get("datasource", {})
check("dashboard: a datasource variable of Prometheus",
      ds.get("type") == "datasource" and ds.get("query") == "prometheus", repr(ds))
panels = d.get("panels", [])
check("dashboard: panels", isinstance(panels, list) and len(panels) >= 8, "%d panels" % len(panels))
known = {"stat", "timeseries", "heatmap", "bargauge", "table", "gauge", "text", "row"}
ids = [p.get("id") for p in panels]
check("panels: unique integer ids", len(set(ids)) == len(ids) and all(isinstance(i, int) for i in ids), repr(ids))
bad = [p.get("title") for p in panels if p.get("type") not in known]
check("panels: known types", not bad, repr(bad))
bad = [p.get("title") for p in panels
       if not all(isinstance(p.get("gridPos", {}).get(k), int) for k in "xywh")
       or p["gridPos"]["x"] + p["gridPos"]["w"] > 24]
check("panels: gridPos inside 24 columns", not bad, repr(bad))
bad = [p.get("title") for p in panels if p.get("type") != "row" and not p.get("targets")]
check("panels: every panel has targets", not bad, repr(bad))
exprs, bad_ref, bad_ds = [], [], []
for p in panels:
    refs = [t.get("refId") for t in p.get("targets", [])]
    if len(set(refs)) != len(refs) or not all(refs):
        bad_ref.append(p.get("title"))
    for t in [p] + p.get("targets", []):
        if t.get("datasource", {}).get("uid") != "${datasource}":
            bad_ds.append(p.get("title"))
    exprs += [t.get("expr", "") for t in p.get("targets", [])]
check("targets: unique refIds", not bad_ref, repr(bad_ref))
check("panels and targets use ${datasource}", not bad_ds, repr(sorted(set(bad_ds))))
check("targets: every one has an expr", all(exprs), "empty expr")
builtin = {"__rate_interval", "__range", "__interval"}
used = set(re.findall(r"\$\{?([A-Za-z_]+)", " ".join(exprs)))
check("queries: every $variable is defined", used <= builtin | set(variables), repr(used - builtin - set(variables)))
inst = variables.get("instance", {})
exprs_all = exprs + [inst.get("query", "")]

scraped = set()
for line in open(scrape_path):
    if line.strip() and not line.startswith("#"):
        scraped.add(re.split(r"[{ ]", line, 1)[0])
names = set()
functions = {"label_values"}
for e in exprs_all:
    names |= {n for n in re.findall(r"\b(legit_[a-z0-9_]+)", e) if n not in functions}
missing = sorted(names - scraped)
check("every metric the dashboard uses is in the scrape (%d names)" % len(names), not missing, repr(missing))

with open(rules_out, "w") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(exprs):
        e = e.replace("$__rate_interval", "5m").replace("$__range", "1h").replace("$__interval", "1m").replace("$instance", ".*")
        f.write("      - record: dashboard:expr%d\n        expr: %s\n" % (i, json.dumps(e)))
print("%d exprs, %d metric names" % (len(exprs), len(names)), file=sys.stderr)
sys.exit(1 if fails else 0)
