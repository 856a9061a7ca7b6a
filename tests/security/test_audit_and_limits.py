"""Audit log (every question, joined with feedback), rate limit, question length limit."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from assistant.app import build_app
from assistant.planning.offline import MAX_QUESTION_CHARS
from assistant.planning.plans import ConversationState, OutOfScope
from assistant.ratelimit import RateLimited, RateLimiter
from tools.audit import AUDIT, LOGINS, AuditEntry, AuditLog, OpsStore
from tools.feedback import Feedback, FeedbackStore

TODAY = date(2026, 11, 22)


@pytest.fixture
def ops(tmp_path):
    store = OpsStore(f"duckdb:///{tmp_path / 'ops.duckdb'}")
    yield store
    store.close()


def test_every_question_is_audited_and_feedback_joins(demo_warehouse_url, ops):
    app = build_app(None, "ui", warehouse=demo_warehouse_url, audit=AuditLog(ops))
    state = ConversationState(today=TODAY, role="east_manager", user="lin")
    try:
        metric = app.assistant.ask("上个月各渠道的满意度", state=state)
        refused = app.assistant.ask("今天天气怎么样", state=state)
    finally:
        app.close()
    assert metric.audit_id and refused.audit_id and metric.audit_id != refused.audit_id
    FeedbackStore(ops).add(
        Feedback(
            rating="down",
            question=metric.question,
            answer_text=metric.text,
            comment="口径不对",
            audit_id=metric.audit_id,
        )
    )
    rows = {row["audit_id"]: row for row in AuditLog(ops).recent(10)}
    audited = rows[metric.audit_id]
    assert (audited["username"], audited["role"], audited["surface"]) == (
        "lin",
        "east_manager",
        "ui",
    )
    assert audited["plan_kind"] == "metric" and "SELECT" in audited["sql"].upper()
    assert audited["result_rows"] == len(metric.result.data) and audited["latency_ms"] > 0
    assert audited["answer"] == metric.text
    assert (audited["rating"], audited["comment"]) == ("down", "口径不对")
    assert rows[refused.audit_id]["plan_kind"] == "out_of_scope"
    assert rows[refused.audit_id]["sql"] is None


def test_a_broken_audit_log_is_reported_not_hidden(demo_warehouse_url, ops):
    app = build_app(None, "test", warehouse=demo_warehouse_url, audit=AuditLog(ops))
    with ops.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE sp_audit"))
    try:
        answer = app.assistant.ask("上个月的满意度", state=ConversationState(today=TODAY))
    finally:
        app.close()
    assert answer.result is not None and answer.audit_id is None
    assert any("审计日志" in notice for notice in answer.notices)


def _entry(question: str) -> AuditEntry:
    return AuditEntry(
        question=question,
        language="en",
        plan_kind="metric",
        plan={"kind": "metric"},
        answer="a",
        latency_ms=1.5,
        planner="offline",
        username="u",
        role="analyst",
    )


def test_concurrent_audit_rows_are_grouped_and_all_committed(ops):
    """20 answers finishing together share transactions (a DuckDB write opens the file: one
    per answer queued every answer behind the others), and every row is stored."""
    commits = []
    sa.event.listen(ops.engine, "commit", lambda conn: commits.append(1))
    log, threads, rows = AuditLog(ops), 20, 3
    start = threading.Barrier(threads)
    ids: list[str] = []

    def answer_rows() -> None:
        start.wait()
        for i in range(rows):
            ids.append(log.record(_entry(f"q{i}")))

    workers = [threading.Thread(target=answer_rows) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with ops.engine.connect() as conn:
        stored = set(conn.execute(sa.select(AUDIT.c.audit_id)).scalars())
    assert stored == set(ids) and len(ids) == threads * rows
    assert len(commits) < threads * rows / 2, len(commits)


def test_a_failed_group_commit_reaches_its_caller_and_the_next_write_works(ops):
    with pytest.raises(sa.exc.IntegrityError):  # outcome is NOT NULL
        ops.insert(LOGINS, {"at": datetime.now(), "username": "u", "outcome": None})
    AuditLog(ops).record_login("u", "127.0.0.1", "ok")
    assert [row["outcome"] for row in AuditLog(ops).logins()] == ["ok"]


@pytest.mark.postgres
def test_audit_log_can_live_in_the_postgres_warehouse(postgres_url):
    store = OpsStore(postgres_url)
    try:
        audit_id = AuditLog(store).record(_entry("q"))
        with store.engine.connect() as conn:
            row = conn.execute(sa.select(AUDIT).where(AUDIT.c.audit_id == audit_id)).one()
        assert row.username == "u" and row.role == "analyst"
    finally:
        store.close()


def test_rate_limit_per_user_with_a_clear_message():
    now = [0.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    for _ in range(3):
        limiter.check("lin")
    limiter.check("wang")  # other users are not affected
    with pytest.raises(RateLimited, match=r"at most 3 per minute per user. Try again in 60 s"):
        limiter.check("lin")
    now[0] = 60.5
    limiter.check("lin")


def test_api_applies_the_rate_limit(demo_warehouse_url):
    app = build_app(
        None, "test", warehouse=demo_warehouse_url, today=TODAY, rate_limit=RateLimiter(2)
    )
    api = app.api
    try:
        api.ask_dict("上个月的满意度", None, user="lin")
        api.ask_dict("上个月的NPS", None, user="lin")
        with pytest.raises(RateLimited):
            api.ask_dict("上个月的CES", None, user="lin")
    finally:
        app.close()


def test_question_length_limit(demo_warehouse_url):
    app = build_app(None, "test", warehouse=demo_warehouse_url)
    try:
        answer = app.assistant.ask(
            "满意度" * MAX_QUESTION_CHARS, state=ConversationState(today=TODAY)
        )
    finally:
        app.close()
    assert isinstance(answer.plan, OutOfScope) and "太长" in answer.text
