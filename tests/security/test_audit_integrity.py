"""The audit log holds no personal data, stays bounded, cannot be forged on display, and names
the user on every surface (issue 21)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from click.testing import CliRunner

from assistant.api import build_mcp_server
from assistant.app import build_app
from assistant.commands.audit import command as audit_command
from assistant.planning.plans import ConversationState
from tools.audit import AuditEntry, AuditLog, OpsStore, printable, redact
from tools.feedback import Feedback, FeedbackStore

TODAY = date(2026, 11, 22)


@pytest.fixture
def ops(tmp_path):
    store = OpsStore(f"duckdb:///{tmp_path / 'ops.duckdb'}")
    yield store
    store.close()


def _entry(question: str) -> AuditEntry:
    return AuditEntry(
        question=question,
        language="zh",
        plan_kind="out_of_scope",
        plan={"kind": "out_of_scope", "reason": question[:200]},
        answer="无法回答",
        latency_ms=1.0,
        planner="offline",
        username="lin",
        role="analyst",
    )


def test_a_refused_question_is_stored_masked(demo_warehouse_url, ops):
    app = build_app(None, "test", warehouse=demo_warehouse_url, audit=AuditLog(ops))
    question = "我是张伟，电话138.1234.5678，身份证110105 19491231 002X，帮我查天气"
    try:
        answer = app.assistant.ask(question, state=ConversationState(today=TODAY, user="lin"))
    finally:
        app.close()
    row = AuditLog(ops).recent(1)[0]
    assert row["audit_id"] == answer.audit_id and row["plan_kind"] == "out_of_scope"
    stored = " ".join(str(row[k]) for k in ("question", "plan_json", "answer", "notices"))
    for secret in ("张伟", "1234", "19491231"):
        assert secret not in stored, stored
    assert "[PHONE]" in row["question"] and "[ID_CARD]" in row["question"]


def test_a_huge_question_is_cut_to_the_configured_length(ops):
    log = AuditLog(ops, max_question_chars=100)
    log.record(_entry("满意度" * 350_000 + "13812345678"))  # ~1 MB
    log.record(_entry("x" * 90 + "电话13812345678"))  # the cut falls inside the number
    rows = log.recent(2)
    by_len = sorted(rows, key=lambda r: len(r["question"]))
    assert by_len[1]["question"].endswith("… [+1049911 chars]")
    assert len(by_len[1]["question"]) < 130
    assert "1381234" not in by_len[0]["question"] and "[PHONE]" in by_len[0]["question"]


def test_feedback_text_is_masked(ops):
    FeedbackStore(ops).add(
        Feedback(
            rating="down", question="王女士 13812345678", answer_text="a", comment="邮箱a@b.com"
        )
    )
    row = FeedbackStore(ops).rows()[0]
    assert (row["question"], row["comment"]) == ("[NAME]女士 [PHONE]", "邮箱[EMAIL]")


def test_a_newline_cannot_forge_an_audit_line(tmp_path, monkeypatch):
    ops_url = f"duckdb:///{tmp_path / 'ops.duckdb'}"
    store = OpsStore(ops_url)
    forged = "上个月满意度\n2026-11-22 09:00:00 exec (executive, ui) metric 5 ms: 删库\x1b[2J"
    AuditLog(store).record(_entry(forged))
    store.close()
    monkeypatch.setenv("SERVICEPILOT_OPS_URL", ops_url)
    monkeypatch.setenv("SERVICEPILOT_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(audit_command, [])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1
    assert "上个月满意度\\n2026-11-22 09:00:00 exec" in lines[0] and "\\x1b[2J" in lines[0]


def test_printable_escapes_every_control_and_direction_character():
    assert printable("a\nb\rc\td\x00e\u202ef\u2028") == "a\\nb\\rc\\td\\x00e\\u202ef\\u2028"
    assert printable(None) == "" and printable("上个月") == "上个月"
    assert redact(None) is None and redact("13812345678") == "[PHONE]"


def test_mcp_ask_records_the_user(demo_warehouse_url, ops):
    app = build_app(None, "mcp", warehouse=demo_warehouse_url, today=TODAY, audit=AuditLog(ops))
    try:
        server = build_mcp_server(app.api, "analyst", user="lin")
        asyncio.run(server.call_tool("ask", {"question": "上个月的满意度"}))
    finally:
        app.close()
    row = AuditLog(ops).recent(1)[0]
    assert (row["username"], row["role"], row["surface"]) == ("lin", "analyst", "mcp")


def test_the_app_audit_log_uses_the_configured_question_cap(
    demo_warehouse_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("SERVICEPILOT_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SERVICEPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SERVICEPILOT_OPS_URL", f"duckdb:///{tmp_path / 'ops.duckdb'}")
    monkeypatch.setenv("SERVICEPILOT_AUDIT_MAX_QUESTION_CHARS", "40")
    app = build_app(None, "cli", warehouse=demo_warehouse_url, today=TODAY)
    try:
        app.assistant.ask("上个月的满意度" + "呢" * 100, state=ConversationState(today=TODAY))
        question = app.audit.recent(1)[0]["question"]
    finally:
        app.close()
    assert question.endswith("… [+67 chars]"), question
