"""Small-sample statistics for proportion metrics."""

from __future__ import annotations

import math

import numpy as np

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


def wilson_intervals(
    p: np.ndarray, n: np.ndarray, z: float = 1.96
) -> tuple[np.ndarray, np.ndarray]:
    """``wilson_interval`` over arrays at once (NaN where p is NaN or n <= 0)."""
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    ok = (n > 0) & ~np.isnan(p)
    safe_n = np.where(ok, n, 1.0)
    safe_p = np.where(ok, p, 0.0)
    denom = 1 + z * z / safe_n
    centre = (safe_p + z * z / (2 * safe_n)) / denom
    half = z * np.sqrt(safe_p * (1 - safe_p) / safe_n + z * z / (4 * safe_n * safe_n)) / denom
    low = np.where(ok, np.maximum(0.0, centre - half), np.nan)
    high = np.where(ok, np.minimum(1.0, centre + half), np.nan)
    return low, high
