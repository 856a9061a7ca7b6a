"""Alerts: findings of every rule, with owner, top contributing sub-dimensions and the link
the "why" analysis needs (metric, scope filters, period, comparison period)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from semantic_layer.catalog import Catalog
from semantic_layer.executor import execute
from semantic_layer.query import MetricQuery, TimeRange
from tools.monitoring.detector import Finding, evaluate_rule
from tools.monitoring.rules import SCOPE_DIMENSIONS, MonitoringConfig, load_rules

SEVERITY_ORDER = {"critical": 0, "warning": 1}


@dataclass(frozen=True)
class Contributor:
    dimension: str
    value: str
    observed: float
    expected: float
    share_of_change: float  # of the scope's excess (or shortfall) in the direction of the alert


@dataclass(frozen=True)
class Alert:
    rule: str
    metric: str
    metric_label_zh: str
    metric_label_en: str
    unit: str
    scope: dict[str, str]
    grain: str
    period_start: date  # the episode (end exclusive)
    period_end: date
    peak_start: date  # the window the numbers below describe
    peak_end: date
    observed: float
    expected: float
    interval_low: float
    interval_high: float
    interval_level: float
    score: float  # normal-equivalent score of observed against the baseline
    direction: str
    severity: str
    threshold: float  # warning score in force for this rule (see effective_thresholds)
    volume: float  # events (counts) or observations (ratios) behind the window
    owner: str
    holidays: tuple[str, ...]
    comparison_start: date
    comparison_end: date
    contributors: tuple[Contributor, ...] = ()
    # Empty: compared with the scope's own past. Else compared with the other scopes that
    # share these dimensions' values (e.g. other regions, same product line and category).
    relative_to: tuple[str, ...] = ()
    ongoing: bool = False  # still open in the last complete period examined
    latest: float | None = None  # the episode's last window (of the peak's length)

    @property
    def filters(self) -> list[dict[str, Any]]:
        return [{"field": k, "op": "=", "values": [v]} for k, v in self.scope.items()]

    def why_link(self) -> dict[str, Any]:
        """What the UI needs to open the root-cause view for this alert."""
        query = MetricQuery.model_validate(
            {
                "metrics": [self.metric],
                "time_range": {"start": self.peak_start, "end": self.peak_end},
                "filters": self.filters,
            }
        )
        return {
            "metric": self.metric,
            "scope": dict(self.scope),
            "filters": self.filters,
            "period": {"start": self.peak_start.isoformat(), "end": self.peak_end.isoformat()},
            "comparison_period": {
                "start": self.comparison_start.isoformat(),
                "end": self.comparison_end.isoformat(),
            },
            "query": query.model_dump(mode="json", exclude_defaults=True),
        }

    @property
    def basis(self) -> str:
        """What 'expected' was derived from, in words."""
        if not self.relative_to:
            return "own past"
        others = " x ".join(d for d in self.scope if d not in self.relative_to)
        return f"other {others} values, same {' and '.join(self.relative_to)}"

    def headline(self) -> str:
        scope = ", ".join(f"{k}={v}" for k, v in self.scope.items()) or "all"
        versus = f" from {self.basis}" if self.relative_to else ""
        return (
            f"[{self.severity}] {self.metric} ({scope}) {self.peak_start}..{self.peak_end}: "
            f"{self.observed:,.1f} vs expected {self.expected:,.1f} "
            f"[{self.interval_low:,.1f}, {self.interval_high:,.1f}]{versus}, "
            f"score {self.score:+.1f}"
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("observed", "expected", "interval_low", "interval_high", "score", "volume"):
            data[key] = round(float(data[key]), 3)
        for key, value in data.items():
            if isinstance(value, date):
                data[key] = value.isoformat()
        data["holidays"] = list(self.holidays)
        data["relative_to"] = list(self.relative_to)
        data["basis"] = self.basis
        data["why"] = self.why_link()
        return data


def _alert(finding: Finding, catalog: Catalog, config: MonitoringConfig) -> Alert:
    metric = catalog.metric(finding.rule.metric)
    span = (finding.peak_end - finding.peak_start).days
    holidays = config.holiday_calendar().names_on(finding.peak_start, span) if span else []
    return Alert(
        rule=finding.rule.name,
        metric=metric.name,
        metric_label_zh=metric.label.zh,
        metric_label_en=metric.label.en,
        unit=metric.unit,
        scope=dict(finding.scope),
        grain=finding.rule.grain,
        period_start=finding.start,
        period_end=finding.end,
        peak_start=finding.peak_start,
        peak_end=finding.peak_end,
        observed=finding.observed,
        expected=finding.expected,
        interval_low=finding.low,
        interval_high=finding.high,
        interval_level=finding.rule.thresholds.interval,
        score=finding.score,
        direction=finding.direction,
        severity=finding.severity,
        threshold=finding.threshold,
        volume=finding.volume,
        owner=finding.rule.owner or metric.owner,
        holidays=tuple(holidays),
        comparison_start=finding.comparison_start,
        comparison_end=finding.comparison_end,
        relative_to=finding.rule.relative_to or (),
        ongoing=finding.ongoing,
        latest=finding.latest,
    )


def contributors(
    alert: Alert, engine: Engine | str, catalog: Catalog, top: int = 3
) -> tuple[Contributor, ...]:
    """Sub-scopes (one more dimension) that carry most of the change, through the semantic
    layer: each value's change against its own rate in the comparison period."""
    kind_ratio = catalog.metric(alert.metric).type == "ratio"
    rows: list[Contributor] = []
    for dim in SCOPE_DIMENSIONS:
        if dim in alert.scope:
            continue
        parts = []
        for start, end in (
            (alert.comparison_start, alert.comparison_end),
            (alert.peak_start, alert.peak_end),
        ):
            query = MetricQuery(
                metrics=(alert.metric,),
                dimensions=(dim,),
                time_range=TimeRange(start=start, end=end),
            )
            for key, value in alert.scope.items():
                query = query.with_filter(key, "=", value)
            parts.append(execute(query, engine, catalog=catalog).data.set_index(dim))
        base, now = parts
        # Counts: spread the alert's expected (holiday- and season-adjusted) over the values in
        # proportion to their share of the comparison period.
        base_total = float(base[alert.metric].fillna(0).sum()) if not kind_ratio else 0.0
        for value in now.index:
            if value is None or pd.isna(value):
                continue
            obs = float(now.at[value, alert.metric] or 0)
            ref = float(base.at[value, alert.metric]) if value in base.index else float("nan")
            if kind_ratio:
                n = float(now.at[value, f"{alert.metric}__n"])
                expected = ref if ref == ref else obs  # NaN: nothing to compare with
                impact = (obs - expected) * n
            else:
                ref = 0.0 if ref != ref else ref
                expected = alert.expected * ref / base_total if base_total else 0.0
                impact = obs - expected
            rows.append(Contributor(dim, str(value), obs, expected, impact))
    sign = 1 if alert.direction == "up" else -1
    rows = [r for r in rows if r.share_of_change * sign > 0]
    rows.sort(key=lambda r: -r.share_of_change * sign)
    by_dim: dict[str, float] = {}
    for r in rows:
        by_dim[r.dimension] = by_dim.get(r.dimension, 0.0) + r.share_of_change
    out = []
    for r in rows[:top]:
        total = by_dim[r.dimension]
        out.append(
            Contributor(
                r.dimension,
                r.value,
                round(r.observed, 3),
                round(r.expected, 3),
                round(r.share_of_change / total, 3) if total else 0.0,
            )
        )
    return tuple(out)


def detect_alerts(
    engine: Engine | str,
    since: date,
    until: date,
    *,
    catalog: Catalog,
    rules: MonitoringConfig | str | Path | None = None,
    explain: bool = True,
) -> list[Alert]:
    """Alerts (episodes) open at some time in [since, until), most severe first; one that
    began before ``since`` and is still open is included, described by its strongest window.
    ``catalog`` is the application's: after a reload, rules and values use the new one."""
    config = rules if isinstance(rules, MonitoringConfig) else load_rules(rules, catalog)
    calendar = config.holiday_calendar()
    alerts = [
        _alert(f, catalog, config)
        for rule in config.rules
        for f in evaluate_rule(rule, engine, catalog, calendar, since, until)
    ]
    if explain:
        alerts = [
            Alert(**{**_fields(a), "contributors": contributors(a, engine, catalog)})
            for a in alerts
        ]
    alerts.sort(key=lambda a: (SEVERITY_ORDER[a.severity], -abs(a.score)))
    return alerts


def _fields(alert: Alert) -> dict[str, Any]:
    return {f: getattr(alert, f) for f in alert.__dataclass_fields__}


def current_alerts(
    engine_or_url: Engine | str,
    today: date,
    *,
    catalog: Catalog,
    lookback_days: int = 28,
    rules: MonitoringConfig | str | Path | None = None,
    explain: bool = True,
) -> list[Alert]:
    """Alerts for the cockpit and chat: episodes open in the ``lookback_days`` before
    ``today`` (a lasting problem that began earlier included)."""
    return detect_alerts(
        engine_or_url,
        today - timedelta(days=lookback_days),
        today,
        rules=rules,
        catalog=catalog,
        explain=explain,
    )
