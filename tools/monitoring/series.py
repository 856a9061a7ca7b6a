"""An alert's metric over the periods before and through its window, with the expected band —
what its chart shows (the chat's alert answer and the alert e-mail draw the same series)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from semantic_layer.catalog import Catalog
from semantic_layer.executor import DEFAULT_TIMEOUT_S, execute
from semantic_layer.periods import add_months
from semantic_layer.query import MetricQuery, TimeRange
from tools.chart_image import Band, LineChart, Mark, Series
from tools.monitoring.alerts import Alert

SERIES_PERIODS = 12  # periods of the metric shown before an alert's window in its chart


def alert_series(
    alert: Alert,
    engine: Engine,
    catalog: Catalog,
    *,
    policy: Any = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> dict[str, Any] | None:
    """The alert's metric at its grain and in its scope from the semantic layer (under
    ``policy``, the reader's row filters), with the expected band and the observed value per
    period of the series (a count over a 7-day window is divided by 7 to sit on a daily
    series; a rate is the window's rate). None when it cannot be run."""
    grain = alert.grain if alert.grain in ("day", "week", "month") else "day"
    if grain == "month":
        start = add_months(alert.peak_start, -SERIES_PERIODS)
    else:
        start = alert.peak_start - timedelta(days=SERIES_PERIODS * (7 if grain == "week" else 1))
    query = MetricQuery(
        metrics=(alert.metric,),
        time_grain=grain,
        time_range=TimeRange(start=start, end=max(alert.period_end, alert.peak_end)),
    )
    for key, value in alert.scope.items():
        query = query.with_filter(key, "=", value)
    try:
        result = execute(query, engine, catalog=catalog, policy=policy, timeout_s=timeout_s)
    except Exception:  # noqa: BLE001 - the chart is optional; the alert stands without it
        return None
    frame = result.data.sort_values("period")
    additive = catalog.metric(alert.metric).type == "simple"
    days = max((alert.peak_end - alert.peak_start).days, 1)
    per = {"day": days, "week": days / 7, "month": days / 30}[grain] if additive else 1
    per = max(per, 1)
    return {
        "metric": alert.metric,
        "grain": grain,
        "points": [
            [str(p)[:10], None if v != v else float(v)]  # NaN -> None (JSON)
            for p, v in zip(frame["period"], frame[alert.metric], strict=True)
        ],
        "window": [alert.peak_start.isoformat(), alert.peak_end.isoformat()],
        "observed": alert.observed / per,
        "expected": alert.expected / per,
        "band": [alert.interval_low / per, alert.interval_high / per],
    }


def series_chart(
    series: dict[str, Any], *, title: str, actual: str, band: str, anomaly: str
) -> LineChart:
    """The chart spec of an ``alert_series``: the metric, the band over the alert's window and
    the anomaly marked at the window's start (labels in the reader's language)."""
    x = tuple(p[0] for p in series["points"])
    window_start, window_end = series["window"]
    inside = [i for i, day in enumerate(x) if window_start <= day < window_end]
    first = inside[0] if inside else max(len(x) - 1, 0)
    last = inside[-1] if inside else first
    low, high = series["band"]
    return LineChart(
        title=title,
        x_labels=tuple(day[5:] if series["grain"] != "month" else day[:7] for day in x),
        series=(Series(actual, tuple(p[1] for p in series["points"])),),
        band=Band(first, last, low, high, f"{band} {low:,.1f}–{high:,.1f}"),
        mark=Mark(first, series["observed"], anomaly),
    )
