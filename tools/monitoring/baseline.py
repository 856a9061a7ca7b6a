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


def _stats():  # -> the scipy.stats module
    """scipy.stats, imported on first use: it takes about a second to import, and loading the
    app (the CLI's `ask`, the server) must not pay for it before an alert is computed."""
    from scipy import stats

    return stats


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


def rolling_max(values: np.ndarray, width: int) -> np.ndarray:
    """Max of ``values[t-width+1 .. t]`` at each ``t`` (over what exists at the start)."""
    padded = np.concatenate([np.full(width - 1, -np.inf), values])
    return np.lib.stride_tricks.sliding_window_view(padded, width).max(axis=1)


def shift(values: np.ndarray, lag: int) -> np.ndarray:
    """``values[t - lag]`` at each ``t`` (NaN where it falls before the start)."""
    out = np.full(len(values), np.nan)
    if 0 <= lag < len(values):
        out[lag:] = values[: len(values) - lag]
    return out


def history(
    windows: np.ndarray, k: int, step: int, periods: int, *, disjoint: bool = False
) -> np.ndarray:
    """Matrix [t, j]: the window ``step * (j0 + j)`` periods earlier, not overlapping ``t``'s.
    ``disjoint``: the shifted windows do not overlap each other either (independent samples,
    reaching further back)."""
    lags = history_lags(k, step, periods, disjoint=disjoint)
    return np.stack([shift(windows, lag) for lag in lags], axis=1)


def history_lags(k: int, step: int, periods: int, *, disjoint: bool = False) -> list[int]:
    """How many periods back each baseline window of :func:`history` ends (and starts)."""
    first = math.ceil(k / step)
    return [step * first * (j + 1) if disjoint else step * (first + j) for j in range(periods)]


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
    return Scores(obs, expected, sd, count_z(obs, expected, sd**2), obs)


def tail_z(above: np.ndarray, upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """The normal deviate with the same tail: from P(X >= x) where ``above`` the centre, else
    minus the one from P(X <= x). Tails below 1e-300 count as 1e-300 (z about 37)."""
    return np.where(
        above,
        _stats().norm.isf(np.clip(upper, 1e-300, 0.5)),
        -_stats().norm.isf(np.clip(lower, 1e-300, 0.5)),
    )


def count_z(observed: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Signed normal-equivalent score of a count: the exact tail probability of ``observed``
    under a negative binomial with this mean and variance (Poisson when var <= mean), mapped to
    the normal deviate with the same tail. Small counts are skewed: 12 where 3 were expected is
    z 5.2 by the normal approximation but only 3.9 here, which is what it really is."""
    z = np.full(len(observed), np.nan)
    ok = np.isfinite(observed) & np.isfinite(mean) & np.isfinite(var) & (mean > 0)
    x, mu = np.round(observed[ok]), mean[ok]
    v = np.maximum(var[ok], mu * (1 + 1e-9))
    size = mu**2 / (v - mu)  # NB(size, prob): mean mu, variance v
    prob = size / (size + mu)
    upper = _stats().nbinom.sf(x - 1, size, prob)  # P(X >= x)
    lower = _stats().nbinom.cdf(x, size, prob)  # P(X <= x)
    z[ok] = tail_z(x >= mu, upper, lower)
    # Nothing expected and something seen: as strong as the evidence the count alone gives.
    none_expected = np.isfinite(observed) & (mean == 0)
    z[none_expected] = np.where(observed[none_expected] > 0, observed[none_expected], 0.0)
    return z


# Trimmed mean of chi-square(1) below its 99th percentile, relative to its full mean of 1:
# P(chi2_3 < 6.635) / 0.99. Divides the trimmed mean of Pearson residuals back to a dispersion.
TRIMMED_CHI2_MEAN = 0.925


def share_scores(
    counts: np.ndarray,
    rest: np.ndarray,
    *,
    k: int,
    step: int,
    periods: int,
) -> list[Scores]:
    """Counts judged against the rest of their parent, one row per scope (e.g. each region
    against the other regions for the same product line and category).

    The baseline share pools the middle half of ``periods`` disjoint earlier windows (ranked by
    share; shares carry no season, so the baseline may reach back that far). Seasons and
    holidays that move the whole parent cancel in the share.

    * score: the tail of the window's count among the window's parent total under a
      beta-binomial (the binomial at the baseline share, widened by how few events the baseline
      holds), with one overdispersion ``phi`` for the whole rule applied as a design effect;
    * expected and interval (for people): the baseline ratio scope/rest times this window's
      rest, i.e. what the scope would be had it kept its usual proportion to the others.

    ``phi`` comes from every scope's one-step-ahead Pearson residuals (top 1 % trimmed, so the
    anomalies being looked for do not inflate it): one cell's eight windows are far too few to
    estimate its own dispersion.
    """
    fits = [
        _share_fit(c, r, k=k, step=step, periods=periods) for c, r in zip(counts, rest, strict=True)
    ]
    residuals = np.concatenate([f.pearson() for f in fits] or [[]])
    pooled = residuals[np.isfinite(residuals)]
    phi = 1.0
    if len(pooled) >= 50:
        kept = np.sort(pooled)[: int(len(pooled) * 0.99)]
        phi = float(np.clip(kept.mean() / TRIMMED_CHI2_MEAN, 1.0, 20.0))
    return [f.scores(phi) for f in fits]


@dataclass(frozen=True)
class _ShareFit:
    observed: np.ndarray  # scope count in the window
    rest: np.ndarray  # the parent's other scopes in the window
    a: np.ndarray  # baseline scope count (+0.5): Beta(a, b) is the share's uncertainty
    b: np.ndarray  # baseline rest count (+0.5)

    def pearson(self) -> np.ndarray:
        """Squared standardised residual of each window (NaN where not judged or thin)."""
        n, share = self.observed + self.rest, self.a / (self.a + self.b)
        with np.errstate(invalid="ignore", divide="ignore"):
            var = n * share * (1 - share) * (self.a + self.b + n) / (self.a + self.b + 1)
            out = (self.observed - n * share) ** 2 / var
        return np.where(n * share >= 1, out, np.nan)

    def scores(self, phi: float) -> Scores:
        n = self.observed + self.rest
        ok = np.isfinite(self.a) & np.isfinite(self.b) & np.isfinite(n) & (self.rest > 0)
        # Design effect: phi times the variance is a binomial of n/phi trials.
        x, m = np.round(self.observed / phi), np.round(n / phi)
        a, b = self.a, self.b
        with np.errstate(invalid="ignore", divide="ignore"):
            share = a / (a + b)
            var = m * share * (1 - share) * (a + b + m) / (a + b + 1)
            z = np.where(ok, (x - m * share) / np.sqrt(var), np.nan)
        # The exact tail where it can matter (scipy sums it term by term: slow); elsewhere the
        # normal approximation, which is never near a threshold there.
        near = ok & (np.abs(np.nan_to_num(z)) >= 1.5)
        x, m, a, b = x[near], m[near], a[near], b[near]
        # P(X >= x) as P(n - X <= n - x), n - X ~ BetaBinom(n, b, a): scipy's sf is 1 - cdf
        # and rounds tails below 1e-16 to 0.
        upper = _stats().betabinom.cdf(m - x, m, b, a)
        lower = _stats().betabinom.cdf(x, m, a, b)
        z[near] = tail_z(x >= m * a / (a + b), upper, lower)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = self.a / self.b
            expected = np.where(ok, ratio * self.rest, np.nan)
            # Var(scope - ratio * rest): the scope's and the rest's noise, and the ratio's.
            var = phi * (expected * (1 + ratio) + expected**2 * (1 / self.a + 1 / self.b))
        sd = np.sqrt(np.maximum(var, 0.25))
        return Scores(self.observed, expected, sd, z, self.observed)


def _share_fit(
    counts: np.ndarray, rest: np.ndarray, *, k: int, step: int, periods: int
) -> _ShareFit:
    cell_w = window_sum(counts, k)
    rest_w = window_sum(rest, k)
    h_cell = history(cell_w, k, step, periods, disjoint=True)
    h_rest = history(rest_w, k, step, periods, disjoint=True)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        shares = h_cell / (h_cell + h_rest)
        order = np.argsort(np.where(np.isnan(shares), np.inf, shares), axis=1)
        cut = periods // 4
        keep = order[:, cut : periods - cut]
        mid_cell = np.take_along_axis(h_cell, keep, axis=1).sum(axis=1)
        mid_rest = np.take_along_axis(h_rest, keep, axis=1).sum(axis=1)
    history_ok = np.isfinite(h_cell).all(axis=1) & np.isfinite(h_rest).all(axis=1)
    history_ok &= mid_rest > 0
    a = np.where(history_ok, mid_cell + 0.5, np.nan)
    b = np.where(history_ok, mid_rest + 0.5, np.nan)
    return _ShareFit(cell_w, rest_w, a, b)


def proportion_scores(
    numerator: np.ndarray,
    denominator: np.ndarray,
    factors: np.ndarray,
    *,
    k: int,
    step: int,
    periods: int,
    backlog: int = 0,
) -> Scores:
    """``factors``: holiday volume factors. Festivals shift rates too: busy days are answered
    more slowly, and the tickets of the weeks after a peak wait behind its backlog. So the
    interval widens with the largest |log factor| in the window and the ``backlog`` periods
    before it, instead of alerting on every post-festival SLA dip."""
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
        load = rolling_max(np.abs(np.log(factors)), k + backlog)
        var = binom / den_w + tau2 + binom / mid_den + (p0 * load) ** 2
        # Floor: a rate of 0 % or 100 % in the baseline must not make every change infinite.
        floor = (1.0 / np.maximum(den_w, 1.0)) ** 2
        sd = np.sqrt(np.maximum(var, floor))
        z = (observed - p0) / sd
    history_ok = np.isfinite(h_den).all(axis=1) & (mid_den > 0)
    p0 = np.where(history_ok, p0, np.nan)
    return Scores(observed, p0, sd, np.where(history_ok, z, np.nan), den_w)
