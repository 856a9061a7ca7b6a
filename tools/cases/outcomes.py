"""How past cases ended, read from the warehouse: hours to resolve, reopened, escalated.

The case index stores texts and filterable metadata, not timings; a suggestion needs both, so
it reads the timings of the cited cases here, by ticket id, in one query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tools.warehouse.schema import tickets

__all__ = ["CaseOutcome", "OutcomeReader", "warehouse_outcomes"]


@dataclass(frozen=True)
class CaseOutcome:
    case_id: str
    hours_to_resolve: float | None  # created -> resolved; None when not resolved
    reopened: bool
    escalated: bool


OutcomeReader = Callable[[Sequence[str]], dict[str, CaseOutcome]]


def warehouse_outcomes(engine: Engine) -> OutcomeReader:
    """A reader of the outcomes of given ticket ids from ``engine`` (ids not found are left
    out: a CSV-imported case has no warehouse ticket)."""

    def read(case_ids: Sequence[str]) -> dict[str, CaseOutcome]:
        ids = list(dict.fromkeys(case_ids))
        if not ids:
            return {}
        stmt = sa.select(
            tickets.c.ticket_id,
            tickets.c.created_at,
            tickets.c.resolved_at,
            tickets.c.reopened_count,
            tickets.c.escalated,
        ).where(tickets.c.ticket_id.in_(ids))
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
        out = {}
        for tid, created, resolved, reopened, escalated in rows:
            hours = (
                (resolved - created).total_seconds() / 3600
                if created is not None and resolved is not None
                else None
            )
            out[str(tid)] = CaseOutcome(str(tid), hours, bool(reopened), bool(escalated))
        return out

    return read
