"""The operations store's DuckDB file is opened once per write: the tables are made in the
first write's connection, not in one of their own (issue 22: a CLI question opened it twice)."""

from __future__ import annotations

import duckdb
import pytest
import sqlalchemy as sa

from tools.audit import AUDIT, LOGINS, AuditEntry, AuditLog, OpsStore

ENTRY = AuditEntry(
    question="上个月各区域的满意度",
    language="zh",
    plan_kind="metric",
    plan={"kind": "metric"},
    answer="华东 85.1%",
    latency_ms=12.0,
    planner="offline",
)


@pytest.fixture
def opened():
    """Every database connection any engine opens while the test runs (the store included,
    from its construction on)."""
    seen: list[object] = []

    def on_connect(dbapi_conn: object, record: object) -> None:
        seen.append(dbapi_conn)

    sa.event.listen(sa.pool.Pool, "connect", on_connect)
    yield seen
    sa.event.remove(sa.pool.Pool, "connect", on_connect)


def test_a_recorded_question_opens_a_new_store_once(tmp_path, opened):
    store = OpsStore(f"duckdb:///{tmp_path / 'ops.duckdb'}")
    AuditLog(store).record(ENTRY)
    assert len(opened) == 1
    AuditLog(store).record(ENTRY)
    assert len(opened) == 2  # no pool: the file lock is held only while writing
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(AUDIT)).scalar() == 2
    store.close()


def test_tables_missing_from_an_existing_store_are_added_on_first_use(tmp_path):
    path = tmp_path / "ops.duckdb"
    first = OpsStore(f"duckdb:///{path}")
    AuditLog(first).record(ENTRY)
    first.close()
    with duckdb.connect(str(path)) as con:
        con.execute(f"DROP TABLE {LOGINS.name}")
    again = OpsStore(f"duckdb:///{path}")
    AuditLog(again).record_login("lin", "127.0.0.1", "ok")
    with again.engine.connect() as conn:
        assert conn.execute(sa.select(LOGINS.c.username)).scalars().all() == ["lin"]
        assert conn.execute(sa.select(sa.func.count()).select_from(AUDIT)).scalar() == 1
    again.close()


HOSTILE = [
    "it's",
    "a\\b",
    "\\'",
    "'); drop table sp_audit; --",
    "😀 华东 emoji",
    "x" * 1_000_000,
    "?",
    "%s %(x)s :name $1",
    "nul\x00inside",  # DuckDB cannot read NUL in a literal: this row binds its values
]


def test_hostile_text_round_trips_through_the_inlined_duckdb_write(tmp_path):
    """On DuckDB the audit row's values are written into the INSERT (no bound parameters, so
    the client does not import pandas): every value must come back as it went in."""
    store = OpsStore(f"duckdb:///{tmp_path / 'ops.duckdb'}")
    log = AuditLog(store, max_question_chars=2_000_000)
    ids = []
    for text in HOSTILE:
        entry = AuditEntry(
            question=text,
            language="en",
            plan_kind="metric",
            plan={"kind": "metric"},
            answer="ok",
            latency_ms=1.25,
            planner="offline",
            sql=text,
            result_rows=7,
        )
        ids.append(log.record(entry))
    with store.engine.connect() as conn:
        rows = {r.audit_id: r for r in conn.execute(sa.select(AUDIT))}
        assert conn.execute(sa.select(sa.func.count()).select_from(AUDIT)).scalar() == len(ids)
    for audit_id, text in zip(ids, HOSTILE, strict=True):
        row = rows[audit_id]
        assert (row.question, row.sql, row.result_rows) == (text, text, 7), repr(text[:40])
        assert row.latency_ms == 1.2  # round(1.25, 1), as the bound write stored it


def test_the_inlined_write_keeps_every_value_as_the_bound_write_does(tmp_path):
    """The same rows written with bound parameters (one store) and inlined (the DuckDB path):
    timestamps to the microsecond, floats, NULLs and text read back equal."""
    from datetime import datetime

    row = {
        "audit_id": "a1",
        "asked_at": datetime(2026, 11, 22, 9, 30, 1, 123456),
        "username": None,
        "question": "it's \\ 'x'",
        "latency_ms": 0.1 + 0.2,
        "result_rows": None,
    }
    store = OpsStore(f"duckdb:///{tmp_path / 'o.duckdb'}")
    store.insert(AUDIT, row)
    with store.engine.begin() as conn:
        conn.execute(AUDIT.insert(), [{**row, "audit_id": "a2"}])  # bound parameters
        got = {r.audit_id: tuple(r)[1:] for r in conn.execute(sa.select(AUDIT))}
    assert got["a1"] == got["a2"]
    assert got["a1"][0] == row["asked_at"] and got["a1"][10] == 0.1 + 0.2


def test_an_audit_write_does_not_import_pandas(tmp_path):
    """A cold CLI call (``cases search``, ``ask``) pays for what its audit write imports."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys\n"
        "from tools.audit import AuditEntry, AuditLog, OpsStore\n"
        f"store = OpsStore('duckdb:///{tmp_path / 'ops.duckdb'}')\n"
        "AuditLog(store).record(AuditEntry(question=\"it's\", language='en', plan_kind='k', "
        "plan={}, answer='a', latency_ms=1.0, planner='p'))\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
