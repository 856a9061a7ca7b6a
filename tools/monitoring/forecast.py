"""Volume forecasts (tickets, complaints) for the next weeks, with prediction intervals and a
rolling-origin backtest against seasonal-naive computed in the same run.

Method: weekly totals from the semantic layer are divided by the holiday calendar's factor
(Double-11, 618, Spring Festival), an ETS model with additive errors and a damped additive
trend (statsmodels ``ETSModel``) is fitted to the adjusted series, future paths are simulated
and multiplied back by the future weeks' factors, so festivals ahead are forecast and the
intervals come from the simulated paths. Weekly totals already absorb the weekday pattern.
The baseline is seasonal-naive at the weekly season of daily data: every future week equals
the last complete week.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from semantic_layer.catalog import Catalog
from semantic_layer.executor import execute
from semantic_layer.periods import week_start
from semantic_layer.plan import PERIOD
from semantic_layer.query import MetricQuery, TimeRange
from tools.errors import ServicePilotError
from tools.monitoring.calendar import HolidayCalendar, demo_calendar

METHOD = "ETS(A,Ad,N) on holiday-adjusted weekly totals (statsmodels ETSModel)"
BASELINE = "seasonal-naive (last complete week repeated)"
FORECASTABLE = ("ticket_volume", "complaint_volume")
SIMULATIONS = 1000
HISTORY_SHOWN = 26  # weeks of actuals returned beside the forecast (for its chart)


class ForecastError(ServicePilotError):
    """A forecast cannot be made (unknown metric, too little history)."""


@dataclass(frozen=True)
class WeekForecast:
    week_start: date
    forecast: float
    low_80: float
    high_80: float
    low_95: float
    high_95: float
    holidays: tuple[str, ...] = ()


@dataclass(frozen=True)
class Backtest:
    origins: int
    horizon_weeks: int
    mase: float
    smape: float
    baseline_mase: float
    baseline_smape: float
    coverage_80: float  # share of held-out weeks inside the 80 % interval
    coverage_95: float


@dataclass(frozen=True)
class ForecastResult:
    metric: str
    scope: dict[str, str]
    method: str
    baseline: str
    history_end: date  # first day after the last complete week used
    weeks: tuple[WeekForecast, ...]
    total: float
    total_low_95: float
    total_high_95: float
    backtest: Backtest | None = None
    notes: tuple[str, ...] = field(default=())
    # The recent actual weeks (week start, value), for a chart of history + forecast.
    history: tuple[tuple[date, float], ...] = field(default=())
    # A calendar period asked for ("下个月" = the next calendar month): the weeks above cover
    # it and the totals count only its days (partial weeks pro rata).
    period: tuple[date, date] | None = None

    def to_dict(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, float):
                return round(value, 3)
            if isinstance(value, tuple | list):
                return [plain(v) for v in value]
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if hasattr(value, "__dataclass_fields__"):
                return {k: plain(getattr(value, k)) for k in value.__dataclass_fields__}
            return value

        return plain(self)


def _weekly(
    engine: Engine | str, catalog: Catalog, metric: str, scope: dict[str, str], today: date
) -> tuple[list[date], np.ndarray, date]:
    """Complete weeks of ``metric`` (Monday starts) before ``today`` and the data."""
    end = week_start(today)  # Monday of today's week: weeks before it
    query = MetricQuery(
        metrics=(metric,),
        time_grain="week",
        time_range=TimeRange(start=end - timedelta(weeks=156), end=end),
    )
    for key, value in scope.items():
        query = query.with_filter(key, "=", value)
    result = execute(query, engine, catalog=catalog)
    fresh = result.data_freshness
    if fresh is not None:
        # The warehouse may end before today: the last week must be complete.
        data_end = fresh.date() + timedelta(days=1)
        end = min(end, week_start(data_end))
    frame = result.data.sort_values(PERIOD)
    frame = frame[frame[PERIOD] < end]
    values = frame[metric].astype(float).to_numpy()
    weeks = list(frame[PERIOD])
    nonzero = np.flatnonzero(values > 0)
    if len(nonzero) == 0:
        raise ForecastError(f"No {metric} data for scope {scope or 'all'}; nothing to forecast.")
    first = int(nonzero[0]) + 1  # the first week with data may be partial
    return weeks[first:], values[first:], end


def _factors(calendar: HolidayCalendar, weeks: list[date]) -> np.ndarray:
    return np.array([calendar.period(w, 7)[0] for w in weeks])


def _ets_paths(adjusted: np.ndarray, horizon: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(point forecast, simulated paths [horizon, n]) on the adjusted scale."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short/flat series
        fit = ETSModel(adjusted, error="add", trend="add", damped_trend=True).fit(disp=False)
        point = np.asarray(fit.forecast(horizon))
        paths = np.asarray(
            fit.simulate(
                horizon, repetitions=SIMULATIONS, anchor="end", rng=np.random.default_rng(seed)
            )
        ).reshape(horizon, -1)
    return point, paths


def _predict(
    values: np.ndarray, factors: np.ndarray, future: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    point, paths = _ets_paths(values / factors, len(future))
    return np.maximum(point * future, 0), np.maximum(paths * future[:, None], 0)


def _smape(actual: np.ndarray, pred: np.ndarray) -> float:
    denom = np.abs(actual) + np.abs(pred)
    return float(np.mean(np.where(denom > 0, 2 * np.abs(actual - pred) / denom, 0.0)) * 100)


def backtest(
    values: np.ndarray,
    factors: np.ndarray,
    *,
    horizon: int,
    origins: int = 8,
    spacing: int = 4,
    min_train: int = 40,
) -> Backtest | None:
    """Rolling origin: fit on weeks before each origin, forecast ``horizon`` weeks, compare
    with seasonal-naive on the same weeks; MASE is scaled by the in-sample naive error."""
    starts = [len(values) - horizon - spacing * i for i in range(origins)]
    starts = [s for s in starts if s >= min_train]
    if not starts:
        return None
    errors, base_errors, smapes, base_smapes, in80, in95 = [], [], [], [], [], []
    for origin in starts:
        train, test = values[:origin], values[origin : origin + horizon]
        scale = float(np.mean(np.abs(np.diff(train)))) or 1.0
        point, paths = _predict(train, factors[:origin], factors[origin : origin + horizon])
        naive = np.full(horizon, train[-1])
        errors.append(np.mean(np.abs(test - point)) / scale)
        base_errors.append(np.mean(np.abs(test - naive)) / scale)
        smapes.append(_smape(test, point))
        base_smapes.append(_smape(test, naive))
        lo80, hi80, lo95, hi95 = np.percentile(paths, [10, 90, 2.5, 97.5], axis=1)
        in80 += list((test >= lo80) & (test <= hi80))
        in95 += list((test >= lo95) & (test <= hi95))
    return Backtest(
        origins=len(starts),
        horizon_weeks=horizon,
        mase=float(np.mean(errors)),
        smape=float(np.mean(smapes)),
        baseline_mase=float(np.mean(base_errors)),
        baseline_smape=float(np.mean(base_smapes)),
        coverage_80=float(np.mean(in80)),
        coverage_95=float(np.mean(in95)),
    )


def forecast_volume(
    engine: Engine | str,
    metric: str = "complaint_volume",
    weeks: int = 4,
    scope: dict[str, str] | None = None,
    today: date | None = None,
    *,
    catalog: Catalog,
    calendar: HolidayCalendar | None = None,
    with_backtest: bool = True,
    period: tuple[date, date] | None = None,
) -> ForecastResult:
    """Forecast weekly ``metric`` (ticket_volume or complaint_volume) for ``weeks`` weeks
    after the last complete week before ``today``, within ``scope`` (e.g. {"channel":
    "email"}), with 80 %/95 % intervals and a backtest against seasonal-naive.

    ``period`` (start, end exclusive), e.g. the next calendar month: forecast the weeks that
    cover it and total only its days; ``weeks`` is then ignored. ``catalog`` is the
    application's (after a reload, the reloaded one): the history is read through it."""
    if metric not in FORECASTABLE:
        raise ForecastError(
            f"Cannot forecast '{metric}': forecasts cover {', '.join(FORECASTABLE)}."
        )
    if not 1 <= weeks <= 26:
        raise ForecastError(f"weeks must be between 1 and 26 (got {weeks}).")
    scope = dict(scope or {})
    calendar = calendar or demo_calendar()
    history_weeks, values, end = _weekly(engine, catalog, metric, scope, today or date.today())
    if len(values) < 30:
        raise ForecastError(
            f"Only {len(values)} complete weeks of {metric}; a forecast needs at least 30."
        )
    factors = _factors(calendar, history_weeks)
    weights = None
    if period is not None:
        weeks, weights = _period_weeks(end, period)
    future_weeks = [end + timedelta(weeks=i) for i in range(weeks)]
    future = _factors(calendar, future_weeks)
    point, paths = _predict(values, factors, future)
    lo80, hi80, lo95, hi95 = np.percentile(paths, [10, 90, 2.5, 97.5], axis=1)
    if weights is None:
        weights = np.ones(weeks)
    totals = (paths * weights[:, None]).sum(axis=0)
    rows = tuple(
        WeekForecast(
            w,
            float(point[i]),
            float(lo80[i]),
            float(hi80[i]),
            float(lo95[i]),
            float(hi95[i]),
            tuple(calendar.names_on(w, 7)),
        )
        for i, w in enumerate(future_weeks)
    )
    notes = []
    if today and end + timedelta(days=7) < today:
        notes.append(f"The warehouse ends before {today}; the forecast starts after {end}.")
    return ForecastResult(
        metric=metric,
        scope=scope,
        method=METHOD,
        baseline=BASELINE,
        history_end=end,
        weeks=rows,
        total=float((point * weights).sum()),
        total_low_95=float(np.percentile(totals, 2.5)),
        total_high_95=float(np.percentile(totals, 97.5)),
        backtest=backtest(values, factors, horizon=weeks) if with_backtest else None,
        notes=tuple(notes),
        history=tuple(
            (w, float(v))
            for w, v in zip(history_weeks[-HISTORY_SHOWN:], values[-HISTORY_SHOWN:], strict=True)
        ),
        period=period,
    )


def _period_weeks(first_week: date, period: tuple[date, date]) -> tuple[int, np.ndarray]:
    """How many weeks from ``first_week`` cover ``period`` and each week's share of days in it."""
    start, end = period
    if end <= max(start, first_week):
        raise ForecastError(
            f"The period {start}..{end} is not after the data's last complete week "
            f"(ends {first_week}); ask about a later period."
        )
    weeks = -(-(end - first_week).days // 7)  # ceiling
    if weeks > 26:
        raise ForecastError(
            f"The period {start}..{end} ends {weeks} weeks after the data's last complete week; "
            "forecasts reach at most 26 weeks."
        )
    weights = []
    for i in range(weeks):
        w_start = first_week + timedelta(weeks=i)
        w_end = w_start + timedelta(days=7)
        days = (min(w_end, end) - max(w_start, start)).days
        weights.append(max(days, 0) / 7)
    return weeks, np.array(weights)
