"""Day-level volume shape of the demo data: weekdays, shopping festivals, Spring Festival, growth.

All factors are deterministic functions of the date, so volumes are reproducible and the
holiday effects are known (the monitoring part must stay quiet on them).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from tools.demo_data.festivals import SPRING_FESTIVAL

# Monday .. Sunday: service contacts peak early in the week.
WEEKDAY_FACTOR = np.array([1.15, 1.10, 1.05, 1.0, 0.95, 0.82, 0.78])


def day_range(start: date, end_inclusive: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end_inclusive - start).days + 1)]


def festival_factor(day: date, *, orders: bool) -> float:
    """Multiplier for shopping festivals (Double-11, 618) and the Spring Festival dip.

    Orders peak on the festival days; tickets follow about a week later and last longer
    (deliveries, installations, returns).
    """
    factor = 1.0
    double11 = date(day.year, 11, 11)
    d11 = (day - double11).days
    if orders:
        if -10 <= d11 <= 0:
            factor *= 1.6 + 1.4 * (d11 == 0)
        if date(day.year, 6, 1) <= day <= date(day.year, 6, 18):
            factor *= 1.5 + 1.0 * (day.day == 18)
    else:
        if 0 <= d11 <= 20:
            factor *= 1.9 - 0.9 * d11 / 20
        if date(day.year, 6, 18) <= day <= date(day.year, 7, 5):
            factor *= 1.4
    cny = SPRING_FESTIVAL.get(day.year)
    next_cny = SPRING_FESTIVAL.get(day.year + 1)
    for festival in (cny, next_cny):
        if festival is not None and -3 <= (day - festival).days <= 7:
            factor *= 0.45
    return factor


def day_weights(days: list[date], *, orders: bool, start: date) -> np.ndarray:
    """Relative volume per day: weekday x festival x 12 %/year growth."""
    weekday = WEEKDAY_FACTOR[[d.weekday() for d in days]]
    festival = np.array([festival_factor(d, orders=orders) for d in days])
    growth = np.array([1.0 + 0.12 * (d - start).days / 365.0 for d in days])
    return weekday * festival * growth


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer counts proportional to ``weights`` (largest remainder),
    so the generator produces exactly the number of rows asked for."""
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    short = total - int(counts.sum())
    if short:
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def line_season_factor(product_line: str, month: int) -> float:
    """Seasonal ticket propensity per product line (AC in summer, water heaters in winter)."""
    if product_line == "air_conditioner":
        return {6: 1.8, 7: 2.4, 8: 2.2, 9: 1.3, 5: 1.2}.get(month, 0.7)
    if product_line == "water_heater":
        return {12: 1.6, 1: 1.7, 2: 1.4, 11: 1.2}.get(month, 0.85)
    return 1.0
