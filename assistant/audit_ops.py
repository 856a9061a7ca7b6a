"""Auditing a data operation that is not a question (``servicepilot query``, ``alerts``,
``forecast``, ``cases search/why``).

Kept apart from ``assistant.api`` so a command that only audits (``cases search``) does not
import the application, the planner and pandas: a cold CLI search has a 2 s budget.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from assistant.jsonable import json_safe
from tools.audit import AuditEntry, AuditLog, open_ops_store

if TYPE_CHECKING:
    from semantic_layer.executor import MetricResult
    from tools.settings import Settings

__all__ = ["open_audit_log", "record_operation"]


def open_audit_log(settings: Settings) -> AuditLog:
    """The audit log of the settings' operations store (close it with ``log.store.close()``);
    for a command that audits without building the whole application (``cases search``)."""
    return AuditLog(open_ops_store(settings), max_question_chars=settings.audit_max_question_chars)


def record_operation(
    audit: AuditLog | None,
    surface: str,
    operation: str,
    arguments: dict[str, Any],
    *,
    user: str | None,
    role: str | None,
    started: float,
    result: MetricResult | None = None,
    summary: str = "",
) -> str | None:
    """Write a data operation that is not a question (``servicepilot query``, ``alerts``,
    ``forecast``, ``cases search/why``) to the audit log, like an answer: who, which role, what
    ran and how many rows. Returns a warning when the log cannot be written (the result
    stands; the gap is made visible), else None."""
    if audit is None:
        return None
    args = json_safe(arguments)
    entry = AuditEntry(
        question=f"{operation} {json.dumps(args, ensure_ascii=False, sort_keys=True)}",
        language="en",
        plan_kind=operation,
        plan=args,
        answer=summary,
        latency_ms=(time.perf_counter() - started) * 1000,
        planner="none",
        username=user,
        role=role,
        surface=surface,
        sql=result.sql if result is not None else None,
        result_rows=len(result.table) if result is not None else None,
    )
    try:
        audit.record(entry)
    except Exception as exc:  # noqa: BLE001 - reported to the caller, never hidden
        return f"Audit log unavailable: {exc}"
    return None
