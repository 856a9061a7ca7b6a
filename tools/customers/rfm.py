"""RFM scores and customer tags from orders, tickets and surveys.

RFM (recency, frequency, monetary) scores are quintiles 1-5 over all customers with orders
(5 = most recent / most orders / most spent), computed in the warehouse as of a date. Tags
follow the service literature's segmentation:

- 高价值 high_value: F >= 4 and M >= 4 and R >= 3
- 高价值易流失 high_value_at_risk: M >= 4 and R <= 2 (spent a lot, has not come back)
- 新客户 new_customer: exactly one order, R >= 4
- 多次投诉 repeat_complainer: >= 3 complaints in the last 90 days
- 近期差评 recent_low_csat: a CSAT of 1-2 answered in the last 90 days
- 已流失 churned: churned_at is set

The first three are one *value tier* per customer, checked in that order (``other_tier`` when none
applies, also without orders). ``segments_select`` is the one definition, set-based: the
customer 360 view reads one customer's row of it, and the warehouse table
``customer_segments`` (tools/customers/segments.py) stores all rows as of the data end, for
the semantic layer's certified dimensions. Quintile ties (many customers with one order) are
split by customer id, so a rebuild and both engines assign the same scores.

Churn risk is a transparent score (the factors are returned with it), not a trained model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tools.warehouse.schema import customers, orders, surveys, tickets

__all__ = ["TAGS", "RFM", "VALUE_TIERS", "churn_risk", "customer_tags", "rfm_scores"]

TAGS: dict[str, tuple[str, str]] = {
    "high_value": ("高价值", "High value"),
    "high_value_at_risk": ("高价值易流失", "High value, at risk"),
    "new_customer": ("新客户", "New customer"),
    "repeat_complainer": ("多次投诉", "Repeat complainer"),
    "recent_low_csat": ("近期差评", "Recent low CSAT"),
    "churned": ("已流失", "Churned"),
}
VALUE_TIERS = ("high_value", "high_value_at_risk", "new_customer", "other_tier")
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
        sa.func.ntile(5).over(order_by=(agg.c.last_order, agg.c.customer_id)).label("r"),
        sa.func.ntile(5).over(order_by=(agg.c.frequency, agg.c.customer_id)).label("f"),
        sa.func.ntile(5).over(order_by=(agg.c.monetary, agg.c.customer_id)).label("m"),
    )


def segments_select(as_of: datetime) -> sa.Select:
    """Every customer's segments as of ``as_of`` (data before it): RFM scores (NULL without
    orders), value tier and complaint-history tags. Columns match ``customer_segments``."""
    rfm = rfm_select(as_of).subquery()
    since = as_of - timedelta(days=WINDOW_DAYS)
    complaints = (
        sa.select(tickets.c.customer_id, sa.func.count().label("n"))
        .where(
            tickets.c.ticket_type == "complaint",
            tickets.c.created_at >= since,
            tickets.c.created_at < as_of,
        )
        .group_by(tickets.c.customer_id)
        .subquery()
    )
    low_csat = (
        sa.select(surveys.c.customer_id)
        .where(surveys.c.csat <= 2, surveys.c.responded_at >= since, surveys.c.responded_at < as_of)
        .group_by(surveys.c.customer_id)
        .subquery()
    )
    tier = sa.case(
        (sa.and_(rfm.c.f >= 4, rfm.c.m >= 4, rfm.c.r >= 3), "high_value"),
        (sa.and_(rfm.c.m >= 4, rfm.c.r <= 2), "high_value_at_risk"),
        (sa.and_(rfm.c.frequency == 1, rfm.c.r >= 4), "new_customer"),
        else_="other_tier",
    )
    return sa.select(
        customers.c.customer_id,
        sa.literal(as_of, sa.DateTime).label("as_of"),
        tier.label("value_tier"),
        (sa.func.coalesce(complaints.c.n, 0) >= REPEAT_COMPLAINTS).label("repeat_complainer"),
        low_csat.c.customer_id.is_not(None).label("recent_low_csat"),
        rfm.c.r,
        rfm.c.f,
        rfm.c.m,
        sa.func.coalesce(rfm.c.frequency, 0).label("frequency"),
        rfm.c.monetary,
        rfm.c.last_order.label("last_order_at"),
    ).select_from(
        customers.outerjoin(rfm, rfm.c.customer_id == customers.c.customer_id)
        .outerjoin(complaints, complaints.c.customer_id == customers.c.customer_id)
        .outerjoin(low_csat, low_csat.c.customer_id == customers.c.customer_id)
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


def customer_tags(conn: Connection, customer_id: str, as_of: datetime) -> list[str]:
    """The tag codes of one customer as of ``as_of``: its row of ``segments_select``."""
    sub = segments_select(as_of).subquery()
    row = conn.execute(sa.select(sub).where(sub.c.customer_id == customer_id)).first()
    if row is None:
        return []
    tags = [row.value_tier] if row.value_tier != "other_tier" else []
    tags += [t for t in ("repeat_complainer", "recent_low_csat") if getattr(row, t)]
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
