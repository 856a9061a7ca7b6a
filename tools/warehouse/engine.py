"""Connecting to the warehouse and writing to it, the same way on DuckDB and PostgreSQL.

DuckDB is the default (an embedded file); any SQLAlchemy URL works. Bulk writes take a fast
path per dialect (DuckDB: Arrow scan of a DataFrame; PostgreSQL: COPY) inside the caller's
transaction, so a failed import or generation leaves nothing half-written.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import registry
from sqlalchemy.engine import Connection, Engine

from semantic_layer import user_cache
from tools.errors import WarehouseError
from tools.warehouse.schema import CONTRACT_COLUMNS, metadata

if TYPE_CHECKING:
    import pandas as pd  # annotations only: the audit log opens engines without pandas

# The Spark engine runs certified metric queries only (semantic_layer/spark_engine.py); every
# other reader of the warehouse needs a SQLAlchemy connection, so it says so (docs/scale.md).
SPARK_NOT_HERE = (
    "{url} is a Spark warehouse: Spark runs the certified metric queries through the semantic "
    "layer (semantic_layer.executor.execute, benchmarks/), but this command reads the warehouse "
    "through SQLAlchemy (chat, why-analysis, alerts, forecasts, cases, import, status). Point it "
    "at DuckDB or PostgreSQL (--db); see docs/scale.md."
)


# Named here, the DuckDB dialect loads without SQLAlchemy reading every installed package's entry
# points to find it (≈ 40 ms of each CLI call); the name is the one duckdb-sqlalchemy registers.
registry.register("duckdb", "duckdb_sqlalchemy", "Dialect")


def _remember_duckdb_probes() -> None:
    """Hand duckdb-sqlalchemy what it would otherwise find out on each process's first
    connection by opening two databases in memory (≈ 13 ms of CPU each): which settings
    ``duckdb.connect`` accepts, and whether COMMENT ON works. Both depend only on the installed
    versions, so they are probed once per version pair and kept in the user's cache. Another
    duckdb-sqlalchemy whose functions are named otherwise simply probes for itself."""
    global _PROBES_REMEMBERED
    if _PROBES_REMEMBERED:
        return
    _PROBES_REMEMBERED = True
    import duckdb
    import duckdb_sqlalchemy
    from duckdb_sqlalchemy import config as dialect_config

    names = ("get_native_config", "has_comment_support")
    if not all(callable(getattr(duckdb_sqlalchemy, n, None)) for n in names) or not callable(
        getattr(dialect_config, "get_native_config", None)
    ):
        return
    versions = f"{duckdb.__version__} {getattr(duckdb_sqlalchemy, '__version__', '?')}"
    directory = user_cache.cache_dir()
    path = directory / f"duckdb-probes-{versions.replace(' ', '-')}.pickle" if directory else None
    kept = user_cache.load(path) if path is not None else None
    if not (
        isinstance(kept, tuple)
        and len(kept) == 3
        and kept[0] == versions
        and isinstance(kept[1], frozenset)
        and isinstance(kept[2], bool)
    ):
        settings = frozenset(duckdb_sqlalchemy.get_native_config())
        kept = (versions, settings, bool(duckdb_sqlalchemy.has_comment_support()))
        if path is not None:
            user_cache.store(path, kept)
    _, settings, comments = kept

    def native_config() -> set[str]:
        return set(settings)

    duckdb_sqlalchemy.get_native_config = dialect_config.get_native_config = native_config
    duckdb_sqlalchemy.has_comment_support = lambda: comments


_PROBES_REMEMBERED = False


def is_duckdb(url_or_engine: str | Engine | Connection) -> bool:
    if isinstance(url_or_engine, str):
        return url_or_engine.startswith("duckdb:")
    return url_or_engine.dialect.name == "duckdb"


def duckdb_path(url: str) -> Path | None:
    """The file behind a ``duckdb:///path`` URL (None for in-memory)."""
    path = sa.make_url(url).database
    return Path(path) if path and path != ":memory:" else None


def make_engine(url: str, *, read_only: bool = False, create_dir: bool = True) -> Engine:
    """Create an engine; ``read_only`` opens DuckDB files read-only (other engines: use a
    read-only database role, see docs)."""
    if url.startswith(("spark+connect:", "spark+local:")):
        raise WarehouseError(SPARK_NOT_HERE.format(url=url))
    connect_args: dict[str, object] = {}
    if is_duckdb(url):
        path = duckdb_path(url)
        if path is not None:
            if read_only and not path.exists():
                raise WarehouseError(
                    f"Warehouse file {path} does not exist. Build it with "
                    f"`servicepilot demo-data --db {path}` or import data with "
                    f"`servicepilot import ... --db {path}`."
                )
            if create_dir:
                path.parent.mkdir(parents=True, exist_ok=True)
            if not read_only and path.is_symlink():
                raise WarehouseError(
                    f"{path} is published by the live-ingest writer (a link to a read-only "
                    "snapshot); write through it instead: drop files into "
                    "<data_dir>/ingest/drop/<mapping>/ or post events (docs/ingest.md). To "
                    "rebuild, stop the writer and follow docs/ingest.md, 'Rebuilding'."
                )
        if read_only:
            connect_args["read_only"] = True
        _remember_duckdb_probes()
    try:
        engine = sa.create_engine(url, connect_args=connect_args)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise WarehouseError(
            f"Cannot use warehouse URL {url!r}: {exc}. Use a path to a DuckDB file or a "
            "SQLAlchemy URL such as postgresql+psycopg://user@host/db."
        ) from exc
    if read_only and is_duckdb(url) and (path := duckdb_path(url)) is not None:
        from tools.ingest.snapshot import follow_snapshots

        follow_snapshots(engine, path)  # live ingest replaces the file with newer snapshots
    return engine


def open_warehouse(url: str) -> Engine:
    """A read-only engine that has connected once, so a warehouse that cannot be read (locked by
    a writer, damaged, unreachable) fails here with a clear message instead of mid-answer."""
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise WarehouseError(
            f"Cannot open the warehouse {url}: {reason}. If another process is writing to this "
            "DuckDB file (an import or a demo-data build), wait for it to finish; if the file is "
            "damaged, rebuild it with `servicepilot demo-data --replace` or restore a backup."
        ) from exc
    return engine


def holds_only_demo_data(engine: Engine) -> bool:
    """True when every ticket came from the demo generator (``source = 'demo'``) and nothing
    was imported; a warehouse that cannot be read this way counts as real data."""
    from tools.warehouse.schema import sp_imports, tickets

    try:
        with engine.connect() as conn:
            real = conn.execute(
                sa.select(tickets.c.ticket_id).where(tickets.c.source != "demo").limit(1)
            ).first()
            imported = conn.execute(sa.select(sp_imports.c.import_id).limit(1)).first()
    except sa.exc.SQLAlchemyError:
        return False
    return real is None and imported is None


def create_schema(engine: Engine, *, defer_primary_keys: bool = False) -> None:
    """Create every contract and bookkeeping table that does not exist yet.

    ``defer_primary_keys`` creates the tables without primary keys, for bulk loads into a
    fresh database: DuckDB appends several times faster without the key index, and
    ``add_primary_keys`` then builds (and checks) the keys once at the end.
    """
    if not defer_primary_keys:
        metadata.create_all(engine)
        return
    bare = sa.MetaData()
    for table in metadata.sorted_tables:
        sa.Table(
            table.name,
            bare,
            *(
                sa.Column(c.name, c.type, nullable=c.nullable, server_default=c.server_default)
                for c in table.columns
            ),
        )
    bare.create_all(engine)


def add_primary_keys(conn: Connection) -> None:
    """Add the schema's primary keys to tables created with ``defer_primary_keys``."""
    for table in metadata.sorted_tables:
        columns = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
        conn.execute(sa.text(f'ALTER TABLE "{table.name}" ADD PRIMARY KEY ({columns})'))


def missing_contract_columns(engine: Engine) -> dict[str, list[str]]:
    """Columns of the DESIGN.md contract that the live warehouse lacks, per table."""
    inspector = sa.inspect(engine)
    existing_tables = set(inspector.get_table_names())
    missing: dict[str, list[str]] = {}
    for table, columns in CONTRACT_COLUMNS.items():
        if table not in existing_tables:
            missing[table] = list(columns)
            continue
        have = {c["name"] for c in inspector.get_columns(table)}
        lacking = [c for c in columns if c not in have]
        if lacking:
            missing[table] = lacking
    return missing


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One all-or-nothing transaction (commit on success, rollback on any exception)."""
    with engine.begin() as conn:
        yield conn


def write_frame(conn: Connection, table: str, frame: pd.DataFrame) -> int:
    """Append ``frame`` (columns named as in the table) to ``table`` inside ``conn``'s
    transaction. Returns the number of rows written."""
    if frame.empty:
        return 0
    columns = list(frame.columns)
    known = metadata.tables.get(table)
    if known is None or not set(columns) <= set(known.columns.keys()):
        # Identifiers below are interpolated, so only the schema's own names may reach them.
        raise WarehouseError(f"write_frame: {table}({', '.join(columns)}) is not in the schema.")
    if conn.dialect.name == "duckdb":
        raw = conn.connection.driver_connection
        view = f"_sp_frame_{table}"
        raw.register(view, frame)
        try:
            column_list = ", ".join(f'"{c}"' for c in columns)
            raw.execute(f'INSERT INTO "{table}" ({column_list}) SELECT {column_list} FROM {view}')
        finally:
            raw.unregister(view)
    elif conn.dialect.name == "postgresql":
        _copy_postgres(conn, table, frame)
    else:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        conn.execute(metadata.tables[table].insert(), records)
    return len(frame)


def _copy_postgres(conn: Connection, table: str, frame: pd.DataFrame) -> None:
    raw = conn.connection.driver_connection
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N", date_format="%Y-%m-%d %H:%M:%S")
    buffer.seek(0)
    column_list = ", ".join(f'"{c}"' for c in frame.columns)
    with (
        raw.cursor() as cursor,
        cursor.copy(
            f"COPY \"{table}\" ({column_list}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        ) as copy,
    ):
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)
