"""MetricQuery: what every planner produces and the compiler takes (immutable, JSON-able)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = str | int | float | bool | date
TimeGrain = Literal["day", "week", "month", "quarter", "year"]
FilterOp = Literal["=", "!=", "in", "not in", "<", "<=", ">", ">=", "between", "contains"]
CompareTo = Literal["previous_period", "same_period_last_year"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TimeRange(_Frozen):
    """Absolute dates, end exclusive (relative phrases are resolved by the planner)."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end <= self.start:
            raise ValueError(f"time_range end {self.end} must be after start {self.start}")
        return self


def _arity(op: str, values: tuple[object, ...]) -> None:
    if op == "between" and len(values) != 2:
        raise ValueError("op 'between' needs exactly two values [low, high] (inclusive)")
    if op in ("in", "not in") and not values:
        raise ValueError(f"op '{op}' needs at least one value")
    if op not in ("in", "not in", "between") and len(values) != 1:
        raise ValueError(f"op '{op}' needs exactly one value")


class Filter(_Frozen):
    """A row filter on a dimension: ``field op values`` (applied before aggregation)."""

    field: str
    op: FilterOp = "="
    values: tuple[Scalar, ...]

    @model_validator(mode="after")
    def _check(self) -> Filter:
        _arity(self.op, self.values)
        return self


class MetricFilter(_Frozen):
    """A condition on a metric's value in the result (SQL HAVING)."""

    metric: str
    op: Literal["=", "!=", "<", "<=", ">", ">=", "between"]
    values: tuple[float, ...]

    @model_validator(mode="after")
    def _check(self) -> MetricFilter:
        _arity(self.op, self.values)
        return self


class OrderBy(_Frozen):
    """Sort by a metric, a dimension or ``period``."""

    field: str
    descending: bool = False


class MetricQuery(_Frozen):
    metrics: tuple[str, ...] = Field(min_length=1)
    dimensions: tuple[str, ...] = ()
    time_grain: TimeGrain | None = None
    time_range: TimeRange | None = None
    filters: tuple[Filter, ...] = ()
    metric_filters: tuple[MetricFilter, ...] = ()
    compare_to: CompareTo | None = None
    order_by: tuple[OrderBy, ...] = ()
    limit: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _check(self) -> MetricQuery:
        for name, values in (("metrics", self.metrics), ("dimensions", self.dimensions)):
            if len(set(values)) != len(values):
                raise ValueError(f"{name} must not repeat an item")
        if self.compare_to and self.time_range is None:
            raise ValueError("compare_to needs a time_range (the period to compare)")
        return self

    def _replace(self, **changes: object) -> MetricQuery:
        # Re-validate: a copy must obey the same rules as a query built from scratch.
        return MetricQuery.model_validate({**dict(self), **changes})

    def with_metrics(self, *metrics: str) -> MetricQuery:
        return self._replace(metrics=tuple(metrics))

    def with_dimensions(self, *dimensions: str) -> MetricQuery:
        return self._replace(dimensions=tuple(dimensions))

    def with_time_grain(self, grain: TimeGrain | None) -> MetricQuery:
        return self._replace(time_grain=grain)

    def with_time_range(self, start: date, end: date) -> MetricQuery:
        return self._replace(time_range=TimeRange(start=start, end=end))

    def with_filter(self, field: str, op: FilterOp, *values: Scalar) -> MetricQuery:
        new = Filter(field=field, op=op, values=values)
        return self._replace(filters=(*self.filters, new))

    def with_metric_filter(self, metric: str, op: str, *values: float) -> MetricQuery:
        new = MetricFilter(metric=metric, op=op, values=values)  # type: ignore[arg-type]
        return self._replace(metric_filters=(*self.metric_filters, new))

    def with_compare_to(self, compare_to: CompareTo | None) -> MetricQuery:
        return self._replace(compare_to=compare_to)

    def with_order_by(self, field: str, descending: bool = False) -> MetricQuery:
        new = OrderBy(field=field, descending=descending)
        return self._replace(order_by=(*self.order_by, new))

    def with_limit(self, limit: int | None) -> MetricQuery:
        return self._replace(limit=limit)

    def to_json(self) -> str:
        return self.model_dump_json(exclude_defaults=True)

    @classmethod
    def from_json(cls, text: str) -> MetricQuery:
        return cls.model_validate_json(text)
