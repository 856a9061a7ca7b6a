"""The events of live ingest and their validation (one definition for the HTTP endpoint, the
drop folder, the database pull and the writer).

An event is a JSON object::

    {"kind": "ticket", "id": "T-1001", "event_time": "2026-11-23T09:30:00",
     "data": {"customer_id": "C-7", "channel": "phone", ...}}
    {"kind": "ticket_update", "id": "T-1001", "change": "resolved",
     "event_time": "2026-11-23T11:02:00", "data": {"resolution": "replaced the valve"}}

``kind`` is ticket, ticket_update, survey, order or customer; ``id`` the record's id in the
source system (it is the warehouse id); ``event_id`` (optional) the source's id of this event —
by default ``kind:id:change:event_time``, so a redelivery of the same event is recognised.
A ``ticket_update``'s ``change`` is one of ``CHANGES``; its ``data`` may set further ticket
fields. Validation never raises: it returns the good events and one problem per bad field.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pandas as pd
import sqlalchemy as sa

from semantic_layer.errors import did_you_mean, unknown_key
from tools.importers.mapping import ChecksSpec
from tools.warehouse.codes import CODED_COLUMNS
from tools.warehouse.schema import customers, orders, surveys, tickets

TABLES: dict[str, sa.Table] = {
    "ticket": tickets,
    "ticket_update": tickets,
    "survey": surveys,
    "order": orders,
    "customer": customers,
}
CHANGES = ("first_response", "resolved", "reopened", "escalated", "closed", "status")
MAX_EVENTS_PER_BATCH = 10_000
# Columns an event never sets: the id comes from ``id``, the source from the API key / mapping.
_NOT_SETTABLE = {"source"}
_COUNTS = {"reopened_count", "agent_replies", "contacts", "handle_minutes", "amount", "cost"}
_DUE_COLUMNS = {"sla_due_at"}
BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
_SCORES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}


@dataclass(frozen=True)
class Event:
    """A validated event; ``data`` holds Python values (datetime, int, ...) by column."""

    kind: str
    entity_id: str
    event_id: str
    event_time: datetime
    change: str | None
    data: dict[str, Any]
    seq: int  # position in its batch

    @property
    def table(self) -> sa.Table:
        return TABLES[self.kind]

    def data_json(self) -> str:
        payload = {"change": self.change, "data": self.data} if self.change else self.data
        try:  # orjson writes datetimes and dates as ISO strings itself, 10x faster than json
            return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
        except (orjson.JSONEncodeError, TypeError):  # e.g. a lone surrogate in a text
            return json.dumps(payload, default=_json_default, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Problem:
    """One bad field of one event: recorded in ``sp_quarantine``."""

    seq: int
    field: str
    value: str | None
    reason: str

    def message(self) -> str:
        return f"event {self.seq}: {self.field}: {self.reason}"

    def to_list(self) -> list[Any]:
        return [self.seq, self.field, self.value, self.reason]


# The columns of validated events as the writer stages them (``event_columns``).
EVENT_COLUMNS = ("kind", "entity_id", "event_id", "event_time", "seq", "data")


def event_columns(events: list[Event]) -> dict[str, list[Any]]:
    """Validated events as JSON-safe columns (event_time an ISO string, data its JSON text):
    the form the inbox stores, so the writer stages a batch without validating it again."""
    return {
        "kind": [e.kind for e in events],
        "entity_id": [e.entity_id for e in events],
        "event_id": [e.event_id for e in events],
        "event_time": [e.event_time.isoformat() for e in events],
        "seq": [e.seq for e in events],
        "data": [e.data_json() for e in events],
    }


def _json_default(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _clip(value: Any) -> str | None:
    return None if value is None else str(value)[:200]


@functools.cache
def required_columns(table: sa.Table) -> list[str]:
    """Columns a create event must carry: not nullable, no server default, not the key."""
    key = table.primary_key.columns.keys()
    return [
        c.name
        for c in table.columns
        if not c.nullable and c.server_default is None and c.name not in key
    ]


def validate_batch(
    raw: Any, *, checks: ChecksSpec | None = None
) -> tuple[list[Event], list[Problem]]:
    """Split a posted body (one event object or a list of them) into good events and problems.
    An event with any bad field is left out whole (its problems say why)."""
    checks = checks or ChecksSpec()
    items = raw if isinstance(raw, list) else [raw]
    if len(items) > MAX_EVENTS_PER_BATCH:
        return [], [
            Problem(
                0,
                "(batch)",
                str(len(items)),
                f"{len(items)} events in one batch; at most {MAX_EVENTS_PER_BATCH}. "
                "Fix: send smaller batches.",
            )
        ]
    earliest, latest = (t.to_pydatetime() for t in checks.window())
    good: list[Event] = []
    problems: list[Problem] = []
    for seq, item in enumerate(items):
        event, found = _validate_one(seq, item, checks, earliest, latest)
        problems += found
        if event is not None and not found:
            good.append(event)
    return good, problems


def _validate_one(
    seq: int, item: Any, checks: ChecksSpec, earliest: datetime, latest: datetime
) -> tuple[Event | None, list[Problem]]:
    if not isinstance(item, dict):
        return None, [Problem(seq, "(event)", _clip(item), "not a JSON object")]
    problems: list[Problem] = []
    allowed = {"kind", "id", "event_id", "event_time", "change", "data"}
    for key in sorted(set(item) - allowed):
        problems.append(Problem(seq, key, _clip(item[key]), unknown_key(key, sorted(allowed))))
    kind = item.get("kind")
    if kind not in TABLES:
        problems.append(
            Problem(seq, "kind", _clip(kind), f"unknown kind; one of {', '.join(TABLES)}")
        )
        return None, problems
    table = TABLES[kind]
    entity_id = item.get("id")
    if not isinstance(entity_id, (str, int)) or isinstance(entity_id, bool) or not str(entity_id):
        problems.append(Problem(seq, "id", _clip(entity_id), "missing or not a string"))
    elif len(str(entity_id)) > 64:
        problems.append(Problem(seq, "id", _clip(entity_id), "longer than 64 characters"))
    event_time = _timestamp(item.get("event_time"), "event_time", seq, earliest, latest, problems)
    change = item.get("change")
    if kind == "ticket_update":
        if change not in CHANGES:
            problems.append(
                Problem(
                    seq, "change", _clip(change), f"unknown change; one of {', '.join(CHANGES)}"
                )
            )
    elif change is not None:
        problems.append(Problem(seq, "change", _clip(change), "only ticket_update has a change"))
    data = item.get("data", {})
    if not isinstance(data, dict):
        problems.append(Problem(seq, "data", _clip(data), "not a JSON object"))
        return None, problems
    values = _columns(seq, kind, table, data, checks, earliest, latest, problems)
    if kind == "ticket_update" and change == "status" and "status" not in values:
        problems.append(Problem(seq, "data.status", None, "a status change needs data.status"))
    if kind != "ticket_update":
        for name in required_columns(table):
            if name not in data and name not in _DEFAULTS.get(kind, {}):
                problems.append(Problem(seq, f"data.{name}", None, "required for a new record"))
    if problems or event_time is None:
        return None, problems
    event_id = item.get("event_id")
    if event_id is None:
        event_id = f"{kind}:{entity_id}:{change or ''}:{event_time.isoformat()}"
    return Event(
        kind, str(entity_id), str(event_id)[:200], event_time, change, values, seq
    ), problems


# Values a create event may omit (the warehouse needs them; sources often do not send them).
_DEFAULTS: dict[str, dict[str, Any]] = {
    "ticket": {"reopened_count": 0, "contacts": 1, "escalated": False, "language": "zh"},
}


def _timestamp(
    value: Any,
    field: str,
    seq: int,
    earliest: datetime,
    latest: datetime,
    problems: list[Problem],
) -> datetime | None:
    if value is None:
        problems.append(Problem(seq, field, None, "missing timestamp (ISO 8601)"))
        return None
    stamp = _parse_time(value)
    if stamp is None:
        problems.append(Problem(seq, field, _clip(value), "not an ISO 8601 timestamp"))
        return None
    if not earliest <= stamp < latest:
        window = f"{earliest:%Y-%m-%d} .. {latest - timedelta(days=1):%Y-%m-%d}"
        problems.append(Problem(seq, field, _clip(value), f"outside the plausible window {window}"))
        return None
    return stamp


def _parse_time(value: Any) -> datetime | None:
    """A naive business-time datetime (DESIGN.md), or None. ISO strings take the fast path."""
    stamp: datetime | None = None
    if isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            stamp = None
    if stamp is None:
        try:
            parsed = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError):
            return None
        if parsed is pd.NaT or pd.isna(parsed):
            return None
        stamp = parsed.to_pydatetime()
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(BUSINESS_TZ).replace(tzinfo=None)
    return stamp


def _columns(
    seq: int,
    kind: str,
    table: sa.Table,
    data: dict[str, Any],
    checks: ChecksSpec,
    earliest: datetime,
    latest: datetime,
    problems: list[Problem],
) -> dict[str, Any]:
    settable = _settable(table)
    values: dict[str, Any] = {}
    for name, value in data.items():
        field = f"data.{name}"
        column = settable.get(name)
        if column is None:
            reason = f"not a {table.name} field.{did_you_mean(name, sorted(settable))}"
            problems.append(Problem(seq, field, _clip(value), reason))
            continue
        if value is None:
            if not column.nullable and kind != "ticket_update" or not column.nullable:
                problems.append(Problem(seq, field, None, "may not be null"))
            else:
                values[name] = None
            continue
        converted = _convert(column, value, checks, earliest, latest)
        if isinstance(converted, _Bad):
            problems.append(Problem(seq, field, _clip(value), converted.reason))
            continue
        codes = CODED_COLUMNS.get((table.name, name))
        if codes is not None and converted not in codes:
            problems.append(
                Problem(seq, field, _clip(value), f"invalid code; one of {', '.join(codes)}")
            )
            continue
        values[name] = converted
    created, resolved = values.get("created_at"), values.get("resolved_at")
    both = isinstance(created, datetime) and isinstance(resolved, datetime)
    if table is tickets and both and resolved < created:
        problems.append(Problem(seq, "data.resolved_at", _clip(resolved), "before created_at"))
    return values


@functools.cache
def _settable(table: sa.Table) -> dict[str, sa.Column]:
    """The columns an event may set, by name (looked up once per table: validation is the
    writer's per-event hot path)."""
    key = set(table.primary_key.columns.keys())
    return {c.name: c for c in table.columns if c.name not in _NOT_SETTABLE | key}


@functools.cache
def _type_of(column: sa.Column) -> str:
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return "datetime"
    if isinstance(kind, sa.Date):
        return "date"
    if isinstance(kind, sa.Boolean):
        return "bool"
    if isinstance(kind, sa.Integer):
        return "int"
    if isinstance(kind, (sa.Float, sa.Numeric)):
        return "number"
    return "text"


@dataclass(frozen=True)
class _Bad:
    reason: str


def _convert(
    column: sa.Column, value: Any, checks: ChecksSpec, earliest: datetime, latest: datetime
) -> Any:
    category = _type_of(column)
    if category == "text" and isinstance(value, str) and "\x00" not in value:
        length = getattr(column.type, "length", None)
        if length is None:  # free text: cut at the cap (as file imports do)
            return value[: checks.max_text_chars]
        if len(value) <= length:
            return value
    kind = column.type
    if category == "datetime":
        found: list[Problem] = []
        if column.name in _DUE_COLUMNS:  # a deadline lies ahead by nature
            latest = latest + timedelta(days=366)
        stamp = _timestamp(value, column.name, 0, earliest, latest, found)
        return _Bad(found[0].reason) if stamp is None else stamp
    if category == "date":
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            return _Bad("not an ISO date (YYYY-MM-DD)")
    if category == "bool":
        return value if isinstance(value, bool) else _Bad("not true or false")
    if category in ("int", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _Bad("not a number")
        if not math.isfinite(value) or abs(value) > 1e12:
            return _Bad("not a finite number below 10^12")
        if category == "int" and value != int(value):
            return _Bad("not a whole number")
        if column.name in _COUNTS and value < 0:
            return _Bad("negative; counts and amounts are 0 or more")
        if column.name in _SCORES:
            low, high = _SCORES[column.name]
            if not low <= value <= high:
                return _Bad(f"outside {low}..{high}")
        return int(value) if category == "int" else float(value)
    if not isinstance(value, str):
        return _Bad("not a string")
    text = value.replace("\x00", "")
    limit = getattr(kind, "length", None) or checks.max_text_chars
    if getattr(kind, "length", None) and len(text) > limit:
        return _Bad(f"longer than {limit} characters")
    return text[:limit]  # free text above the cap is cut (as file imports do)
