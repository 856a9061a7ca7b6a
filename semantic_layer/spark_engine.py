"""The Spark engine behind the executor: compiled MetricQueries run on Apache Spark.

Reached by the warehouse URL (docs/scale.md):

- ``spark+connect://HOST:PORT?path=DIR`` — a Spark Connect server (``sc://HOST:PORT``, the way a
  user reaches a real cluster); the contract tables are ``DIR/<table>.parquet`` (or a directory
  of Parquet files per table) as the *server* sees DIR (a local path, ``hdfs://``, ``s3a://``).
- ``spark+connect://HOST:PORT/DATABASE`` — the tables live in the server's catalog, in DATABASE.
- ``spark+local://DIR`` — a local Spark (2 cores) for development, over ``DIR/<table>.parquet``.

The query is compiled exactly as for DuckDB (row-level security included: the policy's filters
are in the compiled tree) and transpiled to Spark SQL by sqlglot (semantic_layer.transpile), so
the numbers are the same certified definitions. Read-only: only the compiler's SELECT runs and the
Parquet tables are registered as temporary views; on a cluster, give the server's user read-only
access to the catalog. Row limit: a LIMIT on the statement. Time limit: the statement is tagged
and interrupted through Spark Connect after ``timeout_s``.

pyspark is an optional dependency (the ``spark`` extra) and is imported only when a Spark URL is
used.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from sqlglot import exp

from semantic_layer.catalog import Catalog
from semantic_layer.compiler import compile_query, freshness_statement, render
from semantic_layer.errors import ExecutionError
from semantic_layer.policy import RowPolicy
from semantic_layer.query import MetricQuery
from semantic_layer.transpile import to_ast

if TYPE_CHECKING:
    from semantic_layer.executor import MetricResult

SCHEMES = ("spark+connect", "spark+local")
LOCAL_CORES = 2
INSTALL_HINT = (
    "Install the Spark extra (pip install 'servicepilot[spark]') and a Java 17 runtime "
    "(apt-get install openjdk-17-jre-headless)."
)


def is_spark_url(target: object) -> bool:
    return isinstance(target, str) and target.split("://", 1)[0] in SCHEMES


@dataclass(frozen=True)
class SparkTarget:
    """Where a Spark URL points: the session to open and where the tables are."""

    url: str
    remote: str  # "sc://host:port" or "local[2]"
    path: str | None  # directory of <table>.parquet; None = the server's catalog
    database: str | None


def parse_spark_url(url: str) -> SparkTarget:
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - {"path"})
    if unknown:
        raise ExecutionError(
            f"Unknown option(s) {', '.join(unknown)} in the warehouse URL {url!r}; the only "
            "option is ?path=DIR (the directory of exported Parquet tables)."
        )
    if parts.scheme == "spark+local":
        path = (parts.netloc + parts.path) or query.get("path")
        if not path:
            raise ExecutionError(
                f"{url!r} names no directory. Use spark+local:///abs/dir or spark+local://rel/dir "
                "(written by `servicepilot warehouse export --format parquet DIR`)."
            )
        return SparkTarget(url, f"local[{LOCAL_CORES}]", path, None)
    if parts.scheme == "spark+connect":
        if not parts.hostname or not parts.port:
            raise ExecutionError(
                f"{url!r} needs a host and port, e.g. spark+connect://127.0.0.1:15002?path=DIR."
            )
        database = parts.path.strip("/") or None
        if database is None and "path" not in query:
            raise ExecutionError(
                f"{url!r} says neither where the tables are (?path=DIR of Parquet tables) nor "
                "which catalog database holds them (spark+connect://host:port/DATABASE)."
            )
        return SparkTarget(url, f"sc://{parts.hostname}:{parts.port}", query.get("path"), database)
    raise ExecutionError(f"{url!r} is not a Spark URL (use {' or '.join(SCHEMES)}).")


class SparkWarehouse:
    """One Spark session with the warehouse tables visible under their contract names; shared
    by threads (Spark Connect sessions are thread-safe; each query is tagged separately)."""

    def __init__(self, target: SparkTarget, session: Any) -> None:
        self.target = target
        self.session = session
        self.url = target.url

    is_spark = True  # what the executor checks (it does not import this module unless needed)

    @classmethod
    def open(cls, url: str, tables: tuple[str, ...]) -> SparkWarehouse:
        target = parse_spark_url(url)
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise ExecutionError(
                f"Spark warehouse {url!r}: pyspark is missing. {INSTALL_HINT}"
            ) from exc
        # pyspark logs every failed query with its JVM stack trace; the error is reported to
        # the caller once, as a short message, instead.
        logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
        builder = SparkSession.builder.remote(target.remote).config(
            # Warehouse timestamps are naive business time: UTC in Spark means no DST shifts
            # in UNIX_TIMESTAMP differences, so durations equal DuckDB's.
            "spark.sql.session.timeZone",
            "UTC",
        )
        if target.path and target.remote.startswith("local"):
            # Startup-only settings of the in-process Spark: no progress bars on the terminal,
            # no web UI port, only loopback.
            for key, value in (
                ("spark.ui.showConsoleProgress", "false"),
                ("spark.ui.enabled", "false"),
                ("spark.driver.host", "127.0.0.1"),
                ("spark.driver.bindAddress", "127.0.0.1"),
            ):
                builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
            if target.database:
                session.catalog.setCurrentDatabase(target.database)
            if target.path:
                for table in tables:
                    location = f"{target.path.rstrip('/')}/{table}.parquet"
                    session.read.parquet(location).createOrReplaceTempView(table)
        except ExecutionError:
            raise
        except Exception as exc:
            raise ExecutionError(
                f"Cannot open the Spark warehouse {url!r}: {_first_line(exc)}. Check that the "
                "Spark Connect server runs and that the tables were written with "
                "`servicepilot warehouse export --format parquet DIR`."
            ) from exc
        return cls(target, session)

    def run(self, tree: exp.Expression, timeout_s: float) -> tuple[list[str], list[tuple]]:
        """Run one SELECT (a sqlglot tree), interrupted after ``timeout_s``."""
        if not isinstance(tree, exp.Query):
            raise ExecutionError("Only SELECT statements run on the Spark warehouse.")
        tag = f"sp-{uuid.uuid4().hex}"
        fired, done = threading.Event(), threading.Event()

        def watchdog() -> None:
            if done.wait(timeout_s):
                return
            fired.set()
            # Interrupt until the call returns: an interrupt that arrives between two of the
            # statement's operations (analysis, then execution) would otherwise be lost.
            while not done.is_set():
                self.session.interruptTag(tag)
                done.wait(0.25)

        self.session.addTag(tag)
        guard = threading.Thread(target=watchdog, name="spark-timeout", daemon=True)
        guard.start()
        try:
            frame = self.session.sql(tree.sql(dialect="spark"))
            rows = [tuple(r) for r in frame.collect()]
            if fired.is_set():
                raise TimeoutError
            return list(frame.columns), rows
        except Exception as exc:
            if fired.is_set():
                raise ExecutionError(
                    f"The query ran longer than {timeout_s:g}s and was stopped. Narrow the time "
                    "range or use fewer dimensions."
                ) from exc
            raise ExecutionError(
                f"The Spark warehouse could not run the query: {_first_line(exc)}"
            ) from exc
        finally:
            done.set()
            self.session.removeTag(tag)

    def close(self) -> None:
        with _LOCK:
            _OPEN.pop(self.url, None)
        self.session.stop()


_OPEN: dict[str, SparkWarehouse] = {}
_LOCK = threading.Lock()


def open_spark(url: str, catalog: Catalog) -> SparkWarehouse:
    """The process's SparkWarehouse for ``url`` (opened once: a session start costs seconds)."""
    with _LOCK:
        if url not in _OPEN:
            # Tables computed as of a date (customer segments) are not exported to Spark: the
            # dimensions on them are refused there, so their models are not registered.
            tables = tuple(
                sorted({m.table for m in catalog.models.values() if m.computed_as_of is None})
            )
            _OPEN[url] = SparkWarehouse.open(url, tables)
        return _OPEN[url]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def execute_spark(
    query: MetricQuery,
    warehouse: SparkWarehouse | str,
    *,
    catalog: Catalog,
    policy: RowPolicy | None,
    row_limit: int,
    timeout_s: float,
) -> MetricResult:
    """The executor's ``execute`` on Spark: same compiled query, same MetricResult."""
    from semantic_layer import executor as ex

    started = time.perf_counter()
    wh = open_spark(warehouse, catalog) if isinstance(warehouse, str) else warehouse
    compiled = compile_query(query, catalog, dialect="duckdb", policy=policy)
    tree = to_ast(compiled, "spark")
    if query.limit is None or query.limit > row_limit:
        tree = tree.limit(row_limit + 1)
    columns, rows = wh.run(tree, timeout_s)
    freshness, future = _freshness(wh, compiled, catalog, timeout_s)
    truncated = len(rows) > row_limit
    table, sample_sizes, warnings = ex._result_table(rows[:row_limit], columns, compiled, catalog)
    if truncated:
        warnings.append(ex.row_limit_warning(row_limit))
    warnings += future + ex._freshness_warnings(query, freshness)
    metas = {m.name: ex.MetricMeta.of(m, catalog) for m in compiled.plan.metrics}
    return ex.MetricResult(
        query,
        SparkSQL(to_ast(compiled, "spark").sql(dialect="spark", pretty=True)),
        "spark",
        table,
        metas,
        sample_sizes,
        tuple([*compiled.plan.warnings, *warnings]),
        freshness,
        (time.perf_counter() - started) * 1000,
        truncated,
    )


@dataclass(frozen=True)
class SparkSQL:
    """What ran on Spark, for a result's provenance (``MetricResult.sql`` reads ``.sql``)."""

    sql: str


def _freshness(
    wh: SparkWarehouse, compiled: Any, catalog: Catalog, timeout_s: float
) -> tuple[dict[str, datetime | None], list[str]]:
    """As the executor's freshness: the latest time value the caller may see, per table."""
    import sqlglot

    from semantic_layer.executor import FUTURE_TOLERANCE, freshness_reading

    horizon = datetime.now().replace(microsecond=0) + FUTURE_TOLERANCE
    out: dict[str, datetime | None] = {}
    warnings: list[str] = []
    for group in compiled.plan.groups:
        found = freshness_statement(group, catalog, horizon)
        if found is None or found[0] in out:
            continue
        key, stmt = found
        tree = sqlglot.parse_one(render(stmt, "duckdb"), read="duckdb")
        _, rows = wh.run(tree, timeout_s)
        out[key] = freshness_reading(key, *rows[0], horizon, warnings)
    return out, warnings
