"""Customer 360: one customer's profile, segment, orders, tickets as a timeline, survey answers,
tags, open follow-up tasks, value and churn risk, from the warehouse (and the operations store
for tasks and rule tags).

Free text (ticket subjects, resolutions, survey comments) is PII-masked here, always; the
caller's row scope (``regions``) limits which customers and tickets are visible.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tools.customers.rfm import TAGS, churn_risk, customer_tags, rfm_scores
from tools.errors import CustomerNotFound
from tools.pii import mask_pii
from tools.warehouse.schema import customers, orders, products, surveys, tickets

__all__ = ["customer_profile"]

OPEN_STATUSES = ("open", "pending")


def _iso(value: Any) -> Any:
    return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, datetime) else value


def _text(value: Any, limit: int = 400) -> str | None:
    return None if value is None else mask_pii(str(value))[:limit]


def _open_tasks(ops: Any, customer_id: str) -> list[dict[str, Any]]:
    """Open follow-up tasks and rule tags of the customer from the operations store."""
    from tools.audit import ops_metadata
    from tools.rules.engine import TASKS

    ops.run(lambda: ops_metadata.create_all(ops.engine, checkfirst=True))

    def read() -> list[dict[str, Any]]:
        with ops.engine.connect() as conn:
            rows = conn.execute(
                sa.select(TASKS)
                .where(TASKS.c.customer_id == customer_id, TASKS.c.status == "open")
                .order_by(TASKS.c.due_at)
            )
            return [
                {
                    "task_id": r.task_id,
                    "rule": r.rule,
                    "ticket_id": r.ticket_id,
                    "owner": r.owner,
                    "priority": r.priority,
                    "due_at": _iso(r.due_at),
                    "reason_zh": r.reason_zh,
                    "reason_en": r.reason_en,
                }
                for r in rows
            ]

    with ops.lock:
        return ops.run(read)


def _rule_tags(ops: Any, customer_id: str) -> list[str]:
    from tools.rules.engine import CUSTOMER_TAGS

    def read() -> list[str]:
        with ops.engine.connect() as conn:
            return [
                str(t)
                for (t,) in conn.execute(
                    sa.select(CUSTOMER_TAGS.c.tag).where(CUSTOMER_TAGS.c.customer_id == customer_id)
                )
            ]

    with ops.lock:
        return ops.run(read)


def _ticket(conn: Any, ticket_id: str, allowed: list[str] | None) -> dict[str, Any] | None:
    """The full (masked) ticket when ``ticket_id`` names one the caller may see."""
    q = sa.select(tickets).where(tickets.c.ticket_id == ticket_id)
    if allowed is not None:
        q = q.where(tickets.c.region.in_(allowed))
    row = conn.execute(q).first()
    if row is None:
        return None
    data = {k: _iso(v) for k, v in row._mapping.items()}
    for key in ("subject", "description", "resolution"):
        data[key] = _text(data.get(key), 4000)
    return data


def customer_profile(
    engine: Engine,
    customer_id: str,
    *,
    as_of: datetime | None = None,
    regions: Iterable[str] | None = None,
    ops: Any = None,
    max_rows: int = 50,
) -> dict[str, Any]:
    """The 360 view of ``customer_id`` (or of the customer of a ticket id, with that ticket in
    full under ``ticket``) as JSON-ready data. ``regions`` (a role's row scope)
    hides customers outside it (as not found) and tickets of other regions; ``ops`` (an
    OpsStore) adds open tasks and rule tags; ``as_of`` defaults to the newest ticket."""
    allowed = list(regions) if regions is not None else None
    with engine.connect() as conn:
        opened = _ticket(conn, customer_id, allowed)
        if opened is not None:  # a ticket id: the customer of that ticket, the ticket in full
            customer_id = opened["customer_id"]
        row = conn.execute(
            sa.select(customers).where(customers.c.customer_id == customer_id)
        ).first()
        if row is None or (allowed is not None and row.region not in allowed):
            raise CustomerNotFound(
                f"Customer {customer_id!r} not found"
                + (" in the regions you may see" if allowed is not None and row else "")
                + ". Customer ids look like C00000001; a ticket shows its customer_id."
            )
        if as_of is None:
            newest = conn.execute(sa.select(sa.func.max(tickets.c.created_at))).scalar_one()
            as_of = newest or datetime.now()
        rfm = rfm_scores(conn, customer_id, as_of)
        tags = customer_tags(conn, customer_id, as_of)
        order_rows = conn.execute(
            sa.select(
                orders.c.order_id,
                orders.c.ordered_at,
                orders.c.amount,
                products.c.product_name,
                products.c.product_line,
            )
            .select_from(orders.outerjoin(products, orders.c.product_id == products.c.product_id))
            .where(orders.c.customer_id == customer_id)
            .order_by(orders.c.ordered_at.desc())
            .limit(max_rows)
        ).all()
        ticket_q = (
            sa.select(
                tickets.c.ticket_id,
                tickets.c.created_at,
                tickets.c.resolved_at,
                tickets.c.ticket_type,
                tickets.c.category,
                tickets.c.channel,
                tickets.c.status,
                tickets.c.priority,
                tickets.c.region,
                tickets.c.reopened_count,
                tickets.c.subject,
                tickets.c.resolution,
                tickets.c.root_cause,
                products.c.product_line,
            )
            .select_from(tickets.outerjoin(products, tickets.c.product_id == products.c.product_id))
            .where(tickets.c.customer_id == customer_id)
            .order_by(tickets.c.created_at.desc())
            .limit(max_rows)
        )
        if allowed is not None:
            ticket_q = ticket_q.where(tickets.c.region.in_(allowed))
        ticket_rows = conn.execute(ticket_q).all()
        survey_q = (
            sa.select(
                surveys.c.survey_id,
                surveys.c.ticket_id,
                surveys.c.responded_at,
                surveys.c.csat,
                surveys.c.nps,
                surveys.c.ces,
                surveys.c.comment,
            )
            .where(surveys.c.customer_id == customer_id, surveys.c.responded_at.is_not(None))
            .order_by(surveys.c.responded_at.desc())
            .limit(max_rows)
        )
        if allowed is not None:
            visible = sa.select(tickets.c.ticket_id).where(tickets.c.region.in_(allowed))
            survey_q = survey_q.where(surveys.c.ticket_id.in_(visible))
        survey_rows = conn.execute(survey_q).all()
        lifetime = conn.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(orders.c.amount), 0)).where(
                orders.c.customer_id == customer_id
            )
        ).one()
    open_tickets = sum(1 for t in ticket_rows if t.status in OPEN_STATUSES)
    tasks = _open_tasks(ops, customer_id) if ops is not None else []
    rule_tags = _rule_tags(ops, customer_id) if ops is not None else []
    csats = [s.csat for s in survey_rows if s.csat is not None]
    return {
        "customer_id": customer_id,
        "as_of": _iso(as_of),
        "profile": {
            "segment": row.segment,
            "region": row.region,
            "city": row.city,
            "signup_date": _iso(row.signup_date) if row.signup_date else None,
            "churned_at": _iso(row.churned_at),
        },
        "value": {
            "orders": int(lifetime[0]),
            "lifetime_amount": round(float(lifetime[1]), 2),
            "rfm": rfm.to_dict() if rfm else None,
        },
        "tags": [{"code": c, "zh": TAGS[c][0], "en": TAGS[c][1]} for c in tags]
        + [{"code": t, "zh": t, "en": t, "rule": True} for t in rule_tags if t not in tags],
        "churn_risk": churn_risk(rfm, tags, open_tickets),
        "orders": [
            {
                "order_id": o.order_id,
                "ordered_at": _iso(o.ordered_at),
                "amount": round(float(o.amount), 2),
                "product": o.product_name,
                "product_line": o.product_line,
            }
            for o in order_rows
        ],
        "tickets": [
            {
                "ticket_id": t.ticket_id,
                "created_at": _iso(t.created_at),
                "resolved_at": _iso(t.resolved_at),
                "ticket_type": t.ticket_type,
                "category": t.category,
                "channel": t.channel,
                "status": t.status,
                "priority": t.priority,
                "region": t.region,
                "product_line": t.product_line,
                "reopened": int(t.reopened_count or 0),
                "subject": _text(t.subject, 200),
                "resolution": _text(t.resolution),
                "root_cause": t.root_cause,
            }
            for t in ticket_rows
        ],
        "surveys": [
            {
                "survey_id": s.survey_id,
                "ticket_id": s.ticket_id,
                "responded_at": _iso(s.responded_at),
                "csat": s.csat,
                "nps": s.nps,
                "ces": s.ces,
                "comment": _text(s.comment, 300),
            }
            for s in survey_rows
        ],
        "summary": {
            "tickets": len(ticket_rows),
            "open_tickets": open_tickets,
            "mean_csat": round(sum(csats) / len(csats), 2) if csats else None,
        },
        "open_tasks": tasks,
        "ticket": opened,
    }
