"""Stages 2-3 of the compiler: QueryPlan -> SQLAlchemy Core statement -> SQL text.

Shape of every query (no fan-out by construction):

* one aggregation per (model, time attribution) group, over its fact table LEFT JOINed only
  along many-to-one relationships, grouped at the final grain;
* a spine of result keys (every period of the range x the dimension values seen), so empty
  periods appear (counts 0, ratios NULL) instead of vanishing;
* the groups LEFT JOINed onto the spine on the keys, NULL-safe;
* metric values computed on that row: ratios from their summed numerator and denominator,
  never from averaged ratios.

Access-policy filters are ANDed into every aggregation (comparison periods and snapshots too).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import ColumnElement, FromClause, Select

from semantic_layer.catalog import Catalog, Component, Hop, ResolvedColumn
from semantic_layer.catalog_loader import default_catalog
from semantic_layer.inline_sql import inline_sql
from semantic_layer.plan import PERIOD, GroupPlan, QueryPlan, Shift, build_plan, period_buckets
from semantic_layer.policy import AccessPolicy, RowPolicy
from semantic_layer.query import MetricQuery
from semantic_layer.spec import (
    Constant,
    DurationExpr,
    FilterSpec,
    Formula,
    Measure,
    Metric,
    MetricRef,
    Model,
)
from semantic_layer.sql_functions import (
    Percentile,
    ShiftTime,
    date_bucket,
    date_literal,
    seconds_between,
    timestamp_literal,
)
from semantic_layer.stats import MIN_RELATIVE_BASE

UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
ADDITIVE = ("count", "count_distinct", "sum")


@dataclass(frozen=True)
class CompiledQuery:
    plan: QueryPlan
    statement: Select
    dialect: str
    # Forms derived from ``statement`` on first use and kept, so a query reused through a
    # CompileCache is turned into SQL once (the statement holds literal VALUES lists, which
    # SQLAlchemy's own statement cache cannot key).
    _derived: dict[object, object] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @property
    def query(self) -> MetricQuery:
        return self.plan.query

    @property
    def sql(self) -> str:
        """The SQL text with parameters inlined (what runs, readable and copy-pasteable)."""
        found = self._derived.get("sql")
        if found is None:
            found = self._derived["sql"] = render(self.statement, self.dialect)
        return found  # type: ignore[return-value]

    def runnable(self, dialect: Dialect, limit: int | None) -> tuple[str, Any]:
        """(SQL, parameters) for ``exec_driver_sql`` on ``dialect``, with ``LIMIT limit`` when
        given; compiled once per (dialect, limit). On DuckDB the values are inlined and there
        are no parameters (semantic_layer.inline_sql: no pandas import by the client)."""
        key = (dialect.name, dialect.paramstyle, limit)
        found = self._derived.get(key)
        if found is None:
            statement = self.statement if limit is None else self.statement.limit(limit)
            inlined = inline_sql(statement, dialect) if dialect.name == "duckdb" else None
            if inlined is not None:
                found = self._derived[key] = (inlined, None)
                return found  # type: ignore[return-value]
            compiled = statement.compile(
                dialect=dialect, compile_kwargs={"render_postcompile": True}
            )
            params = compiled.construct_params()
            for name, process in compiled._bind_processors.items():
                if name in params:
                    params[name] = process(params[name])
            if compiled.positional:
                found = (str(compiled), tuple(params[k] for k in compiled.positiontup or ()))
            else:
                found = (str(compiled), params)
            self._derived[key] = found
        return found  # type: ignore[return-value]


def dialect_for(name: str) -> Dialect:
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.dialect()
    if name == "duckdb":
        from duckdb_sqlalchemy import Dialect as DuckDBDialect

        return DuckDBDialect()
    raise ValueError(
        f"Unsupported dialect '{name}': use duckdb or postgresql (others via "
        "semantic_layer.transpile)."
    )


def render(statement: Select, dialect: str) -> str:
    compiled = statement.compile(
        dialect=dialect_for(dialect), compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


# -- one group: an aggregation over one fact table ----------------------------------------


class _Source:
    """The fact table and the many-to-one joins a group needs, aliased by relationship path."""

    def __init__(self, catalog: Catalog, model: Model) -> None:
        self.catalog = catalog
        self.base = catalog_table(catalog, model).alias("t0")
        self.model = model
        self.joins: dict[tuple[str, ...], tuple[FromClause, ColumnElement]] = {}

    def alias_for(self, hops: tuple[Hop, ...]) -> FromClause:
        current = self.base
        path: tuple[str, ...] = ()
        for hop in hops:
            path = (*path, hop.relationship.name)
            if path not in self.joins:
                target = self.catalog.model(hop.relationship.model)
                alias = catalog_table(self.catalog, target).alias("j_" + "__".join(path))
                cond = current.c[hop.relationship.foreign_key] == alias.c[target.primary_key]
                self.joins[path] = (alias, cond)
            current = self.joins[path][0]
        return current

    def column(self, resolved: ResolvedColumn) -> ColumnElement:
        return self.alias_for(resolved.hops).c[resolved.column]

    def path(self, path: str) -> ColumnElement:
        return self.column(self.catalog.resolve_column(self.model.name, path))

    def from_clause(self) -> FromClause:
        out: FromClause = self.base
        for alias, cond in self.joins.values():
            out = out.outerjoin(alias, cond)
        return out


def catalog_table(catalog: Catalog, model: Model) -> sa.TableClause:
    """A lightweight table with every column the spec can reference on this model."""
    cache = catalog.__dict__.setdefault("_tables", {})
    if model.name not in cache:
        cols: set[str] = {model.primary_key, *(d.column_name for d in model.dimensions)}
        cols |= {r.foreign_key for r in model.relationships}
        for other in catalog.models.values():
            for measure in other.measures:
                for path in _measure_paths(measure):
                    try:
                        resolved = catalog.resolve_column(other.name, path)
                    except Exception:  # reported by validation
                        continue
                    if resolved.model.name == model.name:
                        cols.add(resolved.column)
        cache[model.name] = sa.table(model.table, *(sa.column(c) for c in sorted(cols)))
    return cache[model.name]


def _measure_paths(measure: Measure) -> list[str]:
    paths = []
    for expr in (measure.expr, *(f.field for f in measure.filters)):
        if isinstance(expr, str):
            paths.append(expr)
        elif isinstance(expr, DurationExpr):
            paths += [expr.duration.start, expr.duration.end]
    paths += [f.ref for f in measure.filters if f.ref]
    return paths


def _expr(src: _Source, expr: str | DurationExpr) -> ColumnElement:
    if isinstance(expr, DurationExpr):
        d = expr.duration
        seconds = seconds_between(src.path(d.start), src.path(d.end))
        return seconds / sa.literal(float(UNIT_SECONDS[d.unit]))
    return src.path(expr)


def _compare(
    op: str,
    left: ColumnElement,
    values: tuple,
    right: ColumnElement | None = None,
    literal: Callable[[object], ColumnElement] | None = None,
) -> ColumnElement:
    lit = literal or (lambda v: sa.literal(v))
    if right is not None:
        vals: list[ColumnElement] = [right]
    else:
        vals = [lit(v) for v in values]
    match op:
        case "=":
            return left == vals[0]
        case "!=":
            return left != vals[0]
        case "<":
            return left < vals[0]
        case "<=":
            return left <= vals[0]
        case ">":
            return left > vals[0]
        case ">=":
            return left >= vals[0]
        case "between":
            return left.between(vals[0], vals[1])
        case "in":
            return left.in_(vals)
        case "not in":
            return sa.and_(left.is_not(None), left.not_in(vals))
        case "is null":
            return left.is_(None)
        case "is not null":
            return left.is_not(None)
        case "contains":
            return sa.func.strpos(left, vals[0]) > 0
    raise ValueError(op)


def _literal_for(value: object) -> ColumnElement:
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return timestamp_literal(value)
    return sa.literal(value)


def _spec_filter(src: _Source, flt: FilterSpec) -> ColumnElement:
    right = src.path(flt.ref) if flt.ref else None
    return _compare(flt.op, _expr(src, flt.field), flt.values, right)


def _aggregate(src: _Source, measure: Measure) -> list[tuple[str, ColumnElement]]:
    """The measure's aggregate (and its n for averages and percentiles), filter as CASE WHEN
    so one scan serves every measure of the group."""
    cond = sa.and_(*(_spec_filter(src, f) for f in measure.filters)) if measure.filters else None
    value = _expr(src, measure.expr) if measure.expr is not None else sa.literal(1)

    def only(x: ColumnElement) -> ColumnElement:
        return sa.case((cond, x)) if cond is not None else x

    name = f"m_{measure.name}"
    match measure.agg:
        case "count":
            return [(name, sa.func.count(only(value)))]
        case "count_distinct":
            return [(name, sa.func.count(sa.distinct(only(value))))]
        case "sum":
            return [(name, sa.cast(sa.func.sum(only(value)), sa.Double))]
        case "avg" | "min" | "max":
            fn = getattr(sa.func, measure.agg)
            return [
                (name, sa.cast(fn(only(value)), sa.Double)),
                (f"n_{measure.name}", sa.func.count(only(value))),
            ]
        case "percentile":
            x = sa.cast(only(value), sa.Double)
            return [
                (name, Percentile(x, measure.percentile or 0.5)),
                (f"n_{measure.name}", sa.func.count(x)),
            ]
    raise ValueError(measure.agg)


def _policy_and_query_filters(src: _Source, group: GroupPlan) -> list[ColumnElement]:
    out = []
    for rf in group.filters:
        column = src.column(rf.column)
        out.append(_compare(rf.filter.op, column, rf.values, literal=_literal_for))
    return out


def freshness_statement(
    group: GroupPlan, catalog: Catalog, horizon: datetime, by: str | None = None
) -> tuple[str, Select] | None:
    """("table.column", SELECT latest time value, count beyond ``horizon``) over the group's
    fact rows the caller may see: the access policy's row filters apply (the question's own
    filters do not), so data freshness tells a regional manager nothing about other regions'
    latest tickets. Values after ``horizon`` (a placeholder 9999-12-31) are left out of the
    latest value and counted instead. ``by``: a column of the fact table (e.g. ``source``, the
    system a row came from) to answer per value of: SELECT by, latest, count ... GROUP BY by."""
    column = group.snapshot[0] if group.snapshot else group.time_dimension
    if not column:
        return None
    src = _Source(catalog, group.model)
    if by is not None:  # the spec does not model the column: add it to this statement's table
        known = [sa.column(c.name) for c in catalog_table(catalog, group.model).columns]
        extra = [] if by in {c.name for c in known} else [sa.column(by)]
        src.base = sa.table(group.model.table, *known, *extra).alias("t0")
    value = src.path(column)
    beyond = value > sa.literal(horizon, sa.DateTime)
    where = [
        _compare(rf.filter.op, src.column(rf.column), rf.values, literal=_literal_for)
        for rf in group.filters
        if rf.from_policy
    ]
    latest = (
        sa.func.max(sa.case((beyond, None), else_=value)),
        sa.func.count(sa.case((beyond, 1))),
    )
    if by is None:
        stmt = sa.select(*latest).select_from(src.from_clause()).where(*where)
    else:
        key = src.base.c[by]
        stmt = (
            sa.select(key, *latest)
            .select_from(src.from_clause())
            .where(*where)
            .group_by(key)
            .order_by(key)
        )
    return f"{group.model.table}.{column}", stmt


def _group_select(
    plan: QueryPlan,
    group: GroupPlan,
    catalog: Catalog,
    shift: Shift | None,
    spine: FromClause | None,
) -> Select:
    query = plan.query
    src = _Source(catalog, group.model)
    keys: list[tuple[str, ColumnElement]] = [
        (f"d{i}", src.column(c)) for i, c in enumerate(group.dimensions)
    ]
    where = _policy_and_query_filters(src, group)
    if group.snapshot:
        assert spine is not None
        start, end = (src.path(c) for c in group.snapshot)
        # Open at the period end: created before it, not resolved before it.
        join_cond = sa.and_(start < spine.c.as_of, sa.or_(end.is_(None), end >= spine.c.as_of))
        if query.time_grain:
            keys.insert(0, (PERIOD, spine.c.bucket))
    else:
        time_col = src.path(group.time_dimension or "")
        where.append(time_col.is_not(None))
        if query.time_range is not None:
            start_d, end_d = query.time_range.start, query.time_range.end
            if shift is not None:
                start_d, end_d = shift.back(start_d), shift.back(end_d)
            where += [time_col >= timestamp_literal(start_d), time_col < timestamp_literal(end_d)]
        if query.time_grain:
            shifted = (
                ShiftTime(time_col, months=shift.months, days=shift.days)
                if shift is not None
                else time_col
            )
            keys.insert(0, (PERIOD, date_bucket(query.time_grain, shifted)))
    aggs = [agg for m in group.measures for agg in _aggregate(src, m)]
    columns = [expr.label(name) for name, expr in keys] + [e.label(n) for n, e in aggs]
    from_clause = src.from_clause()
    if group.snapshot:
        assert spine is not None
        from_clause = spine.join(from_clause, join_cond)
    stmt = sa.select(*columns).select_from(from_clause).where(*where)
    if keys:
        stmt = stmt.group_by(*(expr for _, expr in keys))
    return stmt


def _snapshot_spine(plan: QueryPlan, shift: Shift | None) -> FromClause:
    query = plan.query
    assert query.time_range is not None
    if query.time_grain:
        buckets = period_buckets(query.time_grain, query.time_range)
    else:
        buckets = [(query.time_range.start, query.time_range.end)]
    rows = [(date_literal(b), timestamp_literal(shift.back(e) if shift else e)) for b, e in buckets]
    return sa.values(
        sa.column("bucket", sa.Date), sa.column("as_of", sa.DateTime), name="snapshot_spine"
    ).data(rows)


# -- combining groups and computing metric values ------------------------------------------


def _key_names(plan: QueryPlan) -> list[str]:
    return ([PERIOD] if plan.query.time_grain else []) + [
        f"d{i}" for i in range(len(plan.query.dimensions))
    ]


def _metric_columns(
    plan: QueryPlan, catalog: Catalog, col: Callable[[Component, str], ColumnElement]
) -> list[ColumnElement]:
    """Value (and n) of every requested metric, from the groups' aggregated columns."""
    memo: dict[str, tuple[ColumnElement, ColumnElement | None]] = {}

    def value(metric: Metric) -> tuple[ColumnElement, ColumnElement | None]:
        if metric.name in memo:
            return memo[metric.name]
        comps = catalog.components(metric)
        if metric.type == "ratio":
            num = sa.func.coalesce(col(comps[0], "m"), 0)
            den = sa.func.coalesce(col(comps[1], "m"), 0)
            ratio = (
                sa.cast(num, sa.Double)
                * sa.literal(float(metric.multiplier))
                / sa.func.nullif(sa.cast(den, sa.Double), 0)
            )
            out = (ratio, den)
        elif metric.type == "percentile":
            out = (col(comps[0], "m"), sa.func.coalesce(col(comps[0], "n"), 0))
        elif metric.type == "simple":
            _, measure = catalog.measure(f"{comps[0].model}.{comps[0].measure}")
            raw = col(comps[0], "m")
            if measure.agg in ADDITIVE:  # an empty period has 0 tickets, not NULL tickets
                out = (sa.func.coalesce(raw, 0), None)
            else:
                out = (raw, sa.func.coalesce(col(comps[0], "n"), 0))
        else:
            assert metric.formula is not None
            out = formula(metric.formula)
        memo[metric.name] = out
        return out

    def formula(f: Formula) -> tuple[ColumnElement, ColumnElement | None]:
        parts = []
        n: ColumnElement | None = None
        for arg in f.args:
            if isinstance(arg, MetricRef):
                v, arg_n = value(catalog.metric(arg.metric))
                n = n if n is not None else arg_n
            elif isinstance(arg, Constant):
                v = sa.literal(arg.constant)
            else:
                v, arg_n = formula(arg)
                n = n if n is not None else arg_n
            parts.append(v)
        a, b = parts
        result = {
            "add": lambda: a + b,
            "subtract": lambda: a - b,
            "multiply": lambda: a * b,
            "divide": lambda: a / sa.func.nullif(b, 0),
        }[f.op]()
        return result, n

    columns = []
    for metric in plan.metrics:
        v, n = value(metric)
        columns.append(v.label(metric.name))
        if n is not None:
            columns.append(n.label(f"{metric.name}__n"))
    return columns


def _assemble(plan: QueryPlan, catalog: Catalog, shift: Shift | None, tag: str) -> Select:
    """One period's result: spine of keys, groups joined on it, metric values."""
    query = plan.query
    snapshot_spine = _snapshot_spine(plan, shift) if any(g.snapshot for g in plan.groups) else None
    ctes = {
        g.name: _group_select(plan, g, catalog, shift, snapshot_spine).cte(f"{tag}_{g.name}")
        for g in plan.groups
    }
    keys = _key_names(plan)
    dim_keys = [k for k in keys if k != PERIOD]

    spine: FromClause | None
    if query.time_grain and query.time_range is not None:
        periods = sa.values(sa.column(PERIOD, sa.Date), name=f"{tag}_periods").data(
            [(date_literal(b),) for b, _ in period_buckets(query.time_grain, query.time_range)]
        )
        if dim_keys:
            selects = [sa.select(*(c.c[k] for k in dim_keys)) for c in ctes.values()]
            seen = sa.union(*selects) if len(selects) > 1 else selects[0].distinct()
            dims = seen.subquery(f"{tag}_dims")
            spine = (
                sa.select(periods.c[PERIOD], *(dims.c[k] for k in dim_keys))
                .select_from(periods.join(dims, sa.true()))
                .subquery(f"{tag}_spine")
            )
        else:
            spine = periods
    elif keys and len(ctes) > 1:
        spine = sa.union(*(sa.select(*(c.c[k] for k in keys)) for c in ctes.values())).subquery(
            f"{tag}_spine"
        )
    else:
        spine = None

    from_clause: FromClause
    if spine is None:  # one group, or no keys at all (each group is a single row)
        groups = list(ctes.values())
        from_clause = groups[0]
        for other in groups[1:]:
            from_clause = from_clause.join(other, sa.true(), full=True)
        key_cols = [groups[0].c[k] for k in keys]
    else:
        from_clause = spine
        for cte in ctes.values():
            cond = sa.and_(sa.true(), *(cte.c[k].is_not_distinct_from(spine.c[k]) for k in keys))
            from_clause = from_clause.outerjoin(cte, cond)
        key_cols = [spine.c[k] for k in keys]

    def col(component: Component, kind: str) -> ColumnElement:
        group = plan.group_for(component)
        return ctes[group.name].c[f"{kind}_{component.measure}"]

    metric_cols = _metric_columns(plan, catalog, col)
    return sa.select(
        *(c.label(k) for c, k in zip(key_cols, keys, strict=True)), *metric_cols
    ).select_from(from_clause)


def build_statement(plan: QueryPlan, catalog: Catalog) -> Select:
    query = plan.query
    current = _assemble(plan, catalog, None, "cur").subquery("cur")
    keys = _key_names(plan)
    value_names = [c.name for c in current.c if c.name not in keys]
    if plan.shift is not None:
        previous = _assemble(plan, catalog, plan.shift, "cmp").subquery("cmp")
        cond = sa.and_(sa.true(), *(current.c[k].is_not_distinct_from(previous.c[k]) for k in keys))
        columns: list[ColumnElement] = [current.c[k] for k in keys]
        for name in value_names:
            columns.append(current.c[name])
            if name.endswith("__n"):
                columns.append(previous.c[name].label(f"{name}__previous"))
                continue
            cur, prev = current.c[name], previous.c[name]
            columns += [
                prev.label(f"{name}__previous"),
                (cur - prev).label(f"{name}__change"),
                ((cur - prev) * 100.0 / sa.func.nullif(sa.func.abs(prev), 0)).label(
                    f"{name}__change_pct"
                ),
            ]
        body = sa.select(*columns).select_from(current.outerjoin(previous, cond))
    else:
        body = sa.select(*current.c)
    result = body.subquery("result")

    names = {PERIOD: PERIOD, **{f"d{i}": d for i, d in enumerate(query.dimensions)}}
    out = sa.select(*(result.c[c.name].label(names.get(c.name, c.name)) for c in result.c))
    for mf in query.metric_filters:
        out = out.where(_compare(mf.op, result.c[mf.metric], mf.values))
    by_public = {names.get(c.name, c.name): result.c[c.name] for c in result.c}
    # NULLs (a group with no value, or no previous value to change from) last on every engine:
    # PostgreSQL puts them first in a DESC order and Spark first in an ASC order by default.
    order = []
    for o in query.order_by:
        keys_of = [by_public[o.field]]
        counted = catalog.counted_change(o.field)
        if counted is not None:  # a count's relative change from too small a base sorts after
            base = by_public[f"{counted}__previous"]
            keys_of.insert(0, sa.case((sa.func.abs(base) >= MIN_RELATIVE_BASE, keys_of[0])))
        order += [(k.desc() if o.descending else k.asc()).nulls_last() for k in keys_of]
    order += [result.c[k].asc() for k in keys]  # deterministic output
    out = out.order_by(*order)
    if query.limit is not None:
        out = out.limit(query.limit)
    return out


def compile_query(
    query: MetricQuery,
    catalog: Catalog | None = None,
    *,
    dialect: str = "duckdb",
    policy: RowPolicy | None = None,
) -> CompiledQuery:
    """Spec + query (+ access policy) -> a statement for ``dialect`` (duckdb, postgresql)."""
    catalog = catalog or default_catalog()
    plan = build_plan(query, catalog, policy)
    dialect_for(dialect)  # fail early on an unknown dialect
    return CompiledQuery(plan, build_statement(plan, catalog), dialect)


class CompileCache:
    """Compiled queries kept for reuse, so a query checked by a planner is not compiled again
    to run it (thread-safe; bounded, oldest out first).

    Keyed by the query, the dialect and the access policy's row filters: a role without row
    filters runs exactly what the planner checked; a restricted role's SQL differs (its filters
    are compiled in) and is compiled once for that policy.
    """

    def __init__(self, catalog: Catalog, dialect: str = "duckdb", size: int = 512) -> None:
        self.catalog = catalog
        self.dialect = dialect
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[object, ...], CompiledQuery] = OrderedDict()

    def compile(self, query: MetricQuery, policy: RowPolicy | None = None) -> CompiledQuery:
        """The compiled query (raises the semantic layer's errors, e.g. did-you-mean)."""
        key = _cache_key(query, self.dialect, policy)
        if key is None:  # a custom policy object: compile every time, never share
            return compile_query(query, self.catalog, dialect=self.dialect, policy=policy)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        compiled = compile_query(query, self.catalog, dialect=self.dialect, policy=policy)
        with self._lock:
            self._items[key] = compiled
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return compiled

    def __len__(self) -> int:
        return len(self._items)


def _cache_key(query: MetricQuery, dialect: str, policy: RowPolicy | None) -> tuple | None:
    if policy is None:
        rows: tuple = ()
    elif isinstance(policy, AccessPolicy):
        rows = tuple(sorted((k, tuple(map(str, v))) for k, v in policy.row_filters.items()))
    else:
        return None
    try:
        hash(query)
    except TypeError:  # pragma: no cover - MetricQuery is frozen and made of tuples
        return None
    return (query, dialect, rows)
