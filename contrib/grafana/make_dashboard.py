#!/usr/bin/python3
"""make_dashboard.py -- writes the Grafana dashboard over legit-milter's
/metrics (contrib/grafana/legit-milter.json; the JSON is what you import,
this script is how it was made: edit here, run, commit both).

usage: make_dashboard.py OUT.json
"""
import json, re, sys

# Every panel and query uses the dashboard's data source variable: pick the
# Prometheus that scrapes legit-milter at the top of the dashboard.
DS = {"type": "prometheus", "uid": "${datasource}"}
panels = []
y = 0


def panel(kind, title, exprs, w=12, h=8, unit=None, desc="", legend=None, stack=False, extra=None):
    global y
    x = 0 if not panels or panels[-1]["gridPos"]["x"] + panels[-1]["gridPos"]["w"] + w > 24 else panels[-1]["gridPos"]["x"] + panels[-1]["gridPos"]["w"]
    if x == 0 and panels:
        y = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    p = {
        "id": len(panels) + 1, "type": kind, "title": title, "description": desc, "datasource": DS,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": [{"refId": chr(65 + i), "datasource": DS, "expr": e, "legendFormat": (legend or [""] * len(exprs))[i]}
                    for i, e in enumerate(exprs)],
        "fieldConfig": {"defaults": {"unit": unit or "short"}, "overrides": []},
        "options": {},
    }
    if kind == "timeseries":
        p["fieldConfig"]["defaults"]["custom"] = {"stacking": {"mode": "normal" if stack else "none", "group": "A"},
                                                  "fillOpacity": 30 if stack else 10, "drawStyle": "line"}
        p["options"] = {"legend": {"displayMode": "table", "placement": "right", "calcs": ["mean", "max"]},
                        "tooltip": {"mode": "multi"}}
    if extra:
        p.update(extra)
    panels.append(p)


R = "$__rate_interval"
panel("stat", "Messages scored / s", ['sum(rate(legit_messages_total[%s]))' % R], w=6, h=4, unit="reqps")
panel("stat", "Reject share", ['sum(rate(legit_messages_total{action="reject"}[%s])) / sum(rate(legit_messages_total[%s]))' % (R, R)],
      w=6, h=4, unit="percentunit")
panel("stat", "Sessions open", ['sum(legit_sessions_open)'], w=6, h=4)
panel("stat", "Resolver timeouts / lookups", ['sum(rate(legit_dns_timeouts_total[%s])) / sum(rate(legit_dns_lookups_total[%s]))' % (R, R)],
      w=6, h=4, unit="percentunit", desc="Above a few percent the resolver is slow or down: every check that waits on it reports temperror.")
panel("timeseries", "Messages by action", ['sum by (action, mode) (rate(legit_messages_total[%s]))' % R], unit="reqps",
      legend=["{{action}} ({{mode}})"], stack=True, desc="Scored messages by the action the thresholds chose; mode=dry-run was only logged.")
panel("timeseries", "Not scored", ['sum by (reason) (rate(legit_messages_unscored_total[%s]))' % R], unit="reqps",
      legend=["{{reason}}"], stack=True)
panel("heatmap", "Score distribution", ['sum by (le) (increase(legit_score_bucket[%s]))' % R], desc="Higher is more legitimate.",
      legend=["{{le}}"], extra={"options": {"calculate": False, "yAxis": {"unit": "short"}, "cellGap": 1}})
panels[-1]["targets"][0]["format"] = "heatmap"
panel("timeseries", "End-of-data latency", [
    'histogram_quantile(0.5, sum by (le) (rate(legit_eom_duration_seconds_bucket[%s])))' % R,
    'histogram_quantile(0.9, sum by (le) (rate(legit_eom_duration_seconds_bucket[%s])))' % R,
    'histogram_quantile(0.99, sum by (le) (rate(legit_eom_duration_seconds_bucket[%s])))' % R], unit="s",
    legend=["p50", "p90", "p99"])
panel("bargauge", "Check results (top 20 over the range)",
      ['topk(20, sum by (check, result) (increase(legit_check_results_total[$__range])))'], h=10,
      legend=["{{check}}={{result}}"], extra={"options": {"displayMode": "gradient", "orientation": "horizontal",
                                                            "reduceOptions": {"calcs": ["lastNotNull"]}}})
panel("timeseries", "Temporary failures by check", ['sum by (check) (rate(legit_check_results_total{result="temperror"}[%s]))' % R],
      h=10, unit="reqps", legend=["{{check}}"], desc="temperror is never evidence against a sender; a rise means DNS (or a store) is failing.")
panel("timeseries", "Probe sessions by kind", ['sum by (kind) (rate(legit_probes_total[%s]))' % R], unit="reqps",
      legend=["{{kind}}"], stack=True, desc="Connections that ended without a message: EHLO then QUIT, unknown commands, no HELO, no message.")
panel("timeseries", "DNS", ['sum(rate(legit_dns_lookups_total[%s]))' % R, 'sum(rate(legit_dns_timeouts_total[%s]))' % R,
                            'sum(rate(legit_dns_temperrors_total[%s]))' % R], unit="reqps",
      legend=["lookups", "timeouts", "temperrors"])
panel("timeseries", "DNS answer cache and resolver health",
      ['sum(rate(legit_dns_cache_hits_total[%s])) / sum(rate(legit_dns_lookups_total[%s]))' % (R, R),
       'min(legit_dns_resolver_healthy)', 'sum(rate(legit_dns_failed_fast_total[%s]))' % R],
      legend=["cache hit share", "resolver healthy (1 = canaries answer)", "failed fast/s (resolver unhealthy)"],
      desc="A healthy resolver answers the dns-canary queries; while it does not, lookups fail fast as temperror.")
panel("timeseries", "DNS lookups per message", ['sum(rate(legit_message_dns_lookups_sum[%s])) / sum(rate(legit_message_dns_lookups_count[%s]))' % (R, R)],
      legend=["mean"])
panel("timeseries", "Milter: sessions, errors, reloads", ['sum(legit_sessions_open)', 'sum(legit_messages_in_flight)',
                                                          'sum(rate(legit_errors_total[%s]))' % R,
                                                          'sum by (result) (increase(legit_reloads_total[%s]))' % R],
      legend=["sessions open", "messages in flight", "errors/s (on-error applied)", "reloads {{result}}"])

dash = {
    "__requires": [{"type": "grafana", "id": "grafana", "name": "Grafana", "version": "9.0.0"},
                   {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"}],
    "title": "legit-milter", "uid": "legit-milter", "tags": ["mail", "postfix", "milter"], "timezone": "browser",
    "schemaVersion": 36, "version": 1, "editable": True, "refresh": "1m", "time": {"from": "now-24h", "to": "now"},
    "templating": {"list": [{"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
                             "current": {}, "hide": 0, "refresh": 1},
                            {"name": "instance", "type": "query", "datasource": DS, "query": "label_values(legit_build_info, instance)",
                             "includeAll": True, "multi": True, "current": {}, "refresh": 2}]},
    "panels": panels,
}
# Every selector restricted to the chosen instances.
def scoped(expr):
    def one(m):
        name, brace = m.group(1), m.group(2)
        return name + ('{instance=~"$instance",' if brace else '{instance=~"$instance"}')
    return re.sub(r'(legit_[a-z_]+)(\{)?', one, expr)


for p in panels:
    for t in p["targets"]:
        if "label_values" not in t["expr"]:
            t["expr"] = scoped(t["expr"])
json.dump(dash, open(sys.argv[1], "w"), indent=2)
open(sys.argv[1], "a").write("\n")
