"""Stage 1 of the compiler: resolve a MetricQuery against the catalog into a QueryPlan.

Everything a user can get wrong is checked here and reported with did-you-mean: metric and
dimension names, filter values against code lists, dimensions a cross-model ratio cannot be
split by, metric filters and order-by fields. The plan groups the metrics' measures by
(model, time attribution): each group becomes one aggregation over one fact table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from semantic_layer.catalog import Catalog, Component, ResolvedColumn, formula_refs
from semantic_layer.errors import (
    AccessPolicyError,
    QueryError,
    SemanticLayerError,
    UnknownCodeError,
    UnknownDimensionError,
    UnknownFieldError,
)
from semantic_layer.periods import (
    Shift,
    add_months,
    comparison_shift_for,
    quarter_start,
    week_start,
)
from semantic_layer.policy import RowPolicy
from semantic_layer.query import Filter, MetricQuery, TimeRange
from semantic_layer.result_warning import ResultWarning
from semantic_layer.spec import Measure, Metric, Model

PERIOD = "period"


@dataclass(frozen=True)
class ResolvedFilter:
    column: ResolvedColumn
    filter: Filter
    values: tuple[object, ...]  # codes after label/synonym translation, typed
    from_policy: bool = False


@dataclass(frozen=True)
class GroupPlan:
    """One aggregation: measures of one model attributed by one time column (or snapshot)."""

    name: str
    model: Model
    time_dimension: str | None
    snapshot: tuple[str, str] | None
    measures: tuple[Measure, ...]
    dimensions: tuple[ResolvedColumn, ...]
    filters: tuple[ResolvedFilter, ...]


@dataclass(frozen=True)
class QueryPlan:
    query: MetricQuery
    metrics: tuple[Metric, ...]  # requested, in order
    all_metrics: dict[str, Metric]  # requested plus those derived metrics refer to
    groups: tuple[GroupPlan, ...]
    group_of: dict[tuple[str, str, object], str]  # component.group -> group name
    shift: Shift | None = None
    warnings: tuple[str, ...] = field(default=())

    def group_for(self, component: Component) -> GroupPlan:
        name = self.group_of[component.group]
        return next(g for g in self.groups if g.name == name)


def comparison_shift(query: MetricQuery) -> Shift | None:
    if query.compare_to is None or query.time_range is None:
        return None
    return comparison_shift_for(query.time_range, query.compare_to)


def _expand(catalog: Catalog, names: Sequence[str]) -> dict[str, Metric]:
    out: dict[str, Metric] = {}
    stack = list(names)
    while stack:
        metric = catalog.metric(stack.pop())
        if metric.name in out:
            continue
        out[metric.name] = metric
        if metric.formula:
            stack.extend(formula_refs(metric.formula))
    return out


def _coerce(value: object, column: ResolvedColumn, catalog: Catalog, field_name: str) -> object:
    dim = column.dimension
    if dim is not None and dim.type == "boolean" and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes", "是"):
            return True
        if lowered in ("false", "0", "no", "否"):
            return False
        raise QueryError(f"Filter on '{field_name}' needs true or false, got '{value}'.")
    if dim is not None and dim.type == "time" and isinstance(value, str):
        try:
            # A time of day is kept ("2026-10-31T14:30": the live view's hour cut-offs);
            # a date or a midnight stays a date, as every planner sends it.
            moment = datetime.fromisoformat(value.strip())
            if len(value.strip()) <= 10 or moment.time() == time.min:
                return moment.date()
            return moment.replace(tzinfo=None)
        except ValueError as exc:
            raise QueryError(
                f"Filter on '{field_name}' needs a date (YYYY-MM-DD) or a date and time "
                f"(YYYY-MM-DDTHH:MM), got '{value}'."
            ) from exc
    codes = catalog.code_list_for(dim)
    if codes is None or not isinstance(value, str):
        return value
    valid = [c.code for c in codes.codes]
    if value in valid:
        return value
    lowered = value.strip().lower()
    for code in codes.codes:  # exact label or synonym: a translation, not a guess
        if lowered in {w.lower() for w in (code.label.zh, code.label.en, *code.synonyms)}:
            return code.code
    if codes.pattern:
        return value
    raise UnknownCodeError(value, valid, context=f"for {field_name}")


def _resolve_filter(catalog: Catalog, model: str, flt: Filter, *, policy: bool) -> ResolvedFilter:
    column = catalog.resolve_dimension(model, flt.field)
    if flt.op == "contains" and (
        column.dimension is None or column.dimension.type != "categorical"
    ):
        raise QueryError(f"Filter op 'contains' works on text dimensions, not '{flt.field}'.")
    values = tuple(_coerce(v, column, catalog, flt.field) for v in flt.values)
    return ResolvedFilter(column, flt, values, policy)


def _metric_models(catalog: Catalog, metric: Metric) -> list[str]:
    return list(dict.fromkeys(c.model for c in catalog.components(metric)))


def _check_dimension_everywhere(
    catalog: Catalog, name: str, metrics: dict[str, Metric], requested: Sequence[Metric], what: str
) -> None:
    """Every requested metric must be splittable by ``name`` (else its number would be wrong)."""
    union: set[str] = set()
    for metric in requested:
        for model in _metric_models(catalog, metric):
            union.update(catalog.dimension_names(model))
    failing: list[str] = []
    for metric in requested:
        for model in _metric_models(catalog, metric):
            try:
                column = catalog.resolve_dimension(model, name)
            except UnknownDimensionError:
                failing.append(f"{metric.name} ({model})")
                continue
            allowed = metric.allowed_dimensions
            if allowed is not None and name not in allowed and column.path not in allowed:
                raise QueryError(
                    f"Metric '{metric.name}' cannot be {what} '{name}': its numerator and "
                    f"denominator come from different tables and only these dimensions mean "
                    f"the same on both: {', '.join(allowed)}. Remove '{name}' or ask for the "
                    "parts separately."
                )
    if failing and len(failing) == len([m for m in requested for _ in _metric_models(catalog, m)]):
        raise UnknownDimensionError(name, union)
    if failing:
        valid = sorted(
            set.intersection(
                *[
                    set(catalog.dimension_names(m))
                    for r in requested
                    for m in _metric_models(catalog, r)
                ]
            )
        )
        raise QueryError(
            f"Dimension '{name}' is not available for metric {', '.join(failing)}, so it cannot "
            f"be {what} in this query. Dimensions valid for all requested metrics: "
            f"{', '.join(valid)}. Query those metrics separately to use '{name}'."
        )


def build_plan(query: MetricQuery, catalog: Catalog, policy: RowPolicy | None = None) -> QueryPlan:
    requested = tuple(catalog.metric(name) for name in query.metrics)
    metrics = _expand(catalog, query.metrics)
    for name in query.dimensions:
        _check_dimension_everywhere(catalog, name, metrics, requested, "grouped by")
    for flt in query.filters:
        _check_dimension_everywhere(catalog, flt.field, metrics, requested, "filtered by")

    components = [c for m in metrics.values() for c in catalog.components(m)]
    if any(c.snapshot for c in components) and query.time_range is None:
        snap = [m.name for m in metrics.values() if m.snapshot]
        raise QueryError(
            f"Metric {', '.join(snap)} is counted at period ends and needs a "
            "time_range (e.g. the month to report)."
        )

    groups: dict[tuple, dict[str, Measure]] = {}
    for comp in components:
        _, measure = catalog.measure(f"{comp.model}.{comp.measure}")
        groups.setdefault(comp.group, {})[measure.name] = measure

    group_plans: list[GroupPlan] = []
    group_of: dict[tuple, str] = {}
    for i, (key, measures) in enumerate(groups.items()):
        model_name, time_dim, snapshot = key
        model = catalog.model(model_name)
        dims = tuple(catalog.resolve_dimension(model_name, d) for d in query.dimensions)
        for d, column in zip(query.dimensions, dims, strict=True):
            if column.dimension is not None and column.dimension.type == "time":
                raise QueryError(
                    f"'{d}' is a timestamp; group by time with time_grain "
                    "(day/week/month/quarter/year) instead."
                )
        filters = [_resolve_filter(catalog, model_name, f, policy=False) for f in query.filters]
        if policy is not None:
            for flt in policy.filters_for(model_name):
                try:
                    filters.append(_resolve_filter(catalog, model_name, flt, policy=True))
                except SemanticLayerError as exc:
                    raise AccessPolicyError(
                        f"The access policy filter on '{flt.field}' cannot be applied to model "
                        f"'{model_name}' ({exc}); the query is refused. Ask an administrator to "
                        "extend the policy or query other metrics."
                    ) from exc
        name = f"g{i}_{model_name}"
        group_of[key] = name
        group_plans.append(
            GroupPlan(
                name, model, time_dim, snapshot, tuple(measures.values()), dims, tuple(filters)
            )
        )

    known_fields = [*query.dimensions, *query.metrics, *([PERIOD] if query.time_grain else [])]
    for mf in query.metric_filters:
        if mf.metric not in query.metrics:
            raise UnknownFieldError(
                mf.metric, query.metrics, context="in metric_filters (use a metric of this query)"
            )
    for order in query.order_by:
        base = order.field.split("__")[0]
        if order.field not in known_fields and base not in query.metrics:
            raise UnknownFieldError(order.field, known_fields, context="in order_by")

    warnings: list[str] = []
    for metric in requested:
        if metric.snapshot and query.time_range and not query.time_grain:
            at = query.time_range.end.isoformat()
            warnings.append(
                ResultWarning(
                    "snapshot_at",
                    f"{metric.name} is measured at {at} (the end of the time range).",
                    metric_zh=metric.label.zh,
                    metric_en=metric.label.en,
                    at=at,
                )
            )
    return QueryPlan(
        query,
        requested,
        metrics,
        tuple(group_plans),
        group_of,
        comparison_shift(query),
        tuple(warnings),
    )


def period_buckets(grain: str, time_range: TimeRange) -> list[tuple[date, date]]:
    """(bucket start, bucket end) for every period intersecting the range; the last end is
    capped at the range end (a partial period is measured at the range end)."""
    start = _truncate(grain, time_range.start)
    out: list[tuple[date, date]] = []
    while start < time_range.end:
        nxt = _next(grain, start)
        out.append((start, min(nxt, time_range.end)))
        start = nxt
    return out


def _truncate(grain: str, d: date) -> date:
    if grain == "day":
        return d
    if grain == "week":
        return week_start(d)
    if grain == "month":
        return d.replace(day=1)
    if grain == "quarter":
        return quarter_start(d)
    return date(d.year, 1, 1)


def _next(grain: str, d: date) -> date:
    if grain == "day":
        return d + timedelta(days=1)
    if grain == "week":
        return d + timedelta(days=7)
    return add_months(d, {"month": 1, "quarter": 3, "year": 12}[grain])
