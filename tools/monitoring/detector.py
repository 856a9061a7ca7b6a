"""Run one alert rule: fetch the series through the semantic layer, score windows, and merge
consecutive firing windows of a scope into one episode (one alert, not one per week)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from semantic_layer.catalog import Catalog
from semantic_layer.executor import execute
from semantic_layer.plan import PERIOD
from semantic_layer.query import MetricQuery, TimeRange
from tools.monitoring.baseline import Scores, count_scores, proportion_scores
from tools.monitoring.calendar import HolidayCalendar
from tools.monitoring.rules import Rule, metric_kind

ROW_LIMIT = 2_000_000


@dataclass(frozen=True)
class Finding:
    """One episode of one scope of one rule, with the numbers of its strongest window."""

    rule: Rule
    kind: str  # "count" | "proportion"
    scope: tuple[tuple[str, str], ...]
    start: date  # episode, end exclusive
    end: date
    peak_start: date
    peak_end: date
    observed: float
    expected: float
    low: float
    high: float
    score: float
    volume: float
    severity: str
    direction: str
    comparison_start: date
    comparison_end: date


def period_days(grain: str) -> int:
    return 7 if grain == "week" else 1


def period_start(day: date, grain: str) -> date:
    return day - timedelta(days=day.weekday()) if grain == "week" else day


def _layout(rule: Rule) -> tuple[int, int | None, int]:
    """(step between same-weekday windows, lag of one year, periods of history needed)."""
    step = 1 if rule.grain == "week" else 7
    year = 52 if rule.grain == "week" else 364
    k = max(rule.windows)
    need = k + step * (math.ceil(k / step) + rule.baseline_periods)
    return step, year if rule.yearly else None, need + (year if rule.yearly else 0)


def fetch_series(
    rule: Rule, engine: Engine | str, catalog: Catalog, start: date, end: date
) -> tuple[list[date], dict[tuple[str, ...], pd.DataFrame], date | None]:
    """Per scope a frame indexed by period with ``value`` and ``n`` (ratios), data end."""
    query = MetricQuery(
        metrics=(rule.metric,),
        dimensions=rule.dimensions,
        time_grain=rule.grain,
        time_range=TimeRange(start=start, end=end),
    )
    result = execute(query, engine, catalog=catalog, row_limit=ROW_LIMIT)
    step = period_days(rule.grain)
    periods = [start + timedelta(days=step * i) for i in range((end - start).days // step)]
    frame = result.data
    n_col = f"{rule.metric}__n"
    frame = frame.assign(
        value=frame[rule.metric].astype(float),
        n=frame[n_col].astype(float) if n_col in frame.columns else np.nan,
    )
    series: dict[tuple[str, ...], pd.DataFrame] = {}
    keys = list(rule.dimensions)
    groups = frame.groupby(keys, dropna=False) if keys else [((), frame)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in key):
            continue  # tickets without a team/product line cannot be routed to an owner
        series[tuple(str(v) for v in key)] = part.set_index(PERIOD)[["value", "n"]].reindex(periods)
    fresh = result.data_freshness
    return periods, series, fresh.date() + timedelta(days=1) if fresh else None


def evaluate_rule(
    rule: Rule,
    engine: Engine | str,
    catalog: Catalog,
    calendar: HolidayCalendar,
    since: date,
    until: date,
) -> list[Finding]:
    """Findings of ``rule`` whose strongest window ends in [since, until) (end exclusive)."""
    kind = metric_kind(catalog, rule.metric)
    assert kind is not None, "rules are validated before they run"
    step, year_lag, need = _layout(rule)
    days = period_days(rule.grain)
    first = period_start(since, rule.grain) - timedelta(days=days * need)
    last = period_start(until, rule.grain)  # only whole periods before `until`
    if last <= first:
        return []
    periods, series, data_end = fetch_series(rule, engine, catalog, first, last)
    if data_end is not None:
        # The last period must be complete: the warehouse has data up to data_end (exclusive).
        periods_ok = [p + timedelta(days=days) <= data_end for p in periods]
    else:
        periods_ok = [True] * len(periods)
    cal = [calendar.period(p, days) if rule.holidays else (1.0, 0.0) for p in periods]
    factors = np.array([c[0] for c in cal])
    factor_sd = np.array([c[1] for c in cal])
    active = _active_from(series, kind)
    multiplier = catalog.metric(rule.metric).multiplier if kind == "proportion" else 1.0
    z_q = NormalDist().inv_cdf(0.5 + rule.thresholds.interval / 2)
    findings: list[Finding] = []
    for key, frame in series.items():
        hits: list[tuple[int, int, Scores]] = []  # (window end index, k, scores)
        for k in rule.windows:
            scores = _scores(
                frame,
                kind,
                factors,
                factor_sd,
                k,
                step,
                rule,
                year_lag,
                multiplier,
                active,
            )
            for t in _firing(scores, rule, kind):
                start_i = t - k + 1
                if start_i < active or not periods_ok[t]:
                    continue
                window_last_day = periods[t] + timedelta(days=days - 1)
                if not since <= window_last_day < until:
                    continue
                hits.append((t, k, scores))
        if hits:
            scope = tuple(zip(rule.dimensions, key, strict=True))
            findings += _episodes(rule, kind, scope, periods, hits, step, z_q, multiplier)
    return findings


def _active_from(series: dict[tuple[str, ...], pd.DataFrame], kind: str) -> int:
    """Index of the first whole period with data (earlier zeros are 'no data', not 'no
    tickets'); the first period with data may be partial, so start after it."""
    column = "n" if kind == "proportion" else "value"
    if not series:
        return 0
    total = np.sum([f[column].fillna(0).to_numpy(dtype=float) for f in series.values()], axis=0)
    nonzero = np.flatnonzero(total > 0)
    return int(nonzero[0]) + 1 if len(nonzero) else len(total)


def _scores(
    frame: pd.DataFrame,
    kind: str,
    factors: np.ndarray,
    factor_sd: np.ndarray,
    k: int,
    step: int,
    rule: Rule,
    year_lag: int | None,
    multiplier: float,
    active: int,
) -> Scores:
    value = frame["value"].fillna(0).to_numpy(dtype=float, copy=True)
    value[:active] = np.nan  # before the data starts: unknown, not zero
    if kind == "count":
        return count_scores(
            value,
            factors,
            factor_sd,
            k=k,
            step=step,
            periods=rule.baseline_periods,
            year_lag=year_lag,
        )
    n = frame["n"].fillna(0).to_numpy(dtype=float, copy=True)
    n[:active] = np.nan
    numerator = value / multiplier * n  # rates come scaled (x100 for %)
    return proportion_scores(numerator, n, factors, k=k, step=step, periods=rule.baseline_periods)


def _firing(scores: Scores, rule: Rule, kind: str) -> list[int]:
    th = rule.thresholds
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.nan_to_num(scores.z, nan=0.0)
        ratio = scores.observed / scores.expected
        up = (z >= th.warning) & ((ratio >= th.min_ratio) | (scores.expected <= 0))
        down = (z <= -th.warning) & (ratio <= 1 / th.min_ratio)
        if kind == "count":
            up &= scores.observed >= rule.min_volume
            down &= scores.expected >= rule.min_volume
        else:
            up &= scores.volume >= rule.min_volume
            down &= scores.volume >= rule.min_volume
    fire = up if rule.direction == "up" else down if rule.direction == "down" else up | down
    return [int(t) for t in np.flatnonzero(fire)]


def _episodes(
    rule: Rule,
    kind: str,
    scope: tuple[tuple[str, str], ...],
    periods: list[date],
    hits: list[tuple[int, int, Scores]],
    step: int,
    z_q: float,
    multiplier: float,
) -> list[Finding]:
    days = period_days(rule.grain)
    spans = sorted(((t - k + 1, t, k, s) for t, k, s in hits), key=lambda x: x[:3])
    groups: list[list[tuple[int, int, int, Scores]]] = []
    for span in spans:
        if groups and span[0] <= max(g[1] for g in groups[-1]) + 1:
            groups[-1].append(span)
        else:
            groups.append([span])
    out = []
    for group in groups:
        s0, t, k, sc = max(group, key=lambda g: abs(float(g[3].z[g[1]])))
        z = float(sc.z[t])
        expected, sd = float(sc.expected[t]), float(sc.sd[t])
        observed = float(sc.observed[t])
        cap = math.inf if kind == "count" else 1.0
        th = rule.thresholds
        first_hist = s0 - step * (math.ceil(k / step) + rule.baseline_periods - 1)
        out.append(
            Finding(
                rule=rule,
                kind=kind,
                scope=scope,
                start=periods[min(g[0] for g in group)],
                end=periods[max(g[1] for g in group)] + timedelta(days=days),
                peak_start=periods[s0],
                peak_end=periods[t] + timedelta(days=days),
                observed=observed * multiplier,
                expected=expected * multiplier,
                low=max(0.0, expected - z_q * sd) * multiplier,
                high=min(cap, expected + z_q * sd) * multiplier,
                score=z,
                volume=float(sc.volume[t]),
                severity="critical" if abs(z) >= th.critical else "warning",
                direction="up" if z > 0 else "down",
                comparison_start=periods[max(first_hist, 0)],
                comparison_end=periods[s0],
            )
        )
    return out
