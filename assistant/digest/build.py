"""The executive digest's content (周报/月报), assembled from the application: every number
from the certified semantic layer under the reader's role (``app.api.query_metrics``), the
why-analysis from the app's root-cause service, alerts from the notification store, complaint
themes from the case index, the forecast from the app's forecaster, freshness and quality from
the ingest tools. No wording beyond labels here: ``assistant.digest.render`` writes the page.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from assistant.roles import Role, get_role, scope_visible
from semantic_layer.executor import MetricMeta
from semantic_layer.periods import add_months, comparison_range, last_full_month, week_start
from semantic_layer.query import Filter, MetricQuery, TimeRange
from semantic_layer.stats import CHANGE_Z, change_z

log = logging.getLogger(__name__)
# A part that failed for a reason not written for readers: the page says "could not be
# computed", the server log has the exception. Errors of the product's own families (too
# little history, an unknown region, ...) are shown as they are, in their words.
INTERNAL_ERROR = "internal"


def _reason(exc: Exception, part: str) -> str:
    from semantic_layer.errors import SemanticLayerError
    from tools.errors import ServicePilotError

    if isinstance(exc, ServicePilotError | SemanticLayerError):
        return str(exc)
    log.exception("digest: the %s part failed", part)
    return INTERNAL_ERROR


Period = Literal["last-week", "last-month"]
PERIODS: tuple[str, ...] = ("last-week", "last-month")
# The headline KPIs (the cockpit's), then what the service literature reports weekly.
DIGEST_METRICS = (
    "csat",
    "nps",
    "first_response_time_median",
    "sla_compliance",
    "complaint_volume",
    "ticket_volume",
    "backlog",
)
MOVEMENTS = 2  # the biggest movements explained with their why-analysis and a chart
MOVEMENT_Z = CHANGE_Z
THEMES = 3
EXAMPLES_PER_THEME = 2
FORECAST_METRIC = "complaint_volume"


@dataclass(frozen=True)
class Kpi:
    name: str
    meta: MetricMeta
    value: float | None
    previous: float | None
    change: float | None  # in the metric's unit (percentage points for % metrics)
    target: float | None = None
    status: str = "none"  # ok | warning | breach | none (no target)
    sample: int | None = None  # n behind a ratio
    data_as_of: datetime | None = None  # the result's data freshness

    @property
    def noise_z(self) -> float:
        """How far the change lies beyond sampling noise (0 when it cannot be judged): the
        ranking of movements. A relative change would put NPS -1.6 → 0.8 on 120 answers
        (+150 %) above a real shift in a large count. See ``semantic_layer.stats.change_z``."""
        z = change_z(self.value, self.previous, self.meta.unit, self.meta.type, self.sample)
        return z or 0.0


@dataclass(frozen=True)
class Movement:
    kpi: Kpi
    why: dict[str, Any] | None  # the root-cause report (None when it failed: see error)
    series: dict[str, Any]  # {"labels", "current", "previous"} daily values, aligned by day
    error: str = ""


@dataclass(frozen=True)
class Digest:
    period: Period
    language: str
    role: Role
    user: str | None
    region: str | None
    start: date
    end: date  # exclusive
    previous: TimeRange
    generated_at: datetime
    kpis: tuple[Kpi, ...]
    movements: tuple[Movement, ...]
    alerts: tuple[dict[str, Any], ...]
    themes: dict[str, Any]  # {"cases", "themes": [...], "examples": {id: text}} or {"error"}
    forecast: dict[str, Any]  # ForecastResult.to_dict() + "metric", "period"; or {"error"}
    freshness: dict[str, Any]  # {"data_as_of", "sources": [...]}
    quality: dict[str, Any]  # QualityReport.to_dict() or {"error"}
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def scope(self) -> dict[str, str]:
        """The digest's scope as dimension -> value (the region asked for or the role's)."""
        if self.region:
            return {"region": self.region}
        return {k: v[0] for k, v in self.role.row_filters.items() if len(v) == 1}


def period_range(period: str, today: date) -> tuple[date, date]:
    """[start, end) of the last full week (Monday to Sunday) or the last full month."""
    if period == "last-week":
        end = week_start(today)
        return end - timedelta(days=7), end
    if period == "last-month":
        month = last_full_month(today)
        return month.start, month.end
    from assistant.errors import AssistantError

    raise AssistantError(f"Unknown period '{period}'. Valid periods: {', '.join(PERIODS)}.")


def next_period(period: str, end: date) -> tuple[date, date]:
    """The period after [.., end): the next week or the next calendar month."""
    return (end, end + timedelta(days=7)) if period == "last-week" else (end, add_months(end, 1))


def build_digest(
    app: Any,
    *,
    period: Period,
    language: str,
    role: str | None,
    user: str | None = None,
    region: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
    ops_store: Any = None,
) -> Digest:
    """Everything the digest shows, as ``role`` may see it (its row filters apply to every
    number; ``region`` narrows further and is refused outside the role's rows)."""
    api = app.api
    role_obj = get_role(role)
    today = today or app.today
    start, end = period_range(period, today)
    previous = comparison_range(TimeRange(start=start, end=end))
    filters = (Filter(field="region", op="=", values=(region,)),) if region else ()
    if region:
        _check_region(api.catalog, role_obj, region, filters)
    # Targets of the slice the numbers cover: the region asked for or the role's own region
    # (a company-wide count target means nothing for one region).
    own = role_obj.row_filters.get("region", ())
    target_region = region or (own[0] if len(own) == 1 else None)
    targets = _targets(api.catalog)  # read once per digest, not once per KPI
    kpis = tuple(
        _kpi(api, name, start, end, filters, role, targets, target_region) for name in _metrics(api)
    )
    kpis = tuple(k for k in kpis if k is not None)
    # Only a change beyond normal variation is a movement worth a why-analysis.
    movers = sorted((k for k in kpis if k.noise_z >= MOVEMENT_Z), key=lambda k: -k.noise_z)
    scope = {"region": region} if region else {}
    movements = tuple(
        _movement(api, k, start, end, previous, filters, role, scope) for k in movers[:MOVEMENTS]
    )
    digest_scope = scope or {k: v[0] for k, v in role_obj.row_filters.items() if len(v) == 1}
    return Digest(
        period=period,
        language=language,
        role=role_obj,
        user=user,
        region=region,
        start=start,
        end=end,
        previous=previous,
        generated_at=now or datetime.now(),
        kpis=kpis,
        movements=movements,
        alerts=tuple(_alerts(app, role_obj, region, ops_store)),
        themes=_themes(app, role_obj, start, end, previous, digest_scope),
        forecast=_forecast(app, period, end, today, digest_scope),
        freshness=_freshness(app, kpis, now or datetime.now()),
        quality=_quality(app),
    )


def _check_region(catalog: Any, role: Role, region: str, filters: tuple[Filter, ...]) -> None:
    """A region that exists and lies within the role's rows (a digest of rows the role cannot
    see would be all zeros: refuse it instead)."""
    from assistant.authorize import within_rows
    from assistant.errors import AccessDenied, AssistantError
    from semantic_layer.errors import closest

    codes = [c.code for c in catalog.code_lists["region"].codes]
    if region not in codes:
        hint = closest(region, codes)
        raise AssistantError(
            f"Unknown region '{region}'.{f' Did you mean {hint!r}?' if hint else ''} "
            f"Regions: {', '.join(codes)}."
        )
    if not within_rows(role, filters):
        allowed = ", ".join(role.row_filters.get("region", ()))
        raise AccessDenied(
            f"The role '{role.label.en}' may not see region '{region}' (its rows: {allowed}).",
            f"角色“{role.label.zh}”不能查看区域“{region}”（权限范围：{allowed}）。",
        )


def _metrics(api: Any) -> list[str]:
    return [m for m in DIGEST_METRICS if m in api.catalog.metrics]


def _targets(catalog: Any) -> Any:
    from tools.monitoring.targets import load_targets

    try:
        return load_targets(None, catalog)
    except Exception as exc:  # noqa: BLE001 - a broken targets file shows KPIs without goals
        log.warning("digest: targets not loaded: %s", exc)
        return None


def _kpi(
    api: Any,
    name: str,
    start: date,
    end: date,
    filters: tuple[Filter, ...],
    role: str | None,
    targets: Any,
    region: str | None,
) -> Kpi | None:
    query = MetricQuery(
        metrics=(name,),
        time_range=TimeRange(start=start, end=end),
        filters=filters,
        compare_to="previous_period",
    )
    result = api.query_metrics(query, role)  # AccessDenied for a region outside the role
    meta = result.metrics[name]
    row: Any = result.data.iloc[0] if len(result.data) else {}
    value = _number(row.get(name))
    target = None
    if targets is not None and value is not None:
        target = targets.find(name, region, span=(start, end))
    sample = _number(row.get(f"{name}__n"))
    return Kpi(
        name=name,
        meta=meta,
        value=value,
        previous=_number(row.get(f"{name}__previous")),
        change=_number(row.get(f"{name}__change")),
        target=target.target if target is not None else None,
        status=target.status(value, meta.direction) if target is not None else "none",
        sample=None if sample is None else int(sample),
        data_as_of=result.data_freshness,
    )


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _movement(
    api: Any,
    kpi: Kpi,
    start: date,
    end: date,
    previous: TimeRange,
    filters: tuple[Filter, ...],
    role: str | None,
    scope: dict[str, str],
) -> Movement:
    series = _daily(api, kpi.name, start, end, previous, filters, role)
    try:
        why = api.explain_change(
            kpi.name, start, end, role, scope or None, previous=(previous.start, previous.end)
        )
    except Exception as exc:  # noqa: BLE001 - the movement is still shown, with the reason
        return Movement(kpi, None, series, error=_reason(exc, f"why of {kpi.name}"))
    return Movement(kpi, why, series)


def _daily(
    api: Any,
    name: str,
    start: date,
    end: date,
    previous: TimeRange,
    filters: tuple[Filter, ...],
    role: str | None,
) -> dict[str, Any]:
    """The metric per day in the period and in the previous one, aligned by day offset."""

    def per_day(a: date, b: date) -> dict[date, float | None]:
        query = MetricQuery(
            metrics=(name,), time_grain="day", time_range=TimeRange(start=a, end=b), filters=filters
        )
        frame = api.query_metrics(query, role).data
        return {_as_date(p): _number(v) for p, v in zip(frame["period"], frame[name], strict=True)}

    now, before = per_day(start, end), per_day(previous.start, previous.end)
    days = (end - start).days
    return {
        "labels": [(start + timedelta(days=i)).isoformat() for i in range(days)],
        "current": [now.get(start + timedelta(days=i)) for i in range(days)],
        "previous": [
            before.get(previous.start + timedelta(days=i))
            if previous.start + timedelta(days=i) < previous.end
            else None
            for i in range(days)
        ],
    }


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _alerts(app: Any, role: Role, region: str | None, ops_store: Any) -> list[dict[str, Any]]:
    """Open and acknowledged alert episodes (the notification store) the role may see."""
    import json

    from tools.notify.store import NotifyStore

    store = ops_store or (app.audit.store if app.audit is not None else None)
    if store is None:
        return []
    rows = NotifyStore(store).states("open", "acknowledged")
    out = []
    for row in rows:
        scope = json.loads(row["scope_json"])
        if not scope_visible(role, scope) or (region and scope.get("region") not in (region,)):
            continue
        out.append({**row, "scope": scope})
    return out


def _themes(
    app: Any,
    role: Role,
    start: date,
    end: date,
    previous: TimeRange,
    scope: dict[str, str],
) -> dict[str, Any]:
    """The period's biggest complaint themes (tools.cases.themes) within the role's rows,
    with example cases (their masked text)."""
    from tools.cases.search import AccessScope, CaseFilters
    from tools.cases.themes import compute_themes

    searcher = app.services.cases
    try:
        store = searcher.store()
    except Exception as exc:  # noqa: BLE001 - no case index: the section says how to build it
        return {"error": "no_index", "detail": str(exc)}
    access = (
        AccessScope.of(**{k: list(v) for k, v in role.row_filters.items()})
        if role.row_filters
        else None
    )
    report = compute_themes(
        store,
        start,
        end,
        filters=CaseFilters.build({"ticket_type": "complaint", **scope}),
        access=access,
        previous=(previous.start, previous.end),
    )
    themes = sorted(report.themes, key=lambda t: -t.volume)[:THEMES]
    ids = [i for t in themes for i in t.example_ids[:EXAMPLES_PER_THEME]]
    examples: dict[str, str] = {}
    if ids:
        got = store.collection.get(ids=ids, include=["documents"])
        examples = {i: (d or "")[:120] for i, d in zip(got["ids"], got["documents"], strict=True)}
    return {
        "cases": report.cases,
        "previous_cases": report.previous_cases,
        "themes": [t.to_dict() for t in themes],
        "examples": examples,
    }


def _forecast(
    app: Any, period: str, end: date, today: date, scope: dict[str, str]
) -> dict[str, Any]:
    forecaster = app.services.forecast
    nxt = next_period(period, end)
    if forecaster is None:
        return {"error": "unavailable"}
    try:
        # No backtest: the digest shows the forecast and its interval, not the model check
        # (the backtest refits the model per fold and costs most of the time).
        result = forecaster(
            app.engine,
            FORECAST_METRIC,
            4,
            scope,
            today,
            catalog=app.services.catalog,
            period=nxt,
            with_backtest=False,
        )
    except Exception as exc:  # noqa: BLE001 - e.g. too little history: say so
        return {"error": _reason(exc, "forecast")}
    return {**result.to_dict(), "metric": FORECAST_METRIC, "period": [nxt[0], nxt[1]]}


def _freshness(app: Any, kpis: tuple[Kpi, ...], now: datetime) -> dict[str, Any]:
    from tools.ingest.freshness import source_freshness

    try:
        with app.engine.connect() as conn:
            sources = [s.to_dict() for s in source_freshness(conn, now)]
    except Exception as exc:  # noqa: BLE001 - freshness is informative; never blank the digest
        log.warning("digest freshness: %s", exc)
        sources = []
    moments = [k.data_as_of for k in kpis if k.data_as_of is not None]
    return {"data_as_of": max(moments) if moments else None, "sources": sources}


def _quality(app: Any) -> dict[str, Any]:
    from tools.ingest.quality import quality_report

    try:
        return quality_report(app.engine).to_dict()
    except Exception as exc:  # noqa: BLE001 - the digest says quality was not checked
        return {"error": _reason(exc, "data quality")}
