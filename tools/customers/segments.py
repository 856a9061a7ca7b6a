"""The warehouse table ``customer_segments``: every customer's RFM value tier and
complaint-history tags as of one date, for the semantic layer's certified dimensions.

As of when: the warehouse's data end — midnight after the newest order, ticket or survey
answer — unless given. A segment describes the customer at that date, not at the date of each
ticket or survey it is joined to (a customer who became high value in November counts as high
value for their May tickets too); answers using it say so, with the date. The rows come from
``tools.customers.rfm.segments_select`` (the one definition), computed by the warehouse in one
statement, so DuckDB and PostgreSQL hold the same rows.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tools.customers.rfm import segments_select
from tools.warehouse.schema import customer_segments, orders, surveys, tickets

__all__ = ["build_customer_segments", "data_end"]


def data_end(conn: Connection) -> datetime | None:
    """Midnight after the newest order, ticket or survey answer (None: an empty warehouse)."""
    newest = [
        conn.execute(sa.select(sa.func.max(col))).scalar_one()
        for col in (orders.c.ordered_at, tickets.c.created_at, surveys.c.responded_at)
    ]
    found = [v for v in newest if v is not None]
    if not found:
        return None
    last = max(v if isinstance(v, datetime) else datetime.combine(v, time()) for v in found)
    return datetime.combine(last.date() + timedelta(days=1), time())


def build_customer_segments(
    target: Engine | Connection, as_of: date | datetime | None = None
) -> dict[str, object]:
    """Replace ``customer_segments`` with every customer's segments as of ``as_of`` (default:
    the data end); returns the as-of time and the customers per value tier."""
    if isinstance(target, Engine):
        with target.begin() as conn:
            return build_customer_segments(conn, as_of)
    conn = target
    customer_segments.create(conn, checkfirst=True)
    if as_of is None:
        as_of = data_end(conn)
    elif not isinstance(as_of, datetime):
        as_of = datetime.combine(as_of, time())
    conn.execute(customer_segments.delete())
    if as_of is None:
        return {"as_of": None, "customers": 0, "value_tiers": {}}
    select = segments_select(as_of)
    conn.execute(
        customer_segments.insert().from_select([c.name for c in select.selected_columns], select)
    )
    tiers = dict(
        conn.execute(
            sa.select(customer_segments.c.value_tier, sa.func.count()).group_by(
                customer_segments.c.value_tier
            )
        ).all()
    )
    return {
        "as_of": as_of.isoformat(sep=" "),
        "customers": sum(tiers.values()),
        "value_tiers": dict(sorted(tiers.items())),
    }
