"""The warehouse smoke test of a spec: referenced tables and columns exist, and every metric
runs once. Its own module: it needs the executor, which the static rules must not import."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from semantic_layer.catalog import Catalog
from semantic_layer.executor import execute
from semantic_layer.issues import Issue
from semantic_layer.loader import LoadedSpec
from semantic_layer.query import MetricQuery, TimeRange
from semantic_layer.validation import _did_you_mean, _issue

__all__ = ["smoke_test"]


def smoke_test(loaded: LoadedSpec, engine: sa.Engine, *, today: date | None = None) -> list[Issue]:
    """Check referenced tables/columns exist and run every metric once (no dims)."""
    cat = Catalog(loaded.spec, loaded)
    inspector = sa.inspect(engine)
    tables = set(inspector.get_table_names())
    issues: list[Issue] = []
    for model in loaded.spec.models:
        if model.table not in tables:
            issues.append(
                _issue(
                    loaded,
                    "smoke",
                    "models",
                    model.name,
                    ("table",),
                    f"Table '{model.table}' does not exist in the warehouse.",
                    _did_you_mean(model.table, sorted(tables)),
                )
            )
            continue
        have = {c["name"] for c in inspector.get_columns(model.table)}
        wanted = (
            [("primary_key",), model.primary_key],
            *[[("dimensions", i, "column"), d.column_name] for i, d in enumerate(model.dimensions)],
        )
        for path, col in wanted:
            if col not in have:
                issues.append(
                    _issue(
                        loaded,
                        "smoke",
                        "models",
                        model.name,
                        tuple(path),
                        f"Column '{model.table}.{col}' does not exist.",
                        _did_you_mean(col, sorted(have)),
                    )
                )
    if issues:
        return issues
    end = today or date.today()
    window = TimeRange(start=date(end.year - 1, end.month, 1), end=end)
    for metric in loaded.spec.metrics:
        try:
            execute(MetricQuery(metrics=(metric.name,), time_range=window), engine, catalog=cat)
        except Exception as exc:  # any failure is a finding, reported with the metric's line
            issues.append(
                _issue(
                    loaded,
                    "smoke",
                    "metrics",
                    metric.name,
                    (),
                    f"Running the metric failed: {type(exc).__name__}: "
                    f"{str(exc).splitlines()[0][:300]}",
                    "Check the measure columns against the warehouse schema.",
                )
            )
    return issues
