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
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tools.ingest.events import _DEFAULTS, TABLES, Event, Problem, required_columns
from tools.warehouse.engine import write_frame
from tools.warehouse.schema import sp_events, sp_ingest_batches, sp_quarantine

BASE_TIME = datetime(1900, 1, 1)  # a pre-existing row's base event sorts before every event
_IN_BATCH = 2_000
_names = itertools.count()  # registered id frames, unique per process
_KIND_OF_TABLE = {
    "tickets": "ticket",
    "surveys": "survey",
    "orders": "order",
    "customers": "customer",
}


@dataclass(frozen=True)
class Batch:
    batch_id: str
    source: str
    origin: str  # "http", a file name, "pull:<table>"
    received_at: datetime
    events: list[Event]
    problems: list[Problem] = field(default_factory=list)


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

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def apply_batch(conn: Connection, batch: Batch) -> BatchResult:
    """Apply ``batch`` inside the caller's transaction (commit = the batch happened)."""
    done = conn.execute(
        sa.select(sp_ingest_batches.c.batch_id).where(
            sp_ingest_batches.c.batch_id == batch.batch_id
        )
    ).first()
    if done is not None:
        return BatchResult(batch.batch_id, "already_applied")
    fresh = _new_events(conn, batch)
    by_table: dict[str, set[str]] = defaultdict(set)
    for event in fresh:
        by_table[event.table.name].add(event.entity_id)
    for table_name, ids in by_table.items():
        _add_base_events(conn, TABLES[_KIND_OF_TABLE[table_name]], sorted(ids))
    _insert_events(conn, batch, fresh)
    rows: dict[str, int] = {}
    pending = 0
    for table_name, ids in by_table.items():
        written, waiting = _refold(conn, TABLES[_KIND_OF_TABLE[table_name]], sorted(ids))
        rows[table_name] = written
        pending += waiting
    _quarantine(conn, batch)
    conn.execute(
        sp_ingest_batches.insert().values(
            batch_id=batch.batch_id,
            source=batch.source,
            origin=batch.origin[:500],
            events=len(batch.events),
            new_events=len(fresh),
            quarantined=len(batch.problems),
            received_at=batch.received_at,
            applied_at=datetime.now().replace(microsecond=0),
        )
    )
    return BatchResult(
        batch.batch_id,
        "applied",
        events=len(batch.events),
        new_events=len(fresh),
        duplicates=len(batch.events) - len(fresh),
        quarantined=len(batch.problems),
        rows=rows,
        pending=pending,
    )


def _member(
    conn: Connection, column: sa.ColumnElement, ids: list[str]
) -> Iterator[sa.ColumnElement]:
    """``column IN ids`` as one or more conditions. On DuckDB the ids are a registered Arrow
    frame joined in one statement (a bound list of thousands of parameters is slow there);
    elsewhere they are bound in chunks."""
    if conn.dialect.name != "duckdb":
        for start in range(0, len(ids), _IN_BATCH):
            yield column.in_(ids[start : start + _IN_BATCH])
        return
    raw = conn.connection.driver_connection
    name = f"_sp_ids_{next(_names)}"
    raw.register(name, pa.table({"id": pa.array(ids, pa.string())}))
    try:
        yield column.in_(sa.select(sa.column("id")).select_from(sa.table(name)))
    finally:
        raw.unregister(name)


def _new_events(conn: Connection, batch: Batch) -> list[Event]:
    """The batch's events not seen before (in the journal or earlier in the batch)."""
    ids = sorted({e.event_id for e in batch.events})
    seen: set[str] = set()
    for member in _member(conn, sp_events.c.event_id, ids):
        seen.update(
            conn.execute(
                sa.select(sp_events.c.event_id).where(sp_events.c.source == batch.source, member)
            ).scalars()
        )
    fresh = []
    for event in batch.events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            fresh.append(event)
    return fresh


def _kinds(table: sa.Table) -> list[str]:
    return [kind for kind, t in TABLES.items() if t is table]


def _add_base_events(conn: Connection, table: sa.Table, ids: list[str]) -> None:
    """A row already in the warehouse whose id has no event yet becomes a ``base`` event."""
    key = table.c[table.primary_key.columns.keys()[0]]
    journaled: set[str] = set()
    for member in _member(conn, sp_events.c.entity_id, ids):
        journaled.update(
            conn.execute(
                sa.select(sp_events.c.entity_id)
                .where(sp_events.c.kind.in_(_kinds(table)), member)
                .distinct()
            ).scalars()
        )
    todo = [i for i in ids if i not in journaled]
    existing = []
    for member in _member(conn, key, todo) if todo else ():
        existing += conn.execute(sa.select(table).where(member)).mappings().all()
    records = []
    for row in existing:
        data = {k: v for k, v in row.items() if k not in (key.name, "source")}
        records.append(
            {
                "source": row.get("source") or "base",
                "event_id": f"base:{_KIND_OF_TABLE[table.name]}:{row[key.name]}",
                "kind": _KIND_OF_TABLE[table.name],
                "entity_id": row[key.name],
                "event_time": BASE_TIME,
                "received_at": BASE_TIME,
                "batch_id": "base",
                "seq": 0,
                "data": json.dumps(data, default=_plain, ensure_ascii=False, sort_keys=True),
            }
        )
    if records:
        write_frame(conn, sp_events.name, pd.DataFrame(records))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime) or hasattr(value, "isoformat"):
        return value.isoformat()
    return float(value)  # Decimal


def _insert_events(conn: Connection, batch: Batch, events: list[Event]) -> None:
    if not events:
        return
    frame = pd.DataFrame(
        {
            "source": batch.source,
            "event_id": [e.event_id for e in events],
            "kind": [e.kind for e in events],
            "entity_id": [e.entity_id for e in events],
            "event_time": [e.event_time for e in events],
            "received_at": batch.received_at,
            "batch_id": batch.batch_id,
            "seq": [e.seq for e in events],
            "data": [e.data_json() for e in events],
        }
    )
    write_frame(conn, sp_events.name, frame)


def _refold(conn: Connection, table: sa.Table, ids: list[str]) -> tuple[int, int]:
    """Recompute the rows of ``ids`` from their events; returns (rows written, ids pending)."""
    key = table.primary_key.columns.keys()[0]
    order = (
        sp_events.c.event_time,
        sp_events.c.received_at,
        sp_events.c.batch_id,
        sp_events.c.seq,
    )
    states: dict[str, dict[str, Any]] = {}
    for member in _member(conn, sp_events.c.entity_id, ids):
        result = conn.execute(
            sa.select(
                sp_events.c.entity_id, sp_events.c.source, sp_events.c.event_time, sp_events.c.data
            )
            .where(sp_events.c.kind.in_(_kinds(table)), member)
            .order_by(*order)
        )
        for entity_id, source, event_time, data in result:
            state = states.setdefault(entity_id, {})
            fold(state, json.loads(data), event_time, source)
    required = required_columns(table)
    defaults = _DEFAULTS.get(_KIND_OF_TABLE[table.name], {})
    complete = []
    for entity_id, state in states.items():
        row = {**defaults, **{k: v for k, v in state.items() if not k.startswith("_")}}
        if all(row.get(c) is not None for c in required):
            complete.append({key: entity_id, "source": state["_source"], **row})
    pending = len(states) - len(complete)
    if not complete:
        return 0, pending
    frame = _typed(table, pd.DataFrame(complete))
    keys = frame[key].tolist()
    for member in _member(conn, table.c[key], keys):
        conn.execute(table.delete().where(member))
    return write_frame(conn, table.name, frame), pending


def fold(state: dict[str, Any], payload: dict[str, Any], event_time: datetime, source: str) -> None:
    """Apply one event (in event-time order) to an entity's state."""
    state.setdefault("_source", source)
    if "change" not in payload:  # a record: its fields as sent
        state.update(payload)
        return
    change, data = payload["change"], payload.get("data", {})
    at = event_time.isoformat()
    if change == "first_response":
        earlier = state.get("first_response_at")
        state["first_response_at"] = min(earlier, at) if earlier else at
    elif change == "resolved":
        state.update(status="resolved", resolved_at=at)
    elif change == "reopened":
        state.update(status="open", resolved_at=None, closed_at=None)
        state["reopened_count"] = int(state.get("reopened_count") or 0) + 1
    elif change == "escalated":
        state["escalated"] = True
    elif change == "closed":
        state.update(status="closed", closed_at=at)
    state.update(data)  # "status" changes carry data.status; any change may set more fields


def _typed(table: sa.Table, frame: pd.DataFrame) -> pd.DataFrame:
    """JSON values back to the column types (timestamps, dates, numbers), every column present."""
    out = {}
    for column in table.columns:
        if column.name not in frame:
            if column.name == "source":
                continue
            values = pd.Series([None] * len(frame), dtype=object)
        else:
            values = frame[column.name]
        if isinstance(column.type, sa.DateTime):
            values = pd.to_datetime(values)
        elif isinstance(column.type, sa.Date):
            values = pd.to_datetime(values).dt.date
        elif isinstance(column.type, sa.Boolean):
            values = values.astype(object).where(values.notna(), None)
        elif isinstance(column.type, (sa.Integer, sa.Float, sa.Numeric)):
            values = pd.to_numeric(values)
            if isinstance(column.type, sa.Integer):
                values = values.astype("Int64")
        out[column.name] = values
    out["source"] = frame["source"]
    return pd.DataFrame(out)


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
