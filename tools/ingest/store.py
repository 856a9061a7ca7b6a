"""Applying a batch of events to the warehouse: once, in one transaction, by event time.

Every accepted event is kept in ``sp_events`` under (source, event_id). The rows of an entity
(a ticket, survey, order, customer) are *folded* from all of its events in event-time order, so
- a redelivered event (same source and event id) is skipped and counts once;
- an older update arriving after a newer one is folded before it and cannot overwrite it;
- a late record carries its own timestamps and lands in its own period.
A row that existed before its first event (demo data, a file import) enters the fold as a
``base`` event dated before everything. An update whose record has not arrived yet waits in the
journal (``pending``) and is folded when the record comes. The batch id is recorded in the same
transaction, so a batch applied again after a crash is a no-op.

The work is set-based (the writer owns a DuckDB file): the batch is staged as one Arrow table,
deduplicated against the journal with one anti-join, and each touched table is refolded with one
SQL statement that ranks every entity's events and takes, per column, the value of the last event
that set it (``fold_sql``), then replaces the entities' rows with one DELETE and one INSERT.
Identifiers in that SQL come only from the warehouse schema; values are bound or staged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tools.errors import WarehouseError
from tools.ingest.events import (
    _DEFAULTS,
    EVENT_COLUMNS,
    TABLES,
    Event,
    Problem,
    event_columns,
    required_columns,
)
from tools.warehouse.engine import write_frame
from tools.warehouse.schema import sp_ingest_batches, sp_quarantine

BASE_TIME = datetime(1900, 1, 1)  # a pre-existing row's base event sorts before every event
_KIND_OF_TABLE = {
    "tickets": "ticket",
    "surveys": "survey",
    "orders": "order",
    "customers": "customer",
}
_JOURNAL_COLUMNS = "source, event_id, kind, entity_id, event_time, received_at, batch_id, seq, data"
# What a ticket_update's change sets by itself (before its ``data``, which may set more).
# ``first_response`` (earliest wins) and ``reopened`` (count + 1) are folded separately.
_CHANGE_SETS = """CASE change
    WHEN 'resolved' THEN json_object('status', 'resolved', 'resolved_at', event_time)
    WHEN 'reopened' THEN json_object('status', 'open', 'resolved_at', NULL, 'closed_at', NULL)
    WHEN 'escalated' THEN json_object('escalated', true)
    WHEN 'closed' THEN json_object('status', 'closed', 'closed_at', event_time)
  END"""


_EVENT_TYPES = {
    "kind": pa.string(),
    "entity_id": pa.string(),
    "event_id": pa.string(),
    "event_time": pa.timestamp("us"),
    "seq": pa.int32(),
    "data": pa.string(),
}


def events_table(columns: dict[str, list[Any]]) -> pa.Table:
    """``event_columns`` as an Arrow table (ISO event times parsed by Arrow, not per event)."""
    arrays = {}
    for name in EVENT_COLUMNS:
        kind = _EVENT_TYPES[name]
        if name == "event_time":
            arrays[name] = pc.cast(pa.array(columns[name], pa.string()), kind)
        else:
            arrays[name] = pa.array(columns[name], kind)
    return pa.table(arrays)


@dataclass(frozen=True)
class Batch:
    """A batch of validated events. ``events``: Event objects or, as the inbox hands them over,
    their Arrow columns (``events_table``); kept as the table either way."""

    batch_id: str
    source: str
    origin: str  # "http", a file name, "pull:<table>"
    received_at: datetime
    events: Sequence[Event] | pa.Table
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.events, pa.Table):
            object.__setattr__(self, "events", events_table(event_columns(list(self.events))))


@dataclass(frozen=True)
class BatchResult:
    batch_id: str
    status: str  # applied | already_applied
    events: int = 0
    new_events: int = 0
    duplicates: int = 0
    quarantined: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # rows written per table
    pending: int = 0  # entities with updates but no record yet
    # ids of the batch's events per table, applied now or before (rules run over them)
    touched: dict[str, frozenset[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**vars(self), "touched": {t: sorted(ids) for t, ids in self.touched.items()}}


def touched_ids(batch: Batch) -> dict[str, frozenset[str]]:
    """The ids of ``batch``'s events per warehouse table."""
    ids: dict[str, set[str]] = {}
    columns = batch.events.select(["kind", "entity_id"]).to_pydict()
    for kind, entity_id in zip(columns["kind"], columns["entity_id"], strict=True):
        ids.setdefault(TABLES[kind].name, set()).add(entity_id)
    return {table: frozenset(found) for table, found in ids.items()}


def apply_batch(conn: Connection, batch: Batch) -> BatchResult:
    """Apply ``batch`` inside the caller's transaction (commit = the batch happened)."""
    return apply_batches(conn, [batch])[0]


def apply_batches(conn: Connection, batches: list[Batch]) -> list[BatchResult]:
    """Apply several batches inside the caller's transaction, as one set (a writer with a
    backlog commits it at once: the fixed cost of a fold and a commit is paid once). Each batch
    is recorded and counted on its own; ``rows`` and ``pending`` are the whole group's."""
    if conn.dialect.name != "duckdb":
        raise WarehouseError(
            "Live ingest writes to a DuckDB warehouse only (docs/ingest.md); on PostgreSQL "
            "point the loaders at the database directly."
        )
    ids = [b.batch_id for b in batches]
    done = set(
        conn.execute(
            sa.select(sp_ingest_batches.c.batch_id).where(sp_ingest_batches.c.batch_id.in_(ids))
        ).scalars()
    )
    todo: dict[str, Batch] = {}
    for batch in batches:
        if batch.batch_id not in done:
            todo.setdefault(batch.batch_id, batch)
    results = {
        b.batch_id: BatchResult(b.batch_id, "already_applied", touched=touched_ids(b))
        for b in batches
    }
    if not todo:
        return [results[i] for i in ids]
    raw = conn.connection.driver_connection
    _stage_fresh_events(raw, list(todo.values()))
    touched = [
        TABLES[kind]
        for (kind,) in raw.execute("SELECT DISTINCT kind FROM _sp_fresh ORDER BY kind").fetchall()
    ]
    tables = list(dict.fromkeys(touched))  # ticket and ticket_update share one table
    for table in tables:
        _add_base_events(raw, table)
    fresh = dict(
        raw.execute("SELECT batch_id, count(*) FROM _sp_fresh GROUP BY batch_id").fetchall()
    )
    raw.execute(
        f"INSERT INTO sp_events ({_JOURNAL_COLUMNS}) SELECT {_JOURNAL_COLUMNS} FROM _sp_fresh"
    )
    rows: dict[str, int] = {}
    pending = 0
    for table in tables:
        written, waiting = _refold(raw, table)
        rows[table.name] = written
        pending += waiting
    raw.execute("DROP TABLE _sp_fresh")
    applied_at = datetime.now().replace(microsecond=0)
    for batch in todo.values():
        _quarantine(conn, batch)
    # one INSERT for the group's batch records (one per batch cost ~0.7 ms each: most of a
    # writer's time when sources post one event at a time)
    records = list(todo.values())
    write_frame(
        conn,
        sp_ingest_batches.name,
        pd.DataFrame(
            {
                "batch_id": [b.batch_id for b in records],
                "source": [b.source for b in records],
                "origin": [b.origin[:500] for b in records],
                "events": [len(b.events) for b in records],
                "new_events": [fresh.get(b.batch_id, 0) for b in records],
                "quarantined": [len(b.problems) for b in records],
                "received_at": pd.to_datetime([b.received_at for b in records]),
                "applied_at": pd.Timestamp(applied_at),
            }
        ),
    )
    for batch in records:
        new_events = fresh.get(batch.batch_id, 0)
        results[batch.batch_id] = BatchResult(
            batch.batch_id,
            "applied",
            events=len(batch.events),
            new_events=new_events,
            duplicates=len(batch.events) - new_events,
            quarantined=len(batch.problems),
            rows=rows,
            pending=pending,
            touched=touched_ids(batch),
        )
    return [results[i] for i in ids]


def _stage_fresh_events(raw: Any, batches: list[Batch]) -> None:
    """``_sp_fresh``: the batches' events not seen before (in the journal or earlier in these
    batches: the first occurrence wins), as journal rows."""
    parts = []
    for arrival, batch in enumerate(batches):
        size = len(batch.events)
        parts.append(
            batch.events.append_column("source", pa.array([batch.source] * size, pa.string()))
            .append_column("received_at", pa.array([batch.received_at] * size, pa.timestamp("us")))
            .append_column("batch_id", pa.array([batch.batch_id] * size, pa.string()))
            .append_column("arrival", pa.array([arrival] * size, pa.int32()))
        )
    staged = pa.concat_tables(parts)
    raw.register("_sp_staged", staged)
    try:
        raw.execute(
            f"""CREATE OR REPLACE TEMP TABLE _sp_fresh AS
            SELECT {_JOURNAL_COLUMNS} FROM _sp_staged s
            WHERE NOT EXISTS (
                SELECT 1 FROM sp_events e WHERE e.source = s.source AND e.event_id = s.event_id)
            QUALIFY row_number() OVER (PARTITION BY source, event_id ORDER BY arrival, seq) = 1"""
        )
    finally:
        raw.unregister("_sp_staged")


def _kinds(table: sa.Table) -> str:
    return ", ".join(f"'{kind}'" for kind, t in TABLES.items() if t is table)


def _key(table: sa.Table) -> str:
    return table.primary_key.columns.keys()[0]


def _value_columns(table: sa.Table) -> list[sa.Column]:
    return [c for c in table.columns if c.name not in (_key(table), "source")]


def _add_base_events(raw: Any, table: sa.Table) -> None:
    """A row already in the warehouse whose id has no event yet becomes a ``base`` event."""
    key, kinds, kind = _key(table), _kinds(table), _KIND_OF_TABLE[table.name]
    fields = ", ".join(f'"{c.name}" := t."{c.name}"' for c in _value_columns(table))
    raw.execute(
        f"""INSERT INTO sp_events ({_JOURNAL_COLUMNS})
        SELECT coalesce(nullif(t.source, ''), 'base'), 'base:{kind}:' || t."{key}",
               '{kind}', t."{key}", $1, $1, 'base', 0,
               CAST(to_json(struct_pack({fields})) AS VARCHAR)
        FROM "{table.name}" t
        WHERE t."{key}" IN (SELECT entity_id FROM _sp_fresh WHERE kind IN ({kinds}))
          AND NOT EXISTS (SELECT 1 FROM sp_events e
                          WHERE e.kind IN ({kinds}) AND e.entity_id = t."{key}")""",
        [BASE_TIME],
    )


def _cast(column: sa.Column, text: str) -> str:
    """SQL turning a JSON string value back into the column's type."""
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return f"CAST({text} AS TIMESTAMP)"
    if isinstance(kind, sa.Date):
        return f"CAST({text} AS DATE)"
    if isinstance(kind, sa.Boolean):
        return f"CAST({text} AS BOOLEAN)"
    if isinstance(kind, sa.Integer):
        return f"CAST(CAST({text} AS DOUBLE) AS BIGINT)"
    if isinstance(kind, (sa.Float, sa.Numeric)):
        return f"CAST({text} AS DOUBLE)"
    return text


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def fold_sql(table: sa.Table) -> str:
    """One statement folding the journal of the entities in ``_sp_fresh`` into rows.

    Every event becomes up to two *steps* in event-time order: what a change sets by itself
    (``_CHANGE_SETS``), then the fields it carries (a record's fields, an update's ``data``).
    A column's value is the one of the last step that set it, or its default when none did.
    ``first_response_at`` also takes the earliest first_response after that step, and
    ``reopened_count`` adds the reopens after it. The row's source is its first event's."""
    key, kinds = _key(table), _kinds(table)
    defaults = _DEFAULTS.get(_KIND_OF_TABLE[table.name], {})
    columns = _value_columns(table)
    names = ", ".join(f"'{c.name}'" for c in columns)
    # Each step's JSON is parsed twice (its keys, the values of every column), not per column.
    paths = ", ".join(f"'$.\"{c.name}\"'" for c in columns)
    pivots, outputs = [], []
    for column in columns:
        pivots.append(
            f"any_value(value) FILTER (WHERE name = '{column.name}') AS \"v_{column.name}\", "
            f"any_value(pos) FILTER (WHERE name = '{column.name}') AS \"p_{column.name}\""
        )
        value = _cast(column, f'"v_{column.name}"')
        if column.name in defaults:
            default = _literal(defaults[column.name])
            value = f'CASE WHEN "p_{column.name}" IS NULL THEN {default} ELSE {value} END'
        if column.name == "first_response_at":
            value = (
                f"CASE WHEN responded_after IS NULL THEN {value} "
                f"WHEN {value} IS NULL THEN responded_after "
                f"ELSE least({value}, responded_after) END"
            )
        elif column.name == "reopened_count":
            counted = _cast(column, '"v_reopened_count"')
            value = (
                f"CASE WHEN reopens_after > 0 THEN coalesce({counted}, 0) + reopens_after "
                f"ELSE {value} END"
            )
        outputs.append(f'{value} AS "{column.name}"')
    if table.name == "tickets":  # first responses and reopens after the last plain set
        per_entity = """SELECT s.entity_id, arg_min(s.source, s.pos) AS source,
          min(s.responded) FILTER (WHERE s.pos > coalesce(f.pos, -1)) AS responded_after,
          coalesce(sum(s.reopens) FILTER (WHERE s.pos > coalesce(r.pos, -1)), 0)
            AS reopens_after
        FROM steps s
        LEFT JOIN last f ON f.entity_id = s.entity_id AND f.name = 'first_response_at'
        LEFT JOIN last r ON r.entity_id = s.entity_id AND r.name = 'reopened_count'
        GROUP BY s.entity_id"""
    else:
        per_entity = "SELECT entity_id, arg_min(source, pos) AS source FROM steps GROUP BY ALL"
    return f"""
    WITH ev AS (
      SELECT entity_id, source, event_time, data,
             CASE WHEN kind = 'ticket_update' THEN json_extract_string(data, '$.change') END
               AS change,
             row_number() OVER (PARTITION BY entity_id
                                ORDER BY event_time, received_at, batch_id, seq) AS ord
      FROM sp_events
      WHERE kind IN ({kinds})
        AND entity_id IN (SELECT entity_id FROM _sp_fresh WHERE kind IN ({kinds}))
    ), steps AS MATERIALIZED (
      SELECT entity_id, source, ord * 2 + 1 AS pos,
             CASE WHEN change IS NULL THEN CAST(data AS JSON) ELSE json_extract(data, '$.data') END
               AS fields,
             CAST(NULL AS TIMESTAMP) AS responded, 0 AS reopens
      FROM ev
      UNION ALL
      SELECT entity_id, source, ord * 2 AS pos, {_CHANGE_SETS} AS fields,
             CASE WHEN change = 'first_response' THEN event_time END AS responded,
             CASE WHEN change = 'reopened' THEN 1 ELSE 0 END AS reopens
      FROM ev WHERE change IS NOT NULL
    ), cells AS (
      SELECT entity_id, pos, name, vals[list_position([{names}], name)] AS value
      FROM (SELECT entity_id, pos, json_extract_string(fields, [{paths}]) AS vals,
                   unnest(json_keys(fields)) AS name
            FROM steps WHERE fields IS NOT NULL)
      WHERE list_contains([{names}], name)
    ), last AS MATERIALIZED (
      SELECT entity_id, name, arg_max_null(value, pos) AS value, max(pos) AS pos
      FROM cells GROUP BY entity_id, name
    ), wide AS (
      SELECT entity_id, {", ".join(pivots)} FROM last GROUP BY entity_id
    ), per_entity AS ({per_entity})
    SELECT entity_id AS "{key}", source, {", ".join(outputs)}
    FROM per_entity LEFT JOIN wide USING (entity_id)"""


def _refold(raw: Any, table: sa.Table) -> tuple[int, int]:
    """Recompute the rows of the batch's entities of ``table`` from their events; returns
    (rows written, entities pending: updates waiting for their record)."""
    key = _key(table)
    raw.execute(f"CREATE OR REPLACE TEMP TABLE _sp_folded AS {fold_sql(table)}")
    complete = " AND ".join(f'"{name}" IS NOT NULL' for name in required_columns(table))
    (total,) = raw.execute("SELECT count(*) FROM _sp_folded").fetchone()
    raw.execute(f"DELETE FROM _sp_folded WHERE NOT ({complete})")
    (written,) = raw.execute("SELECT count(*) FROM _sp_folded").fetchone()
    raw.execute(f'DELETE FROM "{table.name}" WHERE "{key}" IN (SELECT "{key}" FROM _sp_folded)')
    columns = ", ".join(f'"{c.name}"' for c in table.columns)
    raw.execute(f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM _sp_folded')
    raw.execute("DROP TABLE _sp_folded")
    return written, total - written


def _quarantine(conn: Connection, batch: Batch) -> None:
    if not batch.problems:
        return
    frame = pd.DataFrame(
        {
            "import_id": batch.batch_id,
            "seq": range(1, len(batch.problems) + 1),
            "source": batch.source,
            "file_name": batch.origin[:500],
            "file_row": [p.seq + 1 for p in batch.problems],  # the event's position, from 1
            "field": [p.field[:500] for p in batch.problems],
            "value": [p.value for p in batch.problems],
            "reason": [p.reason for p in batch.problems],
            "imported_at": batch.received_at,
        }
    )
    write_frame(conn, sp_quarantine.name, frame)
