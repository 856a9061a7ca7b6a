"""Small-sample statistics for proportion metrics."""

from __future__ import annotations

import math
from collections.abc import Sequence

SMALL_N = 30
# A count's relative change needs a base: 2 → 6 complaints is +200 % and says little. A group
# that counted fewer than this in the period compared against is not ranked by its relative
# change: it sorts after the others (compiler) and the answer names it (result flag
# ``<metric>__small_base``).
MIN_RELATIVE_BASE = SMALL_N


def wilson_interval(p: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion ``p`` (0..1) observed on ``n`` trials.

    Unlike p ± z·sqrt(p(1-p)/n) it stays inside [0, 1] and is honest for small n and p near 0
    or 1, which is exactly when a dashboard number is most misleading.
    """
    if n <= 0:
        return (math.nan, math.nan)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def wilson_intervals(
    p: Sequence[float], n: Sequence[int], z: float = 1.96
) -> tuple[list[float], list[float]]:
    """``wilson_interval`` over columns of values (NaN where p is NaN or n <= 0)."""
    lows: list[float] = []
    highs: list[float] = []
    nan = math.nan
    for share, count in zip(p, n, strict=True):
        share, count = float(share), float(count)
        if count > 0 and share == share:  # share == share: not NaN
            # a share outside 0..1 has no interval (NaN, as numpy's sqrt of a negative gave);
            # try/except, not contextlib.suppress: this runs once per result row
            try:
                low, high = wilson_interval(share, count, z)  # type: ignore[arg-type]
            except ValueError:
                low = high = nan
        else:
            low = high = nan
        lows.append(low)
        highs.append(high)
    return lows, highs


CHANGE_Z = 1.96  # a change this many standard errors from the previous value (95 %)


def change_z(
    current: float | None,
    previous: float | None,
    unit: str,
    kind: str,
    n: float | None = None,
    n_previous: float | None = None,
    previous_scale: float = 1.0,
) -> float | None:
    """How far a change lies beyond sampling noise, as a z-score; None when the metric's kind
    gives no way to judge it (the caller then says nothing about noise).

    - a % (a share of n): two proportions, on ``n`` and ``n_previous`` answers;
    - points (NPS, -100..100): one answer varies by at most 1 in 0..1 units;
    - a count of events (``kind`` simple): Poisson, var = current + previous; a previous count
      already scaled to the current period's length (x ``previous_scale``) has var
      ``previous_scale`` x previous (a longer previous period measured its rate more finely);
    - a median of durations (``kind`` percentile): log-duration spread taken as 1, the se of a
      median 1.2533·sd/√n.
    ``n_previous`` defaults to ``n`` when only the current sample size is known.
    """
    if current is None or previous is None:
        return None
    if current == previous:
        return 0.0
    n0 = n_previous if n_previous else n
    if unit == "%" and n and n0:
        p1, p0 = current / 100, previous / 100
        se = math.sqrt(max(p1 * (1 - p1) / n + p0 * (1 - p0) / n0, 1e-12))
        return abs(p1 - p0) / se
    if unit == "points" and n and n0:
        return abs(current - previous) / 100 / math.sqrt(1 / n + 1 / n0)
    if kind == "simple":
        return abs(current - previous) / math.sqrt(max(current + previous_scale * previous, 1.0))
    if kind == "percentile" and n and n0 and current > 0 and previous > 0:
        return abs(math.log(current / previous)) / (1.2533 * math.sqrt(1 / n + 1 / n0))
    return None
