"""Monitoring benchmark: alert precision/recall against the planted facts, false-alert rate on
the quiet span, and forecast backtest error against seasonal-naive (same run).

    .venv/bin/python benchmarks/bench_monitoring.py --db /tmp/s42.duckdb
    .venv/bin/python benchmarks/bench_monitoring.py --db /tmp/s42.duckdb /tmp/s7.duckdb --json

Build the warehouses with `servicepilot demo-data --tickets N --seed S --end 2026-10-31 --db F`
(`make run` ships 200k tickets, seed 42; measure several seeds before changing a threshold).
Definitions of "found", "true alert" and "quiet span": tools/monitoring/scoring.py.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta

from semantic_layer.catalog_loader import default_catalog
from tools.demo_data.facts import planted_facts
from tools.monitoring.alerts import detect_alerts
from tools.monitoring.detector import history_layout
from tools.monitoring.forecast import forecast_volume
from tools.monitoring.rules import load_rules
from tools.monitoring.scoring import matches, quiet, score
from tools.warehouse.engine import make_engine


def quiet_tests(end: date, since: date, margin: int = 14) -> int:
    """Series-periods tested in the quiet span (approximate denominator: rule cells x
    periods), for a false-alert rate per 1,000 tests."""
    sizes = {"region": 7, "channel": 7, "product_line": 7, "category": 7, "team": 14}
    facts = [f for f in planted_facts(end) if f.is_anomaly]
    pad = timedelta(days=margin)
    total = 0
    for rule in load_rules(None, default_catalog()).rules:
        cells = 1
        for d in rule.dimensions:
            cells *= sizes[d]
        step = 7 if rule.grain == "week" else 1
        # The first period judged: after the history the rule needs (+1: a partial first one).
        first = since + timedelta(days=step * (history_layout(rule)[2] + 1))
        day = first
        while day < end:
            if all(
                day + timedelta(days=step) + pad <= f.start or f.end + pad <= day for f in facts
            ):
                total += cells * len(rule.windows)
            day += timedelta(days=step)
    return total


def measure(db: str, end: date) -> tuple[dict, list]:
    """Alerts scored against the planted facts, and forecast backtests, for one warehouse."""
    start = date(end.year - 2, end.month, 1) + timedelta(days=31)
    engine = make_engine(f"duckdb:///{db}", read_only=True)
    t0 = time.perf_counter()
    catalog = default_catalog()
    alerts = detect_alerts(engine, start, end + timedelta(days=1), catalog=catalog, explain=False)
    detect_s = time.perf_counter() - t0
    result = score(alerts, end, quiet_series_periods=quiet_tests(end, start))
    t0 = time.perf_counter()
    forecasts = []
    for metric in ("complaint_volume", "ticket_volume"):
        for scope in ({}, {"channel": "email"}, {"channel": "app"}, {"region": "east"}):
            r = forecast_volume(engine, metric, 4, scope, end + timedelta(days=1), catalog=catalog)
            b = r.backtest
            assert b is not None
            forecasts.append(
                {
                    "metric": metric,
                    "scope": scope,
                    "mase": round(b.mase, 3),
                    "baseline_mase": round(b.baseline_mase, 3),
                    "smape": round(b.smape, 2),
                    "baseline_smape": round(b.baseline_smape, 2),
                    "coverage_80": round(b.coverage_80, 3),
                    "coverage_95": round(b.coverage_95, 3),
                }
            )
    forecast_s = time.perf_counter() - t0
    engine.dispose()
    report = {
        "db": db,
        "alerts": result.to_dict(),
        "detect_seconds": round(detect_s, 1),
        "forecasts": forecasts,
        "forecast_seconds": round(forecast_s, 1),
    }
    return report, alerts


def show(report: dict, alerts: list, end: date) -> None:
    facts = [f for f in planted_facts(end) if f.is_anomaly]
    a = report["alerts"]
    print(f"== {report['db']}")
    print(f"alerts: {a['alerts']} ({report['detect_seconds']}s), true {a['true_alerts']}")
    print(f"precision {a['precision']:.2f}  recall {a['recall']:.2f}  found {a['found']}")
    print(
        f"quiet span: {a['quiet_alerts']} alerts in {a['quiet_series_periods']} tests "
        f"= {a['false_alert_rate']:.3f} per 1,000"
    )
    for alert in alerts:
        tag = "TRUE " if any(matches(alert, f) for f in facts) else "FALSE"
        tag += " quiet" if quiet(alert, facts) else ""
        print(f"  {tag} {alert.rule}: {alert.headline()}")
    print(f"forecast backtest (4 weeks, 8 rolling origins, {report['forecast_seconds']}s):")
    for f in report["forecasts"]:
        print(
            f"  {f['metric']:<17} {json.dumps(f['scope']):<22} MASE {f['mase']:.2f} "
            f"(snaive {f['baseline_mase']:.2f})  sMAPE {f['smape']:.1f}% "
            f"(snaive {f['baseline_smape']:.1f}%)  cov80 {f['coverage_80']:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, nargs="+", help="DuckDB files of demo warehouses")
    parser.add_argument("--end", default="2026-10-31", help="--end the warehouses were built with")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    end = date.fromisoformat(args.end)
    runs = [measure(db, end) for db in args.db]
    if args.json:
        print(json.dumps([r for r, _ in runs], indent=2, default=str))
        return
    for report, alerts in runs:
        show(report, alerts, end)
    if len(runs) > 1:
        print("\nsummary (warehouse: alerts, precision, recall, quiet alerts per 1,000 tests)")
        for report, _ in runs:
            a = report["alerts"]
            print(
                f"  {report['db']:<32} {a['alerts']:>3}  P {a['precision']:.2f}  "
                f"R {a['recall']:.2f}  quiet {a['false_alert_rate']:.3f}"
            )
        mean = sum(r["alerts"]["precision"] for r, _ in runs) / len(runs)
        print(f"  mean precision {mean:.2f}")


if __name__ == "__main__":
    main()
