"""Monitoring benchmark: alert precision/recall against the planted facts, false-alert rate on
the quiet span, and forecast backtest error against seasonal-naive (same run).

    .venv/bin/python benchmarks/bench_monitoring.py --db /tmp/mon40k.duckdb
    .venv/bin/python benchmarks/bench_monitoring.py --db /tmp/mon200k.duckdb --json

Build the warehouses with `servicepilot demo-data --tickets N --seed 7 --end 2026-10-31 --db F`.
Definitions of "found", "true alert" and "quiet span": tools/monitoring/scoring.py.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta

from tools.demo_data.facts import planted_facts
from tools.monitoring.alerts import detect_alerts
from tools.monitoring.forecast import forecast_volume
from tools.monitoring.rules import load_rules
from tools.monitoring.scoring import matches, quiet, score
from tools.warehouse.engine import make_engine


def quiet_tests(end: date, since: date, margin: int = 14) -> int:
    """Series-periods tested in the quiet span (approximate denominator: rule cells x
    periods), for a false-alert rate per 1,000 tests."""
    from tools.monitoring.rules import SCOPE_DIMENSIONS  # noqa: F401  (documented dims)

    sizes = {"region": 7, "channel": 7, "product_line": 7, "category": 7, "team": 14}
    facts = [f for f in planted_facts(end) if f.is_anomaly]
    pad = timedelta(days=margin)
    total = 0
    for rule in load_rules().rules:
        cells = 1
        for d in rule.dimensions:
            cells *= sizes[d]
        step = 7 if rule.grain == "week" else 1
        first = since + timedelta(days=371) if rule.yearly else since + timedelta(days=70)
        day = first
        while day < end:
            if all(
                day + timedelta(days=step) + pad <= f.start or f.end + pad <= day for f in facts
            ):
                total += cells * len(rule.windows)
            day += timedelta(days=step)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="DuckDB file of a demo warehouse")
    parser.add_argument("--end", default="2026-10-31", help="--end the warehouse was built with")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    end = date.fromisoformat(args.end)
    start = date(end.year - 2, end.month, 1) + timedelta(days=31)
    engine = make_engine(f"duckdb:///{args.db}", read_only=True)
    t0 = time.perf_counter()
    alerts = detect_alerts(engine, start, end + timedelta(days=1), explain=False)
    detect_s = time.perf_counter() - t0
    facts = [f for f in planted_facts(end) if f.is_anomaly]
    result = score(alerts, end, quiet_series_periods=quiet_tests(end, start))
    t0 = time.perf_counter()
    forecasts = []
    for metric in ("complaint_volume", "ticket_volume"):
        for scope in ({}, {"channel": "email"}, {"channel": "app"}, {"region": "east"}):
            r = forecast_volume(engine, metric, 4, scope, end + timedelta(days=1))
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
        "db": args.db,
        "alerts": result.to_dict(),
        "detect_seconds": round(detect_s, 1),
        "forecasts": forecasts,
        "forecast_seconds": round(forecast_s, 1),
    }
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return
    print(f"alerts: {result.alerts} ({detect_s:.1f}s), true {result.true_alerts}")
    print(f"precision {result.precision:.2f}  recall {result.recall:.2f}  found {result.found}")
    print(
        f"quiet span: {result.quiet_alerts} alerts in {result.quiet_series_periods} tests "
        f"= {result.false_alert_rate:.3f} per 1,000"
    )
    for a in alerts:
        tag = "TRUE " if any(matches(a, f) for f in facts) else "FALSE"
        tag += " quiet" if quiet(a, facts) else ""
        print(f"  {tag} {a.rule}: {a.headline()}")
    print(f"forecast backtest (4 weeks, 8 rolling origins, {forecast_s:.1f}s):")
    for f in forecasts:
        print(
            f"  {f['metric']:<17} {json.dumps(f['scope']):<22} MASE {f['mase']:.2f} "
            f"(snaive {f['baseline_mase']:.2f})  sMAPE {f['smape']:.1f}% "
            f"(snaive {f['baseline_smape']:.1f}%)  cov80 {f['coverage_80']:.2f}"
        )


if __name__ == "__main__":
    main()
