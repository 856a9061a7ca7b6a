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
