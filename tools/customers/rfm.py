"""RFM scores and customer tags from orders, tickets and surveys.

RFM (recency, frequency, monetary) scores are quintiles 1-5 over all customers with orders
(5 = most recent / most orders / most spent), computed in the warehouse as of a date. Tags
follow the service literature's segmentation:

- 高价值 high_value: F >= 4 and M >= 4 and R >= 3
- 高价值易流失 high_value_at_risk: M >= 4 and R <= 2 (spent a lot, has not come back)
- 新客户 new: exactly one order, R >= 4
- 多次投诉 repeat_complainer: >= 3 complaints in the last 90 days
- 近期差评 recent_low_csat: a CSAT of 1-2 answered in the last 90 days
- 已流失 churned: churned_at is set

Churn risk is a transparent score (the factors are returned with it), not a trained model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tools.warehouse.schema import customers, orders, surveys, tickets

__all__ = ["TAGS", "RFM", "churn_risk", "customer_tags", "rfm_scores"]

TAGS: dict[str, tuple[str, str]] = {
    "high_value": ("高价值", "High value"),
    "high_value_at_risk": ("高价值易流失", "High value, at risk"),
    "new": ("新客户", "New customer"),
    "repeat_complainer": ("多次投诉", "Repeat complainer"),
    "recent_low_csat": ("近期差评", "Recent low CSAT"),
    "churned": ("已流失", "Churned"),
}
WINDOW_DAYS = 90
REPEAT_COMPLAINTS = 3


@dataclass(frozen=True)
class RFM:
    recency_days: int
    frequency: int
    monetary: float
    r: int
    f: int
    m: int

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def rfm_select(as_of: datetime) -> sa.Select:
    """Per customer with orders before ``as_of``: recency days, frequency, monetary and the
    three quintile scores (one query; analysts can reuse it)."""
    agg = (
        sa.select(
            orders.c.customer_id,
            sa.func.max(orders.c.ordered_at).label("last_order"),
            sa.func.count().label("frequency"),
            sa.func.sum(orders.c.amount).label("monetary"),
        )
        .where(orders.c.ordered_at < as_of)
        .group_by(orders.c.customer_id)
        .subquery()
    )
    return sa.select(
        agg.c.customer_id,
        agg.c.last_order,
        agg.c.frequency,
        agg.c.monetary,
        sa.func.ntile(5).over(order_by=agg.c.last_order).label("r"),
        sa.func.ntile(5).over(order_by=agg.c.frequency).label("f"),
        sa.func.ntile(5).over(order_by=agg.c.monetary).label("m"),
    )


def rfm_scores(conn: Connection, customer_id: str, as_of: datetime) -> RFM | None:
    """The customer's RFM as of ``as_of``; None without orders."""
    sub = rfm_select(as_of).subquery()
    row = conn.execute(sa.select(sub).where(sub.c.customer_id == customer_id)).first()
    if row is None:
        return None
    return RFM(
        recency_days=(as_of - row.last_order).days,
        frequency=int(row.frequency),
        monetary=float(row.monetary or 0),
        r=int(row.r),
        f=int(row.f),
        m=int(row.m),
    )


def customer_tags(
    conn: Connection, customer_id: str, as_of: datetime, rfm: RFM | None
) -> list[str]:
    """The tag codes of one customer as of ``as_of`` (see the module docstring)."""
    tags: list[str] = []
    if rfm is not None:
        if rfm.f >= 4 and rfm.m >= 4 and rfm.r >= 3:
            tags.append("high_value")
        if rfm.m >= 4 and rfm.r <= 2:
            tags.append("high_value_at_risk")
        if rfm.frequency == 1 and rfm.r >= 4:
            tags.append("new")
    since = as_of - timedelta(days=WINDOW_DAYS)
    complaints = conn.execute(
        sa.select(sa.func.count()).where(
            tickets.c.customer_id == customer_id,
            tickets.c.ticket_type == "complaint",
            tickets.c.created_at >= since,
            tickets.c.created_at < as_of,
        )
    ).scalar_one()
    if complaints >= REPEAT_COMPLAINTS:
        tags.append("repeat_complainer")
    low = conn.execute(
        sa.select(sa.func.count()).where(
            surveys.c.customer_id == customer_id,
            surveys.c.csat <= 2,
            surveys.c.responded_at >= since,
            surveys.c.responded_at < as_of,
        )
    ).scalar_one()
    if low:
        tags.append("recent_low_csat")
    churned = conn.execute(
        sa.select(customers.c.churned_at).where(customers.c.customer_id == customer_id)
    ).scalar_one_or_none()
    if churned is not None and churned < as_of:
        tags.append("churned")
    return tags


def churn_risk(rfm: RFM | None, tags: list[str], open_tickets: int) -> dict[str, Any]:
    """A 0-1 churn-risk score and its factors: long since the last order, repeat complaints,
    a recent low CSAT, tickets still open. Already churned -> 1."""
    if "churned" in tags:
        return {"score": 1.0, "level": "churned", "factors": ["churned"]}
    factors: list[tuple[str, float]] = []
    if rfm is None:
        factors.append(("no orders", 0.2))
    elif rfm.r <= 2:
        factors.append((f"last order {rfm.recency_days} days ago (R={rfm.r})", 0.35))
    if "repeat_complainer" in tags:
        factors.append((f">= {REPEAT_COMPLAINTS} complaints in {WINDOW_DAYS} days", 0.3))
    if "recent_low_csat" in tags:
        factors.append((f"CSAT 1-2 in the last {WINDOW_DAYS} days", 0.25))
    if open_tickets:
        factors.append((f"{open_tickets} ticket(s) still open", 0.1))
    score = min(1.0, sum(w for _, w in factors))
    level = "high" if score >= 0.5 else "medium" if score >= 0.25 else "low"
    return {"score": round(score, 2), "level": level, "factors": [f for f, _ in factors]}
