"""Stage 4: run a compiled MetricQuery read-only, with row and time limits -> MetricResult."""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import itertools
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from semantic_layer import user_cache
from semantic_layer.catalog import Catalog
from semantic_layer.catalog_loader import default_catalog
from semantic_layer.compiler import CompiledQuery, compile_query, freshness_statement
from semantic_layer.errors import ComputedTableMissing, ExecutionError
from semantic_layer.inline_sql import has_column, run
from semantic_layer.plan import PERIOD
from semantic_layer.policy import RowPolicy
from semantic_layer.query import MetricQuery
from semantic_layer.result_table import ResultTable, as_date
from semantic_layer.result_warning import ResultWarning
from semantic_layer.spec import Metric, Model
from semantic_layer.stats import MIN_RELATIVE_BASE, SMALL_N, wilson_intervals
from semantic_layer.user_cache import cache_dir

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
    compiled: CompiledQuery  # what ran; its SQL text is rendered only when read (``sql``)
    dialect: str
    table: ResultTable  # the rows as plain columns (what the text answer reads)
    metrics: dict[str, MetricMeta]
    sample_sizes: dict[str, SampleSize]
    warnings: tuple[str, ...]
    freshness: dict[str, datetime | None]  # "table.column" -> latest value the caller may see
    elapsed_ms: float
    truncated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # model name -> the date its rows were computed as of (tables such as customer segments)
    as_of: dict[str, datetime] = field(default_factory=dict)
    # source system (the fact rows' ``source`` column) -> latest value the caller may see there,
    # over the tables this result read; empty when the tables have no such column
    source_freshness: dict[str, datetime | None] = field(default_factory=dict)

    @cached_property
    def data(self) -> Any:
        """The rows as a pandas DataFrame, built on first read (imports pandas) and kept: a
        caller may add columns or sort it in place, as before."""
        return self.table.frame()

    @property
    def sql(self) -> str:
        """The SQL that ran, parameters inlined (provenance; rendered on first read)."""
        return self.compiled.sql

    @property
    def data_freshness(self) -> datetime | None:
        values = [v for v in self.freshness.values() if v is not None]
        return max(values) if values else None

    def to_dict(self) -> dict[str, Any]:
        records = self.table.records()
        if records is None:  # values pandas would type otherwise (timestamps): ask pandas
            frame = self.data.astype(object).where(self.data.notna(), None)
            records = frame.to_dict("records")
        return {
            "query": self.query.model_dump(mode="json", exclude_defaults=True),
            "sql": self.sql,
            "dialect": self.dialect,
            "columns": self.table.names,
            "rows": records,
            "metrics": {k: vars(v) for k, v in self.metrics.items()},
            "sample_sizes": {k: vars(v) for k, v in self.sample_sizes.items()},
            "warnings": list(self.warnings),
            "freshness": {k: v.isoformat() if v else None for k, v in self.freshness.items()},
            "data_freshness": self.data_freshness.isoformat() if self.data_freshness else None,
            "source_freshness": {
                k: v.isoformat() if v else None for k, v in self.source_freshness.items()
            },
            "elapsed_ms": round(self.elapsed_ms, 1),
            "truncated": self.truncated,
            "as_of": {k: v.isoformat(sep=" ") for k, v in self.as_of.items()},
        }


@contextlib.contextmanager
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


class _Watchdog:
    """One daemon thread that interrupts DuckDB connections whose query overran its deadline
    (a threading.Timer per query cost a thread start on every call)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: list[tuple[float, int, Any]] = []  # heap of (deadline, ticket, connection)
        self._tickets = itertools.count()
        self._cancelled: set[int] = set()
        self._thread: threading.Thread | None = None

    def watch(self, raw: Any, timeout_s: float) -> int:
        ticket = next(self._tickets)
        deadline = time.monotonic() + timeout_s
        with self._cond:
            # The thread sleeps until the earliest deadline: wake it only when this one comes
            # sooner. Waking it on every query made the caller wait for the GIL (ms per query).
            sooner = not self._due or deadline < self._due[0][0]
            heapq.heappush(self._due, (deadline, ticket, raw))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sl-query-watchdog", daemon=True
                )
                self._thread.start()
            if sooner:
                self._cond.notify()
        return ticket

    def cancel(self, ticket: int) -> None:
        """Forget ``ticket``; the thread drops it when it wakes (no wake-up needed: a cancelled
        deadline only ever makes it wake too early, never too late)."""
        with self._cond:
            self._cancelled.add(ticket)

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._due and self._due[0][1] in self._cancelled:
                    self._cancelled.discard(heapq.heappop(self._due)[1])
                if not self._due:
                    self._cond.wait()
                    continue
                wait = self._due[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                _, ticket, raw = heapq.heappop(self._due)
                self._cancelled.discard(ticket)
                # The connection may have closed meanwhile.
                with contextlib.suppress(Exception):
                    raw.interrupt()


_WATCHDOG = _Watchdog()


@contextlib.contextmanager
def read_only_connection(engine: Engine, timeout_s: float) -> Iterator[Connection]:
    """A connection in a transaction that is always rolled back, read-only where the database
    supports it, and interrupted after ``timeout_s``. Connections come from the engine's pool
    (pass the same Engine on every call to reuse them)."""
    with engine.connect() as conn:
        # Never committed: closing the connection rolls it back, once (an explicit rollback
        # before made the pool's reset roll back again, into DuckDB's "no transaction" error).
        conn.begin()
        ticket: int | None = None
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
        elif conn.dialect.name == "duckdb":
            ticket = _WATCHDOG.watch(conn.connection.driver_connection, timeout_s)
        try:
            yield conn
        finally:
            if ticket is not None:
                _WATCHDOG.cancel(ticket)


def _column_values(rows: list[Any], columns: list[str]) -> dict[str, list[Any]]:
    """The rows as one list per column; DECIMAL columns as floats (None stays None)."""
    if not rows:
        return {name: [] for name in columns}
    by_column = zip(*rows, strict=True)
    data = {name: list(values) for name, values in zip(columns, by_column, strict=True)}
    for name, values in data.items():
        first = next((v for v in values if v is not None), None)
        if isinstance(first, Decimal):
            data[name] = [None if v is None else float(v) for v in values]
    return data


def _floats(values: list[Any]) -> list[float]:
    """Numbers as floats, None and anything not a number as NaN (pd.to_numeric's coerce)."""
    out = []
    for v in values:
        try:
            out.append(math.nan if v is None else float(v))
        except (TypeError, ValueError):
            out.append(math.nan)
    return out


def _result_table(
    rows: list[Any], columns: list[str], compiled: CompiledQuery, catalog: Catalog
) -> tuple[ResultTable, dict[str, SampleSize], list[str]]:
    """The rows as plain columns with the sample size behind every ratio, small-n flags and
    Wilson intervals for proportions (a metric answer has few rows: plain Python, no pandas;
    ``MetricResult.data`` makes the DataFrame when a caller reads it)."""
    if len(set(columns)) != len(columns):  # a dict cannot hold repeated names
        raise ExecutionError(f"The query returned repeated column names: {columns}.")
    data = _column_values(rows, columns)
    dtypes: dict[str, str] = {}
    sizes: dict[str, SampleSize] = {}
    warnings: list[str] = []
    for metric in compiled.plan.metrics:
        n_col = f"{metric.name}__n"
        if n_col not in data:
            continue
        n = [0 if math.isnan(c) else int(c) for c in _floats(data[n_col])]
        small = [0 < x < SMALL_N for x in n]
        data[n_col], dtypes[n_col] = n, "int64"
        data[f"{metric.name}__small_n"], dtypes[f"{metric.name}__small_n"] = small, "bool"
        if metric.type == "ratio" and metric.proportion:
            shares = [v / metric.multiplier for v in _floats(data[metric.name])]
            lows, highs = wilson_intervals(shares, n)
            for name, values in (("ci_low", lows), ("ci_high", highs)):
                data[f"{metric.name}__{name}"] = [v * metric.multiplier for v in values]
                dtypes[f"{metric.name}__{name}"] = "float64"
        rows_small = sum(small)
        sizes[metric.name] = SampleSize(metric.name, min(n) if n else 0, sum(n), rows_small)
        if rows_small:
            warnings.append(
                ResultWarning(
                    "small_n",
                    f"{metric.name}: {rows_small} row(s) rest on fewer than {SMALL_N} "
                    "observations; read them with their interval.",
                    metric_zh=metric.label.zh,
                    metric_en=metric.label.en,
                    rows=rows_small,
                    small=SMALL_N,
                )
            )
    for order in compiled.query.order_by:
        counted = catalog.counted_change(order.field)
        if counted is not None and f"{counted}__previous" in data:
            bases = _floats(data[f"{counted}__previous"])
            flag = f"{counted}__small_base"
            data[flag] = [not math.isnan(b) and abs(b) < MIN_RELATIVE_BASE for b in bases]
            dtypes[flag] = "bool"
    raw: dict[str, list[Any]] = {}
    if PERIOD in data and not _all_dates(data[PERIOD]):
        raw[PERIOD] = data[PERIOD]
        data[PERIOD] = [v if v is None else as_date(v) for v in raw[PERIOD]]
    return ResultTable(data, dtypes, raw), sizes, warnings


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
        plan = (compiled or compile_query(query, catalog, dialect="duckdb", policy=policy)).plan
        for model in computed_models(plan):
            assert model.computed_as_of is not None
            raise ExecutionError(
                f"{model.computed_as_of.label.en} ({model.table}) are not available on Spark "
                "yet: ask this question on the DuckDB or PostgreSQL warehouse, or without "
                f"{', '.join(d.name for d in model.dimensions if d.type != 'time')}."
            )
        from semantic_layer.spark_engine import execute_spark

        return execute_spark(
            query, engine, catalog=catalog, policy=policy, row_limit=row_limit, timeout_s=timeout_s
        )
    started = time.perf_counter()
    with _engine(engine) as eng:
        if compiled is None or compiled.query != query or compiled.dialect != eng.dialect.name:
            compiled = compile_query(query, catalog, dialect=eng.dialect.name, policy=policy)
        limit = row_limit + 1 if query.limit is None or query.limit > row_limit else None
        sql, params = compiled.runnable(eng.dialect, limit)
        try:
            with read_only_connection(eng, timeout_s) as conn:
                as_of = _computed_as_of(conn, compiled)  # first: names a missing table
                result = conn.exec_driver_sql(sql, params)
                columns = list(result.keys())
                rows = result.fetchmany(row_limit + 1)
                freshness, future, by_source = _freshness(conn, compiled, catalog)
        except sa.exc.DBAPIError as exc:
            message = str(exc.orig if exc.orig is not None else exc).splitlines()[0]
            if "interrupt" in message.lower() or "statement timeout" in message.lower():
                raise ExecutionError(
                    f"The query ran longer than {timeout_s:g}s and was "
                    "stopped. Narrow the time range or use fewer dimensions."
                ) from exc
            raise ExecutionError(f"The warehouse could not run the query: {message}") from exc
    truncated = len(rows) > row_limit
    table, sample_sizes, warnings = _result_table(rows[:row_limit], columns, compiled, catalog)
    if truncated:
        warnings.append(row_limit_warning(row_limit))
    warnings += future + _freshness_warnings(query, freshness)
    metas = {m.name: MetricMeta.of(m, catalog) for m in compiled.plan.metrics}
    elapsed = (time.perf_counter() - started) * 1000
    return MetricResult(
        query,
        compiled,
        compiled.dialect,
        table,
        metas,
        sample_sizes,
        tuple([*compiled.plan.warnings, *warnings]),
        freshness,
        elapsed,
        truncated,
        as_of=as_of,
        source_freshness=by_source,
    )


def computed_models(plan: Any) -> list[Model]:
    """The models computed as of a date (``computed_as_of``) that the plan's dimensions or
    filters read, each once."""
    found: dict[str, Model] = {}
    for group in plan.groups:
        for column in [*group.dimensions, *(rf.column for rf in group.filters)]:
            if column.model.computed_as_of is not None:
                found.setdefault(column.model.name, column.model)
    return list(found.values())


def _computed_as_of(conn: Connection, compiled: CompiledQuery) -> dict[str, datetime]:
    """When each computed model the query reads was computed. A missing or empty table is an
    error naming the command that builds it: an answer must not silently lose those rows."""
    out: dict[str, datetime] = {}
    for model in computed_models(compiled.plan):
        spec = model.computed_as_of
        assert spec is not None
        missing = ComputedTableMissing(
            f"{spec.label.en} have not been computed in this warehouse (table {model.table} "
            f"is missing or empty). Run `{spec.built_by}`, then ask again.",
            table=model.table,
            built_by=spec.built_by,
        )
        if not has_column(conn, model.table):
            raise missing
        table = sa.table(model.table, sa.column(spec.column))
        latest = run(conn, sa.select(sa.func.max(table.c[spec.column]))).scalar_one()
        if latest is None:
            raise missing
        out[model.name] = latest
    return out


# How far past the clock a timestamp may lie and still count as the data's latest value (time
# zones, clock skew). Later values (a placeholder 9999-12-31, a typo) are ignored for freshness,
# counted and reported, so one bad row cannot make every answer "current through 9999".
FUTURE_TOLERANCE = timedelta(days=1)


class _FreshnessCache:
    """Latest-value lookups kept per DuckDB file until the file changes.

    The key holds the file's identity and its and its WAL's (mtime, size): any committed write
    (an import, an ingest batch, a rebuild) changes one of them, so the next query looks again.
    ``invalidate()`` drops everything for writers that want to be explicit. Warehouses with no
    file to watch (PostgreSQL, in-memory) are asked on every query."""

    def __init__(self, size: int = 1024) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[object, ...], tuple[Any, int]] = OrderedDict()
        self._size = size
        self.generation = 0

    def get(self, key: tuple[object, ...]) -> tuple[Any, int] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], value: tuple[Any, int]) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def invalidate(self) -> None:
        with self._lock:
            self._items.clear()
            self.generation += 1


_FRESHNESS = _FreshnessCache()


def invalidate_freshness() -> None:
    """Forget cached data freshness (call after writing to a warehouse in this process by means
    that may not change the DuckDB file's size or time, e.g. within one clock tick)."""
    _FRESHNESS.invalidate()


def _data_version(conn: Connection) -> tuple[object, ...] | None:
    return data_version(conn.engine)


def data_version(engine: Engine | Any) -> tuple[object, ...] | None:
    """What identifies the warehouse's current content: the DuckDB file and WAL state (and
    ``invalidate_freshness``'s generation). Any committed write changes it, so a result kept
    under it is never served after new data. None where there is no file to watch
    (PostgreSQL, Spark, in-memory): such a warehouse has to be asked every time."""
    dialect = getattr(engine, "dialect", None)
    if getattr(dialect, "name", None) != "duckdb":
        return None
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    stamps: list[object] = [os.path.abspath(database), _FRESHNESS.generation]
    for path in (database, f"{database}.wal"):
        try:
            st = os.stat(path)
        except OSError:
            stamps.append(None)
        else:
            stamps.append((st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(stamps)


# The fact tables' column naming the system a row came from (tools/warehouse/schema.py).
SOURCE_COLUMN = "source"


def _freshness(
    conn: Connection, compiled: CompiledQuery, catalog: Catalog
) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """Per "table.column": the latest value the caller may see (see freshness_statement) not
    beyond now + FUTURE_TOLERANCE; a warning per column that has values beyond it; and per
    source system (tables with a ``source`` column) its latest value, within the same rows."""
    # Whole minutes, so the lookups can be cached (the tolerance is a day; warnings show minutes).
    horizon = datetime.now().replace(second=0, microsecond=0) + FUTURE_TOLERANCE
    version = _data_version(conn)
    out: dict[str, Any] = {}
    by_source: dict[str, Any] = {}
    warnings: list[str] = []
    for group in compiled.plan.groups:
        column = group.snapshot[0] if group.snapshot else group.time_dimension
        key = f"{group.model.table}.{column}"
        if not column or key in out:
            continue
        policy = tuple(rf for rf in group.filters if rf.from_policy)
        cache_key = (version, key, policy, horizon) if version is not None else None
        try:
            hash(cache_key)
        except TypeError:  # a policy value that cannot be a key: ask the warehouse
            cache_key = None
        found = _FRESHNESS.get(cache_key) if cache_key is not None else None
        if found is None:
            stmt = freshness_statement(group, catalog, horizon)
            assert stmt is not None and stmt[0] == key
            disk = _disk_freshness_path(conn, version, stmt[1], horizon)
            found = _read_disk_freshness(disk, version, horizon)
            if found is None:
                found = _query_freshness(conn, group, catalog, horizon, stmt[1])
                _store_disk_freshness(conn, disk, version, horizon, found)
            if cache_key is not None:
                _FRESHNESS.put(cache_key, found)
        *latest, per_source = found
        out[key] = freshness_reading(key, *latest, horizon, warnings)
        for source, value, future in per_source:
            reading = freshness_reading(key, value, future, horizon, [])
            known = by_source.get(str(source))
            by_source[str(source)] = max(known, reading) if known and reading else known or reading
    return out, warnings, dict(sorted(by_source.items()))


def _query_freshness(
    conn: Connection, group: Any, catalog: Catalog, horizon: datetime, plain: Any
) -> tuple[Any, int, tuple[tuple[Any, ...], ...]]:
    """(latest value, rows beyond ``horizon``, per source (source, latest, beyond)). A table
    with a ``source`` column is asked once, per source: the overall latest value is the largest
    of the sources' and the rows beyond are their sum (a NULL source is a group of its own)."""
    if _has_column(conn, group.model.table, SOURCE_COLUMN):
        grouped = freshness_statement(group, catalog, horizon, by=SOURCE_COLUMN)
        assert grouped is not None
        per_source = tuple(tuple(r) for r in run(conn, grouped[1]))
        values = [value for _, value, _ in per_source if value is not None]
        return max(values) if values else None, sum(n for *_, n in per_source), per_source
    latest, beyond = run(conn, plain).one()
    return latest, beyond, ()


# Freshness kept on disk between processes (the user's cache, see semantic_layer.user_cache):
# only for DuckDB files, one file per (warehouse file, freshness statement), holding the data
# version it was read under. Any committed write changes the version (data_version), so a
# changed warehouse is always asked again. A reading taken at an earlier horizon still holds
# when no row lay beyond that horizon (none can lie beyond a later one, and the latest value
# is below both); otherwise only at the same horizon. Never an error of its own.
_DISK_FORMAT = 1


def _disk_freshness_path(
    conn: Connection, version: tuple[object, ...] | None, plain: Any, horizon: datetime
) -> Path | None:
    directory = cache_dir() if version is not None else None
    if directory is None:
        return None
    try:
        compiled = plain.compile(dialect=conn.dialect)
        params = sorted(
            (name, "<horizon>" if value == horizon else repr(value))
            for name, value in compiled.params.items()
        )
    except Exception:  # noqa: BLE001 - a statement that cannot be keyed: ask the warehouse
        return None
    digest = hashlib.sha256(f"freshness {_DISK_FORMAT}\n{version[0]}\n".encode())
    digest.update(f"{compiled.string}\n{params!r}".encode())
    return directory / f"freshness-{digest.hexdigest()[:32]}.pickle"


def _read_disk_freshness(
    path: Path | None, version: tuple[object, ...] | None, horizon: datetime
) -> tuple[Any, int, tuple[tuple[Any, ...], ...]] | None:
    if path is None:
        return None
    try:
        stored_format, stored_version, stored_horizon, found = user_cache.load(path)
    except (TypeError, ValueError):  # missing, corrupt or foreign: ask the warehouse
        return None
    if stored_format != _DISK_FORMAT or stored_version != version:
        return None
    if stored_horizon == horizon or (stored_horizon < horizon and found[1] == 0):
        return found
    return None


def _store_disk_freshness(
    conn: Connection,
    path: Path | None,
    version: tuple[object, ...] | None,
    horizon: datetime,
    found: tuple[Any, int, tuple[tuple[Any, ...], ...]],
) -> None:
    if path is None or version != _data_version(conn):  # written meanwhile: do not keep
        return
    user_cache.store(path, (_DISK_FORMAT, version, horizon, found))
    _prune_disk_freshness(path.parent)


# Readings kept at most: one per warehouse file and role filter in use; temporary warehouses
# (tests, one-off imports) would otherwise leave theirs behind for good.
_DISK_FRESHNESS_KEPT = 256


def _prune_disk_freshness(directory: Path) -> None:
    user_cache.prune(directory, "freshness-*.pickle", _DISK_FRESHNESS_KEPT)


def _has_column(conn: Connection, table: str, column: str) -> bool:
    try:
        return has_column(conn, table, column)
    except sa.exc.SQLAlchemyError:
        return False


def freshness_reading(
    key: str, value: Any, future: int, horizon: datetime, warnings: list[str]
) -> datetime | None:
    """One freshness query's answer (latest value, rows in the future) as a datetime, with a
    warning appended when rows lie in the future; shared by every engine."""
    if future:
        at = f"{horizon:%Y-%m-%d %H:%M}"
        warnings.append(
            ResultWarning(
                "future_rows",
                f"{future:,} row(s) have {key} after {at}, in the future; data freshness "
                "ignores them. Correct them in the source data.",
                rows=future,
                column=key,
                at=at,
            )
        )
    if isinstance(value, datetime | None):
        return value
    return datetime.combine(value, datetime.min.time()) if isinstance(value, date) else None


def row_limit_warning(row_limit: int) -> ResultWarning:
    return ResultWarning(
        "row_limit",
        f"Only the first {row_limit} rows are shown; add filters or a limit.",
        rows=row_limit,
    )


def _freshness_warnings(query: MetricQuery, freshness: dict[str, Any]) -> list[str]:
    latest = [v for v in freshness.values() if v is not None]
    if query.time_range is None or not latest:
        return []
    newest = max(latest)
    # Data reaching into the range's last day counts as complete; a whole day without data at
    # the end means the last period is cut short.
    if newest.date() < query.time_range.end - timedelta(days=1):
        at = f"{newest:%Y-%m-%d %H:%M}"
        return [
            ResultWarning(
                "data_ends", f"The data ends at {at}; periods after it are incomplete.", at=at
            )
        ]
    return []


def _all_dates(column: Any) -> bool:
    """True when every value is already a ``date`` (DuckDB returns them so): no conversion."""
    return len(column) > 0 and all(type(v) is date for v in column)
