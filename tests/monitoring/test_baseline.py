"""Baseline maths on synthetic series: the minimum-volume guard, holiday adjustment, exact
small-count tails, shares against the other scopes, the noise budget and festival backlogs."""

from __future__ import annotations

import numpy as np

from tools.monitoring.baseline import count_scores, count_z, proportion_scores, share_scores
from tools.monitoring.detector import _firing
from tools.monitoring.rules import Rule, effective_thresholds


def _fires(counts: list[float], factors: list[float] | None = None, **rule: object) -> bool:
    r = Rule(name="t", metric="ticket_volume", direction="up", yearly=False, **rule)
    values = np.array(counts, dtype=float)
    f = np.array(factors if factors else [1.0] * len(counts))
    scores = count_scores(values, f, np.zeros(len(values)), k=1, step=1, periods=8, year_lag=None)
    return len(values) - 1 in _firing(scores, r, "count", r.thresholds)


def test_tiny_scope_doubling_does_not_alert() -> None:
    # 3 a week, then 6: +100 % but six tickets are no evidence (and below min_volume).
    assert not _fires([3] * 12 + [6], min_volume=20)
    assert not _fires([3] * 12 + [9], min_volume=20)


def test_large_scope_doubling_alerts() -> None:
    assert _fires([300, 310, 290, 305, 295, 300, 302, 298, 301, 299, 300, 304, 600])


def test_expected_festival_peak_is_not_an_alert() -> None:
    history = [300.0] * 12
    # Calendar says 1.9x this week: 570 is what was expected.
    assert not _fires([*history, 570], factors=[1.0] * 12 + [1.9])
    # Without the calendar the same week would alert.
    assert _fires([*history, 570])


def test_small_counts_are_scored_by_their_exact_tail() -> None:
    # 12 where 3 were expected: the normal approximation says z 5.2; the Poisson tail
    # P(X >= 12 | 3) = 7e-5 is z 3.8. Large counts agree with the normal approximation.
    small = count_z(np.array([12.0]), np.array([3.0]), np.array([3.0]))[0]
    assert 3.6 < small < 4.0
    large = count_z(np.array([1100.0]), np.array([1000.0]), np.array([1000.0]))[0]
    assert abs(large - 100 / np.sqrt(1000)) < 0.1
    drop = count_z(np.array([700.0]), np.array([1000.0]), np.array([1000.0]))[0]
    assert drop < -8


def _regions(weeks: int, season: np.ndarray, surge: dict[int, float]) -> np.ndarray:
    """Weekly counts of 7 regions of unequal size under a common season, with surges."""
    rng = np.random.default_rng(3)
    size = np.array([30.0, 20, 15, 10, 8, 5, 4])
    rows = []
    for r, base in enumerate(size):
        mean = base * season * np.where(np.arange(weeks) >= weeks - 3, surge.get(r, 1.0), 1.0)
        rows.append(rng.poisson(mean).astype(float))
    return np.array(rows)


def _share_fires(counts: np.ndarray) -> set[int]:
    rule = Rule(
        name="t",
        metric="complaint_volume",
        dimensions=("region", "category"),
        relative_to=("category",),
        windows=(3,),
        direction="up",
        min_volume=10,
    )
    rest = counts.sum(axis=0) - counts
    scores = share_scores(counts, rest, k=3, step=1, periods=8)
    last = counts.shape[1] - 1
    return {r for r, s in enumerate(scores) if last in _firing(s, rule, "count", rule.thresholds)}


def test_share_rule_ignores_a_season_all_regions_share() -> None:
    # Every region's volume rises 2.5x over the last three weeks (a product's season): a
    # region's own past would call that a surge; against the other regions it is normal.
    season = np.where(np.arange(40) >= 37, 2.5, 1.0)
    counts = _regions(40, season, {})
    assert _share_fires(counts) == set()
    own_past = count_scores(
        counts[0], np.ones(40), np.zeros(40), k=3, step=1, periods=8, year_lag=None
    )
    assert own_past.z[-1] > 5


def test_share_rule_finds_one_region_surging_inside_a_season() -> None:
    season = np.where(np.arange(40) >= 37, 2.5, 1.0)
    assert _share_fires(_regions(40, season, {2: 3.0})) == {2}


def test_noise_budget_raises_the_threshold_of_rules_with_many_scopes() -> None:
    rule = Rule(name="t", metric="complaint_volume", windows=(2, 3), direction="up")
    few, many = effective_thresholds(rule, 7), effective_thresholds(rule, 343)
    assert few.warning == rule.thresholds.warning == 4.0
    # 343 scopes x 2 windows x 52 weeks = 35,672 tests a year; 1 false alert a year: p = 2.8e-5.
    assert many.warning == 4.03 and many.critical >= many.warning
    stricter = rule.model_copy(
        update={"thresholds": rule.thresholds.model_copy(update={"false_alerts_per_year": 0.1})}
    )
    assert effective_thresholds(stricter, 343).warning > many.warning


def test_rates_after_a_festival_wait_out_its_backlog() -> None:
    # A rate (e.g. SLA breaches) rises for two weeks after a festival week (factor 1.9).
    weeks = 30
    n = np.full(weeks, 400.0)
    rate = np.where(np.arange(weeks) >= weeks - 2, 0.24, 0.15)
    factors = np.ones(weeks)
    factors[weeks - 3] = 1.9
    rule = Rule(name="t", metric="sla_breach_rate", direction="up", min_volume=30)

    def fires(backlog: int) -> bool:
        scores = proportion_scores(rate * n, n, factors, k=1, step=1, periods=8, backlog=backlog)
        return weeks - 1 in _firing(scores, rule, "proportion", rule.thresholds)

    assert fires(backlog=0)
    assert not fires(backlog=2)
