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
from semantic_layer.periods import week_start
from semantic_layer.plan import PERIOD
from semantic_layer.query import MetricQuery, TimeRange
from tools.monitoring.baseline import (
    Scores,
    count_scores,
    history_lags,
    proportion_scores,
    share_scores,
)
from tools.monitoring.calendar import HolidayCalendar
from tools.monitoring.rules import Rule, Thresholds, effective_thresholds, metric_kind

ROW_LIMIT = 2_000_000
# How long a festival's backlog keeps rates (SLA, satisfaction) off their baseline.
BACKLOG_DAYS = 14
# How far before ``since`` episodes are looked for: one that began then may still be open.
EPISODE_LOOKBACK_DAYS = 182


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
    threshold: float  # the warning score in force (raised for rules with many scopes)
    direction: str
    comparison_start: date
    comparison_end: date
    ongoing: bool  # still open in the last complete period examined
    latest: float  # the episode's last window (of the peak's length): where it stands now


def period_days(grain: str) -> int:
    return 7 if grain == "week" else 1


def period_start(day: date, grain: str) -> date:
    return week_start(day) if grain == "week" else day


def history_layout(rule: Rule) -> tuple[int, int | None, int]:
    """(step between same-weekday windows, lag of one year, periods of history needed)."""
    step = 1 if rule.grain == "week" else 7
    year = 52 if rule.grain == "week" else 364
    k = max(rule.windows)
    if rule.relative_to is not None:  # disjoint baseline windows (see share_scores)
        need = k + step * math.ceil(k / step) * rule.baseline_periods
    else:
        need = k + step * (math.ceil(k / step) + rule.baseline_periods)
    yearly = rule.uses_last_year
    return step, year if yearly else None, need + (year if yearly else 0)


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
    """Findings (episodes) of ``rule`` that are open at some time in [since, until) (end
    exclusive): an episode that began before ``since`` and is still open is reported too."""
    kind = metric_kind(catalog, rule.metric)
    assert kind is not None, "rules are validated before they run"
    step, year_lag, need = history_layout(rule)
    days = period_days(rule.grain)
    scan_from = since - timedelta(days=EPISODE_LOOKBACK_DAYS)
    first = period_start(scan_from, rule.grain) - timedelta(days=days * need)
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
    shares = _share_scores(series, rule, step, active) if rule.relative_to is not None else None
    multiplier = catalog.metric(rule.metric).multiplier if kind == "proportion" else 1.0
    z_q = NormalDist().inv_cdf(0.5 + rule.thresholds.interval / 2)
    thresholds = effective_thresholds(rule, len(series))
    findings: list[Finding] = []
    for key, frame in series.items():
        hits: list[tuple[int, int, Scores]] = []  # (window end index, k, scores)
        for k in rule.windows:
            scores = (
                shares[k][key]
                if shares is not None
                else _scores(
                    frame, kind, factors, factor_sd, k, step, rule, year_lag, multiplier, active
                )
            )
            for t in _firing(scores, rule, kind, thresholds):
                start_i = t - k + 1
                if start_i < active or not periods_ok[t]:
                    continue
                window_last_day = periods[t] + timedelta(days=days - 1)
                if not scan_from <= window_last_day < until:
                    continue
                hits.append((t, k, scores))
        if hits:
            scope = tuple(zip(rule.dimensions, key, strict=True))
            episodes = _episodes(
                rule, kind, scope, periods, periods_ok, hits, step, z_q, multiplier, thresholds
            )
            findings += [f for f in episodes if f.end > since]
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


def _share_scores(
    series: dict[tuple[str, ...], pd.DataFrame], rule: Rule, step: int, active: int
) -> dict[int, dict[tuple[str, ...], Scores]]:
    """Per window length, every scope scored against the rest of its ``relative_to`` parent
    (all scopes together: they share one dispersion)."""
    assert rule.relative_to is not None
    keep = [i for i, d in enumerate(rule.dimensions) if d in rule.relative_to]
    keys = list(series)
    counts = np.array([series[key]["value"].fillna(0).to_numpy(dtype=float) for key in keys])
    counts[:, :active] = np.nan  # before the data starts: unknown, not zero
    parents = [tuple(key[i] for i in keep) for key in keys]
    totals: dict[tuple[str, ...], np.ndarray] = {}
    for parent, row in zip(parents, counts, strict=True):
        totals[parent] = totals.get(parent, 0.0) + row
    rest = np.array([totals[parent] for parent in parents]) - counts
    out = {}
    for k in rule.windows:
        scores = share_scores(counts, rest, k=k, step=step, periods=rule.baseline_periods)
        out[k] = dict(zip(keys, scores, strict=True))
    return out


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
    backlog = BACKLOG_DAYS // period_days(rule.grain)
    return proportion_scores(
        numerator, n, factors, k=k, step=step, periods=rule.baseline_periods, backlog=backlog
    )


def _firing(scores: Scores, rule: Rule, kind: str, th: Thresholds) -> list[int]:
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
    periods_ok: list[bool],
    hits: list[tuple[int, int, Scores]],
    step: int,
    z_q: float,
    multiplier: float,
    th: Thresholds,
) -> list[Finding]:
    """Consecutive firing windows merged into episodes, each described by its strongest
    window. A rate's episode stays open while the rate stays outside the interval expected
    before it began: the trailing baseline soon absorbs a lasting shift (an e-mail team that
    stays short-staffed), which is when a manager most needs to still see it."""
    days = period_days(rule.grain)
    spans = sorted(((t - k + 1, t, k, s) for t, k, s in hits), key=lambda x: x[:3])
    groups: list[list[tuple[int, int, int, Scores]]] = []
    for span in spans:
        if groups and span[0] <= max(g[1] for g in groups[-1]) + 1:
            groups[-1].append(span)
        else:
            groups.append([span])

    def strength(span: tuple[int, int, int, Scores]) -> float:
        return abs(float(span[3].z[span[1]]))

    episodes: list[tuple[int, int, tuple[int, int, int, Scores]]] = []  # first, last, peak
    for group in groups:
        peak = max(group, key=strength)
        first_i, last_i = min(g[0] for g in group), max(g[1] for g in group)
        if kind == "proportion":
            last_i = _still_open(peak, last_i, rule.min_volume, z_q, periods_ok)
        if episodes and first_i <= episodes[-1][1] + 1:  # the open tail reached the next one
            prev_first, prev_last, prev_peak = episodes[-1]
            episodes[-1] = (prev_first, max(prev_last, last_i), max(prev_peak, peak, key=strength))
        else:
            episodes.append((first_i, last_i, peak))
    out = []
    for first_i, last_i, (s0, t, k, sc) in episodes:
        z = float(sc.z[t])
        expected, sd = float(sc.expected[t]), float(sc.sd[t])
        observed = float(sc.observed[t])
        cap = math.inf if kind == "count" else 1.0
        disjoint = rule.relative_to is not None  # see share_scores
        first_hist = s0 - max(history_lags(k, step, rule.baseline_periods, disjoint=disjoint))
        out.append(
            Finding(
                rule=rule,
                kind=kind,
                scope=scope,
                start=periods[first_i],
                end=periods[last_i] + timedelta(days=days),
                peak_start=periods[s0],
                peak_end=periods[t] + timedelta(days=days),
                observed=observed * multiplier,
                expected=expected * multiplier,
                low=max(0.0, expected - z_q * sd) * multiplier,
                high=min(cap, expected + z_q * sd) * multiplier,
                score=z,
                volume=float(sc.volume[t]),
                severity="critical" if abs(z) >= th.critical else "warning",
                threshold=th.warning,
                direction="up" if z > 0 else "down",
                # The baseline's span, moved to end where the episode began: "why" compares
                # the peak with how things were before, not with the episode's own start.
                comparison_start=periods[max(first_i - (s0 - first_hist), 0)],
                comparison_end=periods[first_i],
                ongoing=last_i + 1 >= len(periods) or not periods_ok[last_i + 1],
                latest=float(sc.observed[last_i]) * multiplier,
            )
        )
    return out


def _still_open(
    peak: tuple[int, int, int, Scores],
    last: int,
    min_volume: int,
    z_q: float,
    periods_ok: list[bool],
) -> int:
    """Index of the last window (of the peak's length) after ``last`` that is still outside
    the peak's interval, in the peak's direction, with enough volume to tell."""
    _, t_peak, _, sc = peak
    expected, sd = float(sc.expected[t_peak]), float(sc.sd[t_peak])
    up = float(sc.z[t_peak]) > 0
    bound = expected + z_q * sd if up else expected - z_q * sd
    t = last + 1
    while t < len(sc.observed) and periods_ok[t]:
        observed, volume = float(sc.observed[t]), float(sc.volume[t])
        if not (math.isfinite(observed) and volume >= min_volume):
            break
        if not (observed > bound if up else observed < bound):
            break
        last, t = t, t + 1
    return last
