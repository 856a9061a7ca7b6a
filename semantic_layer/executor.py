"""Stage 4: run a compiled MetricQuery read-only, with row and time limits -> MetricResult."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from semantic_layer.catalog import Catalog
from semantic_layer.catalog_loader import default_catalog
from semantic_layer.compiler import CompiledQuery, compile_query, freshness_statement
from semantic_layer.errors import ExecutionError
from semantic_layer.plan import PERIOD
from semantic_layer.policy import RowPolicy
from semantic_layer.query import MetricQuery
from semantic_layer.spec import Metric
from semantic_layer.stats import SMALL_N, wilson_interval

DEFAULT_ROW_LIMIT = 50_000
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class MetricMeta:
    name: str
    label_zh: str
    label_en: str
    description_zh: str
    description_en: str
    unit: str
    format: str
    direction: str
    certified: bool
    owner: str
    version: int
    type: str
    time_attribution: str

    @classmethod
    def of(cls, metric: Metric, catalog: Catalog) -> MetricMeta:
        if metric.snapshot:
            attribution = "period end"
        else:
            times = {c.time_dimension for c in catalog.components(metric)}
            attribution = ", ".join(sorted(t for t in times if t))
        return cls(
            metric.name,
            metric.label.zh,
            metric.label.en,
            metric.description.zh,
            metric.description.en,
            metric.unit,
            metric.format,
            metric.direction,
            metric.certified,
            metric.owner,
            metric.version,
            metric.type,
            attribution,
        )


@dataclass(frozen=True)
class SampleSize:
    """The n behind a ratio/percentile metric across the result rows."""

    metric: str
    min_n: int
    total_n: int
    small_rows: int  # rows with 0 < n < SMALL_N (a Wilson interval is given for proportions)


@dataclass(frozen=True)
class MetricResult:
    query: MetricQuery
    sql: str
    dialect: str
    data: pd.DataFrame
    metrics: dict[str, MetricMeta]
    sample_sizes: dict[str, SampleSize]
    warnings: tuple[str, ...]
    freshness: dict[str, datetime | None]  # "table.column" -> latest value the caller may see
    elapsed_ms: float
    truncated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def data_freshness(self) -> datetime | None:
        values = [v for v in self.freshness.values() if v is not None]
        return max(values) if values else None

    def to_dict(self) -> dict[str, Any]:
        frame = self.data.astype(object).where(self.data.notna(), None)
        return {
            "query": self.query.model_dump(mode="json", exclude_defaults=True),
            "sql": self.sql,
            "dialect": self.dialect,
            "columns": list(self.data.columns),
            "rows": frame.to_dict("records"),
            "metrics": {k: vars(v) for k, v in self.metrics.items()},
            "sample_sizes": {k: vars(v) for k, v in self.sample_sizes.items()},
            "warnings": list(self.warnings),
            "freshness": {k: v.isoformat() if v else None for k, v in self.freshness.items()},
            "data_freshness": self.data_freshness.isoformat() if self.data_freshness else None,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "truncated": self.truncated,
        }


@contextmanager
def _engine(target: Engine | str) -> Iterator[Engine]:
    if isinstance(target, Engine):
        yield target
        return
    url = sa.make_url(target)
    connect_args = (
        {"read_only": True}
        if url.drivername.startswith("duckdb") and (url.database not in (None, "", ":memory:"))
        else {}
    )
    engine = sa.create_engine(target, connect_args=connect_args)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def read_only_connection(engine: Engine, timeout_s: float) -> Iterator[Connection]:
    """A connection in a transaction that is always rolled back, read-only where the database
    supports it, and interrupted after ``timeout_s``."""
    with engine.connect() as conn, conn.begin() as tx:
        timer: threading.Timer | None = None
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
        elif conn.dialect.name == "duckdb":
            raw = conn.connection.driver_connection
            timer = threading.Timer(timeout_s, raw.interrupt)
            timer.daemon = True
            timer.start()
        try:
            yield conn
        finally:
            if timer is not None:
                timer.cancel()
            tx.rollback()


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def execute(
    query: MetricQuery,
    engine: Engine | str | Any,
    *,
    catalog: Catalog | None = None,
    policy: RowPolicy | None = None,
    row_limit: int = DEFAULT_ROW_LIMIT,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    compiled: CompiledQuery | None = None,
) -> MetricResult:
    """Compile ``query`` for the engine's dialect and run it; ``engine`` is an Engine or URL,
    or a Spark URL / SparkWarehouse (run by semantic_layer.spark_engine).

    ``compiled``: the query already compiled for this engine's dialect with ``policy`` (by a
    planner's check, through a ``CompileCache``); it is run as is instead of compiling again."""
    catalog = catalog or default_catalog()
    if getattr(engine, "is_spark", False) or (
        isinstance(engine, str) and engine.startswith("spark+")
    ):
        from semantic_layer.spark_engine import execute_spark

        return execute_spark(
            query, engine, catalog=catalog, policy=policy, row_limit=row_limit, timeout_s=timeout_s
        )
    started = time.perf_counter()
    with _engine(engine) as eng:
        if compiled is None or compiled.query != query or compiled.dialect != eng.dialect.name:
            compiled = compile_query(query, catalog, dialect=eng.dialect.name, policy=policy)
        statement = compiled.statement
        if query.limit is None or query.limit > row_limit:
            statement = statement.limit(row_limit + 1)
        try:
            with read_only_connection(eng, timeout_s) as conn:
                result = conn.execute(statement)
                columns = list(result.keys())
                rows = result.fetchmany(row_limit + 1)
                freshness, future = _freshness(conn, compiled, catalog)
        except sa.exc.DBAPIError as exc:
            message = str(exc.orig if exc.orig is not None else exc).splitlines()[0]
            if "interrupt" in message.lower() or "statement timeout" in message.lower():
                raise ExecutionError(
                    f"The query ran longer than {timeout_s:g}s and was "
                    "stopped. Narrow the time range or use fewer dimensions."
                ) from exc
            raise ExecutionError(f"The warehouse could not run the query: {message}") from exc
    truncated = len(rows) > row_limit
    frame = pd.DataFrame([[_plain(v) for v in r] for r in rows[:row_limit]], columns=columns)
    frame, sample_sizes, warnings = _annotate(frame, compiled, catalog)
    if truncated:
        warnings.append(f"Only the first {row_limit} rows are shown; add filters or a limit.")
    warnings += future + _freshness_warnings(query, freshness)
    metas = {m.name: MetricMeta.of(m, catalog) for m in compiled.plan.metrics}
    elapsed = (time.perf_counter() - started) * 1000
    return MetricResult(
        query,
        compiled.sql,
        compiled.dialect,
        frame,
        metas,
        sample_sizes,
        tuple([*compiled.plan.warnings, *warnings]),
        freshness,
        elapsed,
        truncated,
    )


# How far past the clock a timestamp may lie and still count as the data's latest value (time
# zones, clock skew). Later values (a placeholder 9999-12-31, a typo) are ignored for freshness,
# counted and reported, so one bad row cannot make every answer "current through 9999".
FUTURE_TOLERANCE = timedelta(days=1)


def _freshness(
    conn: Connection, compiled: CompiledQuery, catalog: Catalog
) -> tuple[dict[str, Any], list[str]]:
    """Per "table.column": the latest value the caller may see (see freshness_statement) not
    beyond now + FUTURE_TOLERANCE; and a warning per column that has values beyond it."""
    horizon = datetime.now().replace(microsecond=0) + FUTURE_TOLERANCE
    out: dict[str, Any] = {}
    warnings: list[str] = []
    for group in compiled.plan.groups:
        found = freshness_statement(group, catalog, horizon)
        if found is None or found[0] in out:
            continue
        key, stmt = found
        value, future = conn.execute(stmt).one()
        out[key] = (
            value
            if isinstance(value, datetime | None)
            else (datetime.combine(value, datetime.min.time()) if isinstance(value, date) else None)
        )
        if future:
            warnings.append(
                f"{future:,} row(s) have {key} after {horizon:%Y-%m-%d %H:%M}, in the "
                "future; data freshness ignores them. Correct them in the source data."
            )
    return out, warnings


def _freshness_warnings(query: MetricQuery, freshness: dict[str, Any]) -> list[str]:
    latest = [v for v in freshness.values() if v is not None]
    if query.time_range is None or not latest:
        return []
    newest = max(latest)
    # Data reaching into the range's last day counts as complete; a whole day without data at
    # the end means the last period is cut short.
    if newest.date() < query.time_range.end - timedelta(days=1):
        return [f"The data ends at {newest:%Y-%m-%d %H:%M}; periods after it are incomplete."]
    return []


def _annotate(
    frame: pd.DataFrame, compiled: CompiledQuery, catalog: Catalog
) -> tuple[pd.DataFrame, dict[str, SampleSize], list[str]]:
    """Sample sizes behind every ratio, small-n flags and Wilson intervals for proportions."""
    sizes: dict[str, SampleSize] = {}
    warnings: list[str] = []
    for metric in compiled.plan.metrics:
        n_col = f"{metric.name}__n"
        if n_col not in frame.columns:
            continue
        n = frame[n_col].fillna(0).astype("int64")
        frame[n_col] = n
        small = (n > 0) & (n < SMALL_N)
        frame[f"{metric.name}__small_n"] = small
        if metric.type == "ratio" and metric.proportion:
            lows, highs = [], []
            for value, count in zip(frame[metric.name], n, strict=True):
                if value is None or pd.isna(value) or count <= 0:
                    lows.append(math.nan)
                    highs.append(math.nan)
                    continue
                lo, hi = wilson_interval(float(value) / metric.multiplier, int(count))
                lows.append(lo * metric.multiplier)
                highs.append(hi * metric.multiplier)
            frame[f"{metric.name}__ci_low"] = lows
            frame[f"{metric.name}__ci_high"] = highs
        sizes[metric.name] = SampleSize(
            metric.name, int(n.min()) if len(n) else 0, int(n.sum()), int(small.sum())
        )
        if small.any():
            warnings.append(
                f"{metric.name}: {int(small.sum())} row(s) rest on fewer than "
                f"{SMALL_N} observations; read them with their interval."
            )
    if PERIOD in frame.columns:
        frame[PERIOD] = pd.to_datetime(frame[PERIOD]).dt.date
    return frame, sizes, warnings
