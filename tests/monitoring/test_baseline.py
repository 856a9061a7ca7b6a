"""Baseline maths on synthetic series: the minimum-volume guard and holiday adjustment."""

from __future__ import annotations

import numpy as np

from tools.monitoring.baseline import count_scores
from tools.monitoring.detector import _firing
from tools.monitoring.rules import Rule


def _fires(counts: list[float], factors: list[float] | None = None, **rule: object) -> bool:
    r = Rule(name="t", metric="ticket_volume", direction="up", yearly=False, **rule)
    values = np.array(counts, dtype=float)
    f = np.array(factors if factors else [1.0] * len(counts))
    scores = count_scores(values, f, np.zeros(len(values)), k=1, step=1, periods=8, year_lag=None)
    return len(values) - 1 in _firing(scores, r, "count")


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
