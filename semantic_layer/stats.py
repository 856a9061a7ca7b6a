"""Small-sample statistics for proportion metrics."""

from __future__ import annotations

import math

SMALL_N = 30


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
