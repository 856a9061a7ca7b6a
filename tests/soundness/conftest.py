"""A tiny hand-made warehouse per test: every row is chosen to set a silent-wrong-answer trap."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from tools.warehouse.engine import create_schema, make_engine, write_frame

T0 = datetime(2026, 1, 10, 9, 0)


def ticket(ticket_id: str, **kw: object) -> dict:
    row = dict(
        ticket_id=ticket_id,
        customer_id="C1",
        product_id="P1",
        agent_id="A1",
        order_id=None,
        channel="phone",
        ticket_type="inquiry",
        category="quality",
        priority="normal",
        status="resolved",
        region="east",
        created_at=T0,
        first_response_at=T0,
        resolved_at=T0,
        closed_at=None,
        sla_due_at=T0,
        reopened_count=0,
        agent_replies=1,
        contacts=1,
        escalated=False,
        handle_minutes=10.0,
        cost=10.0,
        service_revenue=0.0,
        subject="s",
        description="d",
        resolution=None,
        root_cause=None,
        language="zh",
    )
    row.update(kw)
    return row


def survey(survey_id: str, ticket_id: str, **kw: object) -> dict:
    row = dict(
        survey_id=survey_id,
        ticket_id=ticket_id,
        customer_id="C1",
        sent_at=T0,
        responded_at=T0,
        csat=5,
        nps=10,
        ces=7,
        comment=None,
    )
    row.update(kw)
    return row


BASE = {
    "customers": [
        dict(
            customer_id=c,
            segment=s,
            region=r,
            city="上海",
            signup_date=datetime(2025, 1, 1).date(),
            churned_at=None,
        )
        for c, s, r in (("C1", "vip", "east"), ("C2", "standard", "north"))
    ],
    "products": [
        dict(product_id="P1", product_name="p", product_line="television", category="electronics")
    ],
    "agents": [
        dict(
            agent_id="A1",
            agent_name="a",
            team="east_a",
            region="east",
            hired_at=datetime(2024, 1, 1).date(),
        )
    ],
}


@pytest.fixture
def warehouse(tmp_path) -> Iterator[Callable[..., sa.Engine]]:
    """``warehouse(tickets=[...], surveys=[...], orders=[...])`` -> read-only engine."""
    engines: list[sa.Engine] = []

    def build(**tables: list[dict]) -> sa.Engine:
        url = f"duckdb:///{tmp_path / f'w{len(engines)}.duckdb'}"
        writer = make_engine(url)
        create_schema(writer)
        with writer.begin() as conn:
            for name, rows in {**BASE, **tables}.items():
                write_frame(conn, name, pd.DataFrame(rows))
        writer.dispose()
        engine = make_engine(url, read_only=True)
        engines.append(engine)
        return engine

    yield build
    for engine in engines:
        engine.dispose()
