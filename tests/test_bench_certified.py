"""The large-warehouse benchmark runs every certified metric and stops on a wrong number."""

from __future__ import annotations

from benchmarks.bench_certified import measure
from semantic_layer.catalog_loader import default_catalog


def test_every_certified_metric_is_timed_after_the_hand_sql_check(demo_warehouse_path):
    results = measure(demo_warehouse_path, rounds=1)
    certified = {m.name for m in default_catalog().metrics.values() if m.certified}
    assert set(results["per_query"]) == certified
    assert results["tickets"] == 40_000
    assert all(r["p95_ms"] >= r["p50_ms"] > 0 for r in results["per_query"].values())
    assert results["peak_rss_mb"] > 0
