"""Feedback on answers (👍/👎 + comment), appended to ``sp_feedback`` in the operations store.

Each row carries the ``audit_id`` of the answer it rates, so analysts join it to ``sp_audit``
(question, plan, SQL, answer) — see ``servicepilot audit``. Text is PII-masked before it is
stored (tools.audit.redact).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tools.audit import DEFAULT_MAX_QUESTION_CHARS, FEEDBACK, OpsStore, redact


@dataclass(frozen=True)
class Feedback:
    rating: str
    question: str
    answer_text: str
    plan: dict[str, Any] | None = None
    comment: str = ""
    username: str | None = None
    role: str | None = None
    language: str | None = None
    audit_id: str | None = None


class FeedbackStore:
    """Append-only feedback table in the operations store (thread-safe)."""

    def __init__(self, store: OpsStore | Path) -> None:
        self.store = (
            store if isinstance(store, OpsStore) else OpsStore(f"duckdb:///{Path(store).resolve()}")
        )

    def add(self, item: Feedback) -> None:
        if item.rating not in ("up", "down"):
            raise ValueError(f"rating must be 'up' or 'down', not {item.rating!r}")
        row = {
            "created_at": datetime.now(),
            "audit_id": item.audit_id,
            "username": item.username,
            "role": item.role,
            "rating": item.rating,
            "comment": redact(item.comment.strip(), DEFAULT_MAX_QUESTION_CHARS) or None,
            "question": redact(item.question, DEFAULT_MAX_QUESTION_CHARS),
            "language": item.language,
            "plan_json": redact(json.dumps(item.plan, ensure_ascii=False, default=str))
            if item.plan
            else None,
            "answer_text": redact(item.answer_text),
        }

        self.store.insert(FEEDBACK, row)

    def rows(self) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            with self.store.engine.connect() as conn:
                result = conn.execute(sa.select(FEEDBACK).order_by(FEEDBACK.c.created_at))
                return [dict(r._mapping) for r in result]

        with self.store.lock:
            return self.store.run(read)

    def close(self) -> None:
        self.store.close()
