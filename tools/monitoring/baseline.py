"""Seasonal, robust baselines and deviation scores for one series (vectorised over periods).

For a window of ``k`` periods ending at each period ``t`` the baseline is built from the same
window shifted back by whole weeks (same weekdays at daily grain), ``B`` times:

* counts: holiday-adjusted counts (count / calendar factor); the level is the interquartile
  mean of the ``B`` shifted windows (robust to a past spike or a festival the calendar missed),
  times the calendar factor of the window, times last year's seasonal ratio (shrunk towards 1
  for small series), with quasi-Poisson variance plus the baseline's own uncertainty;
* proportions: the pooled rate of the middle half of the shifted windows, with binomial
  variance plus the between-window variance the history shows.

Arrays hold NaN where the history is too short to judge.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

# Pseudo-count (adjusted events) pulling last year's seasonal ratio towards 1: a small series'
# ratio is mostly noise, a large one's is trusted.
SEASONAL_PRIOR = 10.0


@dataclass(frozen=True)
class Scores:
    observed: np.ndarray
    expected: np.ndarray
    sd: np.ndarray
    z: np.ndarray
    volume: np.ndarray  # events (counts) or denominator (proportions) in the window


def window_sum(values: np.ndarray, k: int) -> np.ndarray:
    """Sum of ``values[t-k+1 .. t]`` at each ``t`` (NaN before ``k`` values exist)."""
    out = np.full(len(values), np.nan)
    if len(values) >= k:
        # Not a cumulative sum: a NaN (no data yet) must only blank the windows it is in.
        out[k - 1 :] = np.lib.stride_tricks.sliding_window_view(values, k).sum(axis=1)
    return out


def shift(values: np.ndarray, lag: int) -> np.ndarray:
    """``values[t - lag]`` at each ``t`` (NaN where it falls before the start)."""
    out = np.full(len(values), np.nan)
    if 0 <= lag < len(values):
        out[lag:] = values[: len(values) - lag]
    return out


def history(windows: np.ndarray, k: int, step: int, periods: int) -> np.ndarray:
    """Matrix [t, j]: the window ``step * (j0 + j)`` periods earlier, not overlapping ``t``'s."""
    first = math.ceil(k / step)
    return np.stack([shift(windows, step * (first + j)) for j in range(periods)], axis=1)


def _middle(matrix: np.ndarray) -> np.ndarray:
    """The middle half of each row after sorting (NaN rows stay NaN)."""
    b = matrix.shape[1]
    cut = b // 4
    return np.sort(matrix, axis=1)[:, cut : b - cut]


def count_scores(
    counts: np.ndarray,
    factors: np.ndarray,
    factor_sd: np.ndarray,
    *,
    k: int,
    step: int,
    periods: int,
    year_lag: int | None,
) -> Scores:
    adjusted = counts / factors
    obs = window_sum(counts, k)
    adj_w = window_sum(adjusted, k)
    hist = history(adj_w, k, step, periods)
    mid = _middle(hist)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows before history exists
        level = np.where(np.isfinite(hist).all(axis=1), mid.mean(axis=1), np.nan)
        q75, q25 = np.percentile(hist, [75, 25], axis=1) if len(hist) else (level, level)
        spread = ((q75 - q25) / 1.349) ** 2
        phi = np.clip(spread / np.maximum(level, 0.5), 1.0, 20.0)
        factor = window_sum(factors, k) / k
        f_sd = window_sum(factor_sd, k) / k
        season = np.ones(len(counts))
        var_log_season = np.zeros(len(counts))
        if year_lag:
            ly_window = shift(adj_w, year_lag)
            ly_level = shift(level, year_lag)
            ok = np.isfinite(ly_window) & np.isfinite(ly_level)
            # Gamma-Poisson posterior mean of the ratio, shrunk towards 1 for thin series.
            ratio = (ly_window + SEASONAL_PRIOR) / (ly_level + SEASONAL_PRIOR)
            # A seasonal series cannot be judged without a year of history: not judged (NaN).
            season = np.where(ok, ratio, np.nan)
            var_log_season = np.where(
                ok,
                1.0 / (ly_window + SEASONAL_PRIOR) + 1.5 / (periods * ly_level + SEASONAL_PRIOR),
                0.0,
            )
        expected = level * factor * season
        b_eff = periods / 1.5  # a trimmed mean is less efficient than a plain one
        var = (
            phi * expected
            + phi * expected**2 / np.maximum(level * b_eff, 1.0)
            + expected**2 * (var_log_season + f_sd**2)
        )
        sd = np.sqrt(np.maximum(var, 0.25))
        diff = obs - expected
        z = np.sign(diff) * np.maximum(np.abs(diff) - 0.5, 0.0) / sd
    return Scores(obs, expected, sd, z, obs)


def proportion_scores(
    numerator: np.ndarray,
    denominator: np.ndarray,
    factors: np.ndarray,
    *,
    k: int,
    step: int,
    periods: int,
) -> Scores:
    """``factors``: holiday volume factors; busy festival days shift rates too (slower
    responses), so the interval widens with the log of the load change instead of alerting."""
    num_w = window_sum(numerator, k)
    den_w = window_sum(denominator, k)
    h_num = history(num_w, k, step, periods)
    h_den = history(den_w, k, step, periods)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rates = h_num / h_den
        order = np.argsort(np.where(np.isnan(rates), np.inf, rates), axis=1)
        cut = periods // 4
        keep = order[:, cut : periods - cut]
        mid_num = np.take_along_axis(h_num, keep, axis=1).sum(axis=1)
        mid_den = np.take_along_axis(h_den, keep, axis=1).sum(axis=1)
        p0 = mid_num / mid_den
        binom = p0 * (1 - p0)
        filled = np.where(np.isnan(rates), p0[:, None], rates)  # windows without responses
        q75, q25 = np.percentile(filled, [75, 25], axis=1) if len(rates) else (p0, p0)
        between = ((q75 - q25) / 1.349) ** 2 - np.nanmean(binom[:, None] / h_den, axis=1)
        tau2 = np.clip(np.nan_to_num(between), 0.0, None)
        observed = num_w / den_w
        load = np.log(window_sum(factors, k) / k)
        var = binom / den_w + tau2 + binom / mid_den + (p0 * load) ** 2
        # Floor: a rate of 0 % or 100 % in the baseline must not make every change infinite.
        floor = (1.0 / np.maximum(den_w, 1.0)) ** 2
        sd = np.sqrt(np.maximum(var, floor))
        z = (observed - p0) / sd
    history_ok = np.isfinite(h_den).all(axis=1) & (mid_den > 0)
    p0 = np.where(history_ok, p0, np.nan)
    return Scores(observed, p0, sd, np.where(history_ok, z, np.nan), den_w)
