"""The operations store: the audit log and the feedback on answers.

``sp_audit`` holds every question with who asked, the plan, the SQL, result size, latency and
answer; ``sp_feedback`` joins to it by ``audit_id``. The store is a writable DuckDB file
(``<data_dir>/ops.duckdb``) by default because the warehouse is opened read-only; point
``SERVICEPILOT_OPS_URL`` at the warehouse database (e.g. PostgreSQL) to keep both tables beside
the data.

What is stored is masked first (tools.pii: the question, answer, plan, notices and feedback
text) and the question is cut to a configurable length, so a question carrying a phone or ID
number — even a refused one, even 1 MB of it — leaves no personal data in the log.
Display with :func:`printable`, which escapes control characters: a newline in a question
cannot forge a line of ``servicepilot audit``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from semantic_layer.inline_sql import run
from tools.pii import mask_pii
from tools.warehouse.engine import make_engine

T = TypeVar("T")
DEFAULT_MAX_QUESTION_CHARS = 1_000
_PII_MARGIN = 64  # masked past the cut, so a number split by it is still masked whole
# C0/C1 controls, DEL, line/paragraph separators and bidi overrides (which reorder a line).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def redact(text: str | None, max_chars: int | None = None) -> str | None:
    """``text`` PII-masked and, with ``max_chars``, cut to that length with a note of how
    long it was (``… [+N chars]``)."""
    if text is None:
        return None
    if max_chars is None or len(text) <= max_chars:
        return mask_pii(text)
    masked = mask_pii(text[: max_chars + _PII_MARGIN])
    return f"{masked[:max_chars]}… [+{len(text) - max_chars} chars]"


def printable(value: object) -> str:
    """``value`` as one display line: control characters escaped (\\n, \\x1b, \\u202e)."""
    text = "" if value is None else str(value)
    escapes = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

    def esc(m: re.Match[str]) -> str:
        ch = m.group()
        if ch in escapes:
            return escapes[ch]
        return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"

    return _CONTROL.sub(esc, text)


ops_metadata = sa.MetaData()

AUDIT = sa.Table(
    "sp_audit",
    ops_metadata,
    sa.Column("audit_id", sa.String(32), primary_key=True),
    sa.Column("asked_at", sa.DateTime, nullable=False),
    sa.Column("username", sa.String(100)),
    sa.Column("role", sa.String(64)),
    sa.Column("surface", sa.String(16)),  # cli | ui | api | mcp | eval
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("language", sa.String(8)),
    sa.Column("plan_kind", sa.String(32)),
    sa.Column("plan_json", sa.Text),
    sa.Column("sql", sa.Text),
    sa.Column("result_rows", sa.Integer),
    sa.Column("latency_ms", sa.Float),
    sa.Column("planner", sa.String(64)),
    sa.Column("notices", sa.Text),
    sa.Column("answer", sa.Text),
)


# Answers rated by users; ``audit_id`` joins a rating to the question it rates.
FEEDBACK = sa.Table(
    "sp_feedback",
    ops_metadata,
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("audit_id", sa.String(32)),
    sa.Column("username", sa.String),
    sa.Column("role", sa.String),
    sa.Column("rating", sa.String, nullable=False),  # up | down
    sa.Column("comment", sa.String),
    sa.Column("question", sa.String),
    sa.Column("language", sa.String),
    sa.Column("plan_json", sa.String),
    sa.Column("answer_text", sa.String),
)


# Sign-in attempts: outcome ok | failed | throttled (refused unchecked during a delay/lockout).
LOGINS = sa.Table(
    "sp_login",
    ops_metadata,
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("username", sa.String(64)),
    sa.Column("address", sa.String(64)),
    sa.Column("outcome", sa.String(16), nullable=False),
)


@dataclass(frozen=True)
class AuditEntry:
    question: str
    language: str
    plan_kind: str
    plan: dict[str, Any]
    answer: str
    latency_ms: float
    planner: str
    username: str | None = None
    role: str | None = None
    surface: str = "cli"
    sql: str | None = None
    result_rows: int | None = None
    notices: tuple[str, ...] = ()


class OpsStore:
    """The writable operations database (audit log and feedback); thread-safe appends.

    A DuckDB file allows one writing process at a time, and the UI, the MCP server and the CLI
    may all write: so DuckDB connections are opened per write (no pool, the file lock is held
    for milliseconds) and a write that meets another process's lock is retried briefly.

    Opening and closing the file is most of a write's cost (tens of ms), so concurrent appends
    are grouped (``insert``): rows that arrive while a write is under way go into the next
    transaction together, and each caller returns once its own row is committed (or raises
    that commit's error). A busy server thus writes one transaction per batch, not one per
    answer, and answers no longer queue behind each other's audit writes.
    """

    LOCK_RETRIES = 50
    LOCK_WAIT_S = 0.1

    def __init__(self, url_or_engine: str | Engine) -> None:
        self.lock = threading.Lock()
        self._group = _GroupCommit(self)
        self._schema_lock = threading.Lock()
        self._schema_ready = False
        if isinstance(url_or_engine, str):
            engine = make_engine(url_or_engine)
            if engine.dialect.name == "duckdb":
                engine.dispose()
                engine = sa.create_engine(url_or_engine, poolclass=sa.pool.NullPool)
                # Every use opens a connection anyway: the first one also makes the tables,
                # instead of a connection of its own (a CLI question then opens the file once).
                sa.event.listen(engine, "engine_connect", self._ensure_schema)
                self.engine = engine
                return
            self.engine = engine
        else:
            self.engine = url_or_engine
        self.run(lambda: ops_metadata.create_all(self.engine))

    def _ensure_schema(self, conn: sa.Connection) -> None:
        """Create the missing operations tables on ``conn`` (once per store): one catalog
        query, not one per table."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            existing = set(sa.inspect(conn).get_table_names())
            missing = [t for t in ops_metadata.sorted_tables if t.name not in existing]
            if missing:
                ops_metadata.create_all(conn, tables=missing, checkfirst=False)
            conn.commit()
            self._schema_ready = True

    def insert(self, table: sa.Table, row: dict[str, Any]) -> None:
        """Append ``row`` to ``table``; returns when it is committed (grouped with the rows
        other threads append meanwhile, in one transaction)."""
        self._group.insert(table, row)

    def run(self, action: Callable[[], T]) -> T:
        """Run ``action`` (which opens its own connection), retrying on another process's lock."""
        for attempt in range(self.LOCK_RETRIES):
            try:
                return action()
            except sa.exc.OperationalError as exc:
                if "lock" not in str(exc).lower() or attempt == self.LOCK_RETRIES - 1:
                    raise
                time.sleep(self.LOCK_WAIT_S)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self.engine.dispose()


@dataclass
class _Append:
    table: sa.Table
    row: dict[str, Any]
    done: bool = False
    error: BaseException | None = None


class _GroupCommit:
    """Group commit without a thread of its own: the first caller to find no write under way
    becomes the writer and commits every row waiting (its own included) in one transaction;
    the others wait for the commit that carries their row."""

    def __init__(self, store: OpsStore) -> None:
        self.store = store
        self._ready = threading.Condition()
        self._waiting: list[_Append] = []
        self._writing = False

    def insert(self, table: sa.Table, row: dict[str, Any]) -> None:
        mine = _Append(table, row)
        with self._ready:
            self._waiting.append(mine)
            while self._writing and not mine.done:
                self._ready.wait()
            if mine.done:  # another caller's transaction carried it
                if mine.error is not None:
                    raise mine.error
                return
            self._writing, batch, self._waiting = True, self._waiting, []
        error: BaseException | None = None
        try:
            with self.store.lock:
                self.store.run(lambda: self._write(batch))
        except BaseException as exc:  # every row of the batch gets this commit's error
            error = exc
        with self._ready:
            for append in batch:
                append.done, append.error = True, error
            self._writing = False
            self._ready.notify_all()
        if error is not None:
            raise error

    def _write(self, batch: list[_Append]) -> None:
        with self.store.engine.begin() as conn:
            if conn.dialect.name == "duckdb":  # values inlined: no pandas import (inline_sql)
                for (table, _), rows in _by_table_and_keys(batch).items():
                    run(conn, table.insert().values(rows))
                return
            for table in dict.fromkeys(a.table for a in batch):  # one statement per table
                conn.execute(table.insert(), [a.row for a in batch if a.table is table])


def _by_table_and_keys(batch: list[_Append]) -> dict[tuple[sa.Table, tuple[str, ...]], list]:
    """The batch's rows grouped by table and column names (one multi-row VALUES each)."""
    out: dict[tuple[sa.Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for append in batch:
        out.setdefault((append.table, tuple(append.row)), []).append(append.row)
    return out


def open_ops_store(settings: Any) -> OpsStore:
    """The settings' operations store (audit, feedback, deliveries, tasks), its folder made."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return OpsStore(settings.resolved_ops_url)


class AuditLog:
    def __init__(
        self, store: OpsStore, *, max_question_chars: int = DEFAULT_MAX_QUESTION_CHARS
    ) -> None:
        if max_question_chars < 1:
            raise ValueError(f"max_question_chars must be at least 1, not {max_question_chars}.")
        self.store = store
        self.max_question_chars = max_question_chars

    def record(self, entry: AuditEntry) -> str:
        audit_id = uuid.uuid4().hex
        row = {
            "audit_id": audit_id,
            "asked_at": datetime.now(),
            "username": entry.username,
            "role": entry.role,
            "surface": entry.surface,
            "question": redact(entry.question, self.max_question_chars),
            "language": entry.language,
            "plan_kind": entry.plan_kind,
            "plan_json": redact(json.dumps(entry.plan, ensure_ascii=False, default=str)),
            "sql": entry.sql,
            "result_rows": entry.result_rows,
            "latency_ms": round(entry.latency_ms, 1),
            "planner": entry.planner,
            "notices": redact(json.dumps(list(entry.notices), ensure_ascii=False)),
            "answer": redact(entry.answer),
        }

        self.store.insert(AUDIT, row)
        return audit_id

    def record_login(self, username: str, address: str | None, outcome: str) -> None:
        """One sign-in attempt (the typed username cut to 64 characters, never a password)."""
        row = {
            "at": datetime.now(),
            "username": username[:64],
            "address": (address or "")[:64] or None,
            "outcome": outcome,
        }

        self.store.insert(LOGINS, row)

    def logins(self, limit: int = 50) -> list[dict[str, Any]]:
        """Latest sign-in attempts first."""
        query = sa.select(LOGINS).order_by(LOGINS.c.at.desc()).limit(limit)

        def read() -> list[dict[str, Any]]:
            with self.store.engine.connect() as conn:
                return [dict(row._mapping) for row in conn.execute(query)]

        with self.store.lock:
            return self.store.run(read)

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        """Latest questions first, with their feedback (if any) joined by ``audit_id``."""
        joined = AUDIT.outerjoin(FEEDBACK, FEEDBACK.c.audit_id == AUDIT.c.audit_id)
        query = (
            sa.select(AUDIT, FEEDBACK.c.rating, FEEDBACK.c.comment)
            .select_from(joined)
            .order_by(AUDIT.c.asked_at.desc())
            .limit(limit)
        )

        def read() -> list[dict[str, Any]]:
            with self.store.engine.connect() as conn:
                return [dict(row._mapping) for row in conn.execute(query)]

        with self.store.lock:
            return self.store.run(read)
