"""Deterministic demo warehouse: 24 months of a home-appliance company's service operations.

Same ``seed``, ``tickets`` and ``end`` give the same rows (and the same checksum, stored in
``sp_meta``). Generation streams in chunks of days (customers in slices) so 10M tickets need
about as much memory as 1M. Into a DuckDB file, a writer thread appends chunk k (DuckDB runs
without the GIL) while the main thread simulates chunk k+1: the two cores both work, and the
rows are the same as a sequential build's. Nothing is half-written: a DuckDB file is built
beside its target and renamed into place at the end; other databases get one transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from tqdm import tqdm

from tools.customers.segments import build_customer_segments
from tools.demo_data.calendar import allocate, day_range, day_weights
from tools.demo_data.facts import planted_facts
from tools.demo_data.memory import release_freed_memory
from tools.demo_data.simulate import DAY, ChunkContext, OrderPool, simulate_orders, simulate_tickets
from tools.demo_data.world import build_world
from tools.errors import WarehouseError
from tools.warehouse.engine import (
    create_schema,
    duckdb_path,
    is_duckdb,
    make_engine,
    write_frame,
)
from tools.warehouse.schema import CONTRACT_TABLES, metadata, sp_meta

GENERATOR_VERSION = "1"
CHUNK_TICKETS = 150_000  # tickets simulated at once; bounds memory at any --tickets
CUSTOMER_SLICE = 250_000  # customers built and written at once (3.3M at 10M tickets)
ORDERS_PER_TICKET = 3
MONTHS = 24


@dataclass(frozen=True)
class DemoSpec:
    tickets: int
    seed: int
    end: date  # last day with data

    @property
    def stop(self) -> date:
        """First day after the data (exclusive end)."""
        return self.end + timedelta(days=1)

    @property
    def start(self) -> date:
        """First day of the 24-month window ending at ``end``."""
        year, month = self.stop.year, self.stop.month - MONTHS
        while month < 1:
            year, month = year - 1, month + 12
        day = min(self.stop.day, 28)
        return date(year, month, day)

    def validate(self) -> None:
        if self.tickets < 1_000:
            raise WarehouseError(
                f"--tickets {self.tickets} is too small for 24 months of data; use at least 1000."
            )


def _chunks(months: list[int], counts: np.ndarray) -> Iterator[tuple[int, int]]:
    """(first, last+1) day indices: calendar months, split when a month has too many tickets."""
    i = 0
    while i < len(months):
        j = i
        while j < len(months) and months[j] == months[i]:
            j += 1
        pieces = max(1, -(-int(counts[i:j].sum()) // CHUNK_TICKETS))
        bounds = np.linspace(i, j, pieces + 1).round().astype(int)
        yield from zip(bounds[:-1], bounds[1:], strict=True)
        i = j


class _Checksum:
    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def add(self, table: str, frame: pd.DataFrame, *, continued: bool = False) -> None:
        """Hash ``frame``'s rows; ``continued``: more rows of the frame added just before (a
        table written in slices hashes as if it had been one frame)."""
        if not continued:
            self._hash.update(table.encode())
        self._hash.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def generate_demo_warehouse(
    url: str,
    *,
    tickets: int,
    seed: int,
    end: date,
    replace: bool = False,
    progress: bool = False,
    on_chunk: Callable[[int], None] | None = None,
) -> dict:
    """Build the demo warehouse at ``url``; returns a summary (row counts, checksum, timing)."""
    spec = DemoSpec(tickets=tickets, seed=seed, end=end)
    spec.validate()
    if is_duckdb(url) and duckdb_path(url) is not None:
        return _generate_duckdb_file(
            url, spec, replace=replace, progress=progress, on_chunk=on_chunk
        )
    engine = make_engine(url)
    try:
        create_schema(engine)
        with engine.begin() as conn:
            _refuse_or_clear(conn, replace=replace, where=url)
            summary = _generate(
                conn_factory=lambda: nullcontext(conn),
                engine=engine,
                spec=spec,
                progress=progress,
                on_chunk=on_chunk,
            )
            summary["customer_segments"] = build_customer_segments(conn)
            return summary
    finally:
        engine.dispose()


def _generate_duckdb_file(
    url: str,
    spec: DemoSpec,
    *,
    replace: bool,
    progress: bool,
    on_chunk: Callable[[int], None] | None,
) -> dict:
    target = duckdb_path(url)
    assert target is not None
    if target.exists() and not replace:
        raise WarehouseError(
            f"{target} already exists. Pass --replace to rebuild it, or --db another path."
        )
    building = target.with_name(target.name + ".building")
    for stale in (building, Path(str(building) + ".wal")):
        stale.unlink(missing_ok=True)
    engine = make_engine(f"duckdb:///{building}")
    # DuckDB's buffer pool defaults to 80 % of RAM; capped, the appends and the primary-key
    # build spill to disk (DuckDB's <file>.tmp) instead of growing with --tickets. The rows
    # are unchanged. The pool keeps written blocks cached up to the cap, so at 10M tickets
    # it is full while the simulation's working set (~0.8 GB at 150k tickets a chunk) is in
    # memory too: appending needs little, so the cap is low then (APPEND_MEMORY_LIMIT) and
    # raised for the key step, which runs after the simulation has freed its memory.
    sa.event.listen(engine, "connect", _limit_duckdb_memory)
    try:
        create_schema(engine, defer_primary_keys=True)
        with _BackgroundWriter(engine) as writer:
            summary = _generate(
                conn_factory=engine.begin,
                engine=engine,
                spec=spec,
                progress=progress,
                on_chunk=on_chunk,
                writer=writer,
            )
        with engine.begin() as conn:
            conn.exec_driver_sql(f"SET memory_limit = '{KEY_MEMORY_LIMIT}'")
        unindexed = _add_primary_keys_within_memory(engine)
        summary["customer_segments"] = build_customer_segments(engine)  # as of the data end
        if unindexed:
            summary["keys_checked_not_indexed"] = unindexed
        _record_and_checkpoint(engine, unindexed)
    except BaseException:
        engine.dispose()
        building.unlink(missing_ok=True)
        raise
    engine.dispose()
    Path(str(target) + ".wal").unlink(missing_ok=True)
    os.replace(building, target)
    return summary


# 512 MB during the appends gave a peak RSS of 2.06 GiB at 10M tickets (1 GB gave 2.1 GB).
APPEND_MEMORY_LIMIT = "256MB"
KEY_MEMORY_LIMIT = "512MB"


def _record_and_checkpoint(engine: Engine, unindexed: list[str]) -> None:
    """Name the tables without a key index in sp_meta, then checkpoint. Two transactions:
    DuckDB refuses CHECKPOINT in a transaction that has changes of its own."""
    if unindexed:
        with engine.begin() as conn:
            conn.execute(
                sp_meta.insert(), [{"key": "unindexed_keys", "value": json.dumps(unindexed)}]
            )
    with engine.begin() as conn:
        conn.execute(sa.text("CHECKPOINT"))


# DuckDB's key index (ART) stays in memory: ~41 bytes per string key (3.3M customer ids take
# 136 MB). Tables with more rows are not indexed at all rather than tried: a failed index
# build left too little of KEY_MEMORY_LIMIT for the check that followed (10M tickets, OOM).
INDEXED_ROWS_LIMIT = 4_000_000
# Rows per slice of the uniqueness check: each slice's hash table stays a few tens of MB.
UNIQUE_CHECK_SLICE_ROWS = 2_000_000


def _add_primary_keys_within_memory(engine: Engine) -> list[str]:
    """Add the schema's primary keys table by table; returns the tables left without a key
    index because it would not fit in KEY_MEMORY_LIMIT.

    Such a table (orders and tickets at 10M tickets) keeps no index, but its key is still
    checked unique slice by slice (``_count_duplicate_keys``), and ``sp_meta.unindexed_keys``
    names it. Nothing in the project relies on the index (writers never upsert by key), only
    on the uniqueness.
    """
    unindexed: list[str] = []
    for table in metadata.sorted_tables:
        columns = [c.name for c in table.primary_key.columns]
        column_list = ", ".join(f'"{c}"' for c in columns)
        with engine.begin() as conn:
            rows = conn.execute(sa.text(f'SELECT COUNT(*) FROM "{table.name}"')).scalar_one()
        if rows <= INDEXED_ROWS_LIMIT:
            try:
                with engine.begin() as conn:
                    conn.execute(
                        sa.text(f'ALTER TABLE "{table.name}" ADD PRIMARY KEY ({column_list})')
                    )
                continue
            except sa.exc.DBAPIError as exc:
                if "out of memory" not in str(exc).lower():
                    raise
        duplicates = _count_duplicate_keys(engine, table.name, columns, rows)
        if duplicates:
            raise WarehouseError(
                f"Demo data: {duplicates} duplicate key(s) ({column_list}) in {table.name}; "
                "this is a generator bug, please report it."
            )
        unindexed.append(table.name)
    return unindexed


def _count_duplicate_keys(engine: Engine, table: str, columns: list[str], rows: int) -> int:
    """Rows of ``table`` whose key repeats an earlier row's, counted in slices by key hash.

    Equal keys have equal hashes, so every duplicate lies within one slice, and each slice's
    DISTINCT needs memory for ``UNIQUE_CHECK_SLICE_ROWS`` keys only, whatever the table's size
    (one GROUP BY over 10M ticket ids ran out of the 512 MB build cap). Costs a scan of the key
    columns per slice.
    """
    slices = max(1, -(-rows // UNIQUE_CHECK_SLICE_ROWS))
    key = ", ".join(f'"{c}"' for c in columns)
    duplicates = 0
    with engine.begin() as conn:
        for part in range(slices):
            duplicates += conn.execute(
                sa.text(
                    f'SELECT COUNT(*) - COUNT(DISTINCT ({key})) FROM "{table}" '
                    f"WHERE hash({key}) % {slices} = {part}"
                )
            ).scalar_one()
    return duplicates


def _limit_duckdb_memory(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SET memory_limit = '{APPEND_MEMORY_LIMIT}'")
    # Long appends would draw DuckDB's own progress bar over the generator's.
    cursor.execute("SET enable_progress_bar = false")
    cursor.close()


class _BackgroundWriter:
    """Appends batches of frames to a DuckDB database from its own thread, one transaction
    per batch, in the order they were put.

    Frames are handed over as Arrow tables: DuckDB reads those without the GIL, so the
    append (and its commit) overlaps the next chunk's simulation on the other core. ``put``
    returns once the previous batch is written, so one batch at most is in the writer while
    the next chunk is simulated: memory stays bounded whichever side is slower.
    The first error in the thread is raised in the caller at its next ``put`` or at exit.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.Queue[list[tuple[str, pa.Table]] | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="demo-data-writer", daemon=True)

    def __enter__(self) -> _BackgroundWriter:
        self._thread.start()
        return self

    def put(self, batch: list[tuple[str, pd.DataFrame]]) -> None:
        self._raise_error()
        tables = [
            (table, pa.Table.from_pandas(frame, preserve_index=False))
            for table, frame in batch
            if not frame.empty
        ]
        # The writer drains the queue even after an error, so this wait always ends.
        self._queue.join()
        self._raise_error()
        self._queue.put(tables)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            # Drain so the thread sees the stop marker promptly; the build is discarded.
            with suppress(queue.Empty):
                while True:
                    self._queue.get_nowait()
        self._queue.put(None)
        self._thread.join()
        if exc_type is None:
            self._raise_error()

    def flush(self) -> None:
        """Wait until every batch put so far is committed."""
        self._queue.join()
        self._raise_error()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (tables := self._queue.get()) is not None:
            try:
                if self._error is None:  # after an error, only drain: the producer never blocks
                    self._write(tables)
            except BaseException as exc:  # handed to the main thread
                self._error = exc
            finally:
                # Free the written batch now, not when the next one arrives: else one more
                # chunk stays in memory while the main thread simulates.
                del tables
                self._queue.task_done()

    def _write(self, tables: list[tuple[str, pa.Table]]) -> None:
        """One transaction; a method so that no local outlives the batch it wrote."""
        with self._engine.begin() as conn:
            raw = conn.connection.driver_connection
            for table, arrow in tables:
                _append_arrow(raw, table, arrow)


def _append_arrow(raw: Any, table: str, arrow: pa.Table) -> None:
    view = f"_sp_arrow_{table}"
    raw.register(view, arrow)
    try:
        columns = ", ".join(f'"{c}"' for c in arrow.column_names)
        raw.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM {view}')
    finally:
        raw.unregister(view)


def _refuse_or_clear(conn: Connection, *, replace: bool, where: str) -> None:
    for table in CONTRACT_TABLES:
        if conn.execute(sa.text(f'SELECT 1 FROM "{table}" LIMIT 1')).first() is None:
            continue
        if not replace:
            raise WarehouseError(
                f"The warehouse at {where} already has rows in {table}. Pass --replace to "
                "delete and rebuild the demo data, or use an empty database."
            )
        break
    if replace:
        for table in (*CONTRACT_TABLES, "sp_meta"):
            conn.execute(sa.text(f'DELETE FROM "{table}"'))


def _generate(
    *,
    conn_factory: Callable[[], AbstractContextManager[Connection]],
    engine: Engine,
    spec: DemoSpec,
    progress: bool,
    on_chunk: Callable[[int], None] | None,
    writer: _BackgroundWriter | None = None,
) -> dict:
    started = time.perf_counter()
    days = day_range(spec.start, spec.end)
    n_days = len(days)
    ticket_weights = day_weights(days, orders=False, start=spec.start)
    ticket_counts = allocate(spec.tickets, ticket_weights)
    order_counts = allocate(
        spec.tickets * ORDERS_PER_TICKET, day_weights(days, orders=True, start=spec.start)
    )
    load_factor = ticket_weights / ticket_weights.mean()
    months = [d.year * 12 + d.month for d in days]

    world = build_world(
        np.random.default_rng([spec.seed, 1_000_000]),
        n_customers=max(500, spec.tickets // 3),
        n_agents=int(np.clip(spec.tickets // 1_500, 70, 6_000)),
        start=spec.start,
        n_days=n_days,
    )
    facts = planted_facts(spec.end)
    checksum = _Checksum()
    rows = dict.fromkeys(CONTRACT_TABLES, 0)

    def write_batch(batch: list[tuple[str, pd.DataFrame]], *, continued: bool = False) -> None:
        """Hash and write frames (one transaction); ``continued``: slices of one table."""
        for table, frame in batch:
            checksum.add(table, frame, continued=continued)
            rows[table] += len(frame)
        if writer is not None:
            writer.put(batch)
            return
        with conn_factory() as conn:
            for table, frame in batch:
                write_frame(conn, table, frame)

    write_batch([("products", world.products_frame()), ("agents", world.agent_frame)])

    # Orders of the 45 days before the window, so early tickets can refer to purchases.
    pool = OrderPool.empty()
    next_order, next_ticket, next_survey = 1, 1, 1
    bar = tqdm(
        total=spec.tickets, unit="tickets", disable=not progress, file=sys.stderr, desc="demo data"
    )
    end_seconds = n_days * DAY
    for chunk_index, (lo, hi) in enumerate(_chunks(months, ticket_counts)):
        rng = np.random.default_rng([spec.seed, chunk_index])
        month = days[lo].month
        orders, new_pool = simulate_orders(rng, world, order_counts[lo:hi], lo, month, next_order)
        next_order += len(orders)
        pool = pool.extend(new_pool, keep_after=lo * DAY - 46 * DAY)
        ctx = ChunkContext(
            first_day=lo,
            month=month,
            end_seconds=end_seconds,
            load_factor=load_factor[lo:hi],
            facts=facts,
            start=spec.start,
        )
        tickets, surveys, _ = simulate_tickets(
            rng, world, ctx, ticket_counts[lo:hi], pool, next_ticket, next_survey
        )
        next_ticket += len(tickets)
        next_survey += len(surveys)
        write_batch([("orders", orders), ("tickets", tickets), ("surveys", surveys)])
        bar.update(len(tickets))
        # The writer holds the chunk as Arrow now: drop the frames before simulating the next.
        del orders, new_pool, tickets, surveys
        release_freed_memory()
        if on_chunk is not None:
            on_chunk(chunk_index)
    bar.close()

    for first in range(0, world.n_customers, CUSTOMER_SLICE):
        piece = world.customers_frame(first, first + CUSTOMER_SLICE)
        write_batch([("customers", piece)], continued=first > 0)
        del piece
        release_freed_memory()
    if writer is not None:
        writer.flush()
    with conn_factory() as conn:
        digest_rows = checksum.hexdigest()
        meta = {
            "generator": "demo",
            "generator_version": GENERATOR_VERSION,
            "demo_seed": str(spec.seed),
            "demo_tickets": str(spec.tickets),
            "demo_start": spec.start.isoformat(),
            "demo_end": spec.end.isoformat(),
            "checksum": digest_rows,
            "built_at": datetime.now().replace(microsecond=0).isoformat(),
            "planted_facts": json.dumps([f.fact_id for f in facts]),
        }
        conn.execute(sp_meta.delete())
        conn.execute(sp_meta.insert(), [{"key": k, "value": v} for k, v in meta.items()])
    elapsed = time.perf_counter() - started
    return {
        "tickets": spec.tickets,
        "seed": spec.seed,
        "start": spec.start.isoformat(),
        "end": spec.end.isoformat(),
        "rows": rows,
        "checksum": digest_rows,
        "seconds": round(elapsed, 2),
        "tickets_per_second": round(spec.tickets / elapsed),
        "planted_facts": [f.fact_id for f in facts],
    }
