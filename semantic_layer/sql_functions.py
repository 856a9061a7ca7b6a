"""Dialect-aware SQL constructs (SQLAlchemy Core), one rendering per dialect.

DuckDB is the reference; PostgreSQL gets its own spelling; any other dialect gets the ANSI form
(Trino/Spark SQL are produced by sqlglot from the DuckDB text, see ``transpile.py``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class Percentile(FunctionElement):
    """Continuous percentile (linear interpolation) of an expression; NULLs are ignored."""

    type = sa.Double()
    inherit_cache = True
    name = "percentile"

    def __init__(self, expr: ColumnElement, fraction: float) -> None:
        self.fraction = float(fraction)
        super().__init__(expr)


@compiles(Percentile, "duckdb")
def _percentile_duckdb(element: Percentile, compiler, **kw) -> str:
    (expr,) = element.clauses
    return f"quantile_cont({compiler.process(expr, **kw)}, {element.fraction!r})"


@compiles(Percentile)
def _percentile_default(element: Percentile, compiler, **kw) -> str:
    (expr,) = element.clauses
    return (
        f"percentile_cont({element.fraction!r}) WITHIN GROUP "
        f"(ORDER BY {compiler.process(expr, **kw)})"
    )


class SecondsBetween(FunctionElement):
    """end - start in seconds as a double (NULL if either side is NULL)."""

    type = sa.Double()
    inherit_cache = True
    name = "seconds_between"


@compiles(SecondsBetween, "duckdb")
def _seconds_duckdb(element: SecondsBetween, compiler, **kw) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(epoch({end}) - epoch({start}))"


@compiles(SecondsBetween)
def _seconds_default(element: SecondsBetween, compiler, **kw) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


class ShiftTime(FunctionElement):
    """A timestamp moved forward by whole months or days (calendar-aware for months)."""

    inherit_cache = True
    name = "shift_time"

    def __init__(self, expr: ColumnElement, *, months: int = 0, days: int = 0) -> None:
        self.months, self.days = int(months), int(days)
        super().__init__(expr)


def _interval_parts(element: ShiftTime) -> list[tuple[int, str]]:
    return [(n, unit) for n, unit in ((element.months, "MONTH"), (element.days, "DAY")) if n]


@compiles(ShiftTime, "duckdb")
def _shift_duckdb(element: ShiftTime, compiler, **kw) -> str:
    (expr,) = element.clauses
    out = compiler.process(expr, **kw)
    for n, unit in _interval_parts(element):
        out = f"({out} + INTERVAL {n} {unit})"
    return out


@compiles(ShiftTime)
def _shift_default(element: ShiftTime, compiler, **kw) -> str:
    (expr,) = element.clauses
    out = compiler.process(expr, **kw)
    for n, unit in _interval_parts(element):
        out = f"({out} + INTERVAL '{n} {unit.lower()}s')"
    return out


def seconds_between(start: ColumnElement, end: ColumnElement) -> ColumnElement:
    return SecondsBetween(start, end)


def date_bucket(grain: str, expr: ColumnElement) -> ColumnElement:
    """Start of the period containing ``expr`` as a DATE (weeks start on Monday, ISO)."""
    return sa.cast(sa.func.date_trunc(sa.literal(grain, literal_execute=True), expr), sa.Date)


def timestamp_literal(value: object) -> ColumnElement:
    """A date/datetime constant rendered as CAST('...' AS TIMESTAMP) in every dialect."""
    text = value.isoformat(sep=" ") if hasattr(value, "hour") else f"{value} 00:00:00"
    return sa.cast(sa.literal(text), sa.DateTime)


def date_literal(value: object) -> ColumnElement:
    return sa.cast(sa.literal(str(value)), sa.Date)
