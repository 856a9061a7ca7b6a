"""Data freshness is computed within the caller's rows: a regional manager does not learn when
another region's latest ticket or survey came in (issue 21, side channel)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from assistant.roles import get_role
from semantic_layer.executor import execute
from semantic_layer.policy import AccessPolicy
from semantic_layer.query import MetricQuery, TimeRange
from tools.warehouse.engine import make_engine

OCTOBER = TimeRange(start=date(2026, 10, 1), end=date(2026, 11, 1))


@pytest.fixture(scope="module")
def engine(demo_warehouse_url):
    eng = make_engine(demo_warehouse_url, read_only=True)
    yield eng
    eng.dispose()


def _latest(engine, sql: str) -> dict[str, object]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.text(sql)).all())


def test_ticket_freshness_stays_inside_the_region(engine):
    latest = _latest(engine, "SELECT region, MAX(created_at) FROM tickets GROUP BY region")
    newest = max(latest.values())
    region = min(latest, key=latest.get)
    assert latest[region] < newest  # the side channel exists in this data
    query = MetricQuery(metrics=("complaint_volume",), time_range=OCTOBER)
    policy = AccessPolicy(row_filters={"region": [region]})
    own = execute(query, engine, policy=policy)
    assert own.freshness == {"tickets.created_at": latest[region]}
    assert own.data_freshness == latest[region]
    assert execute(query, engine).data_freshness == newest  # no policy: the whole warehouse


def test_survey_freshness_follows_the_ticket_region(engine):
    latest = _latest(
        engine,
        "SELECT t.region, MAX(s.responded_at) FROM surveys s "
        "JOIN tickets t ON s.ticket_id = t.ticket_id GROUP BY t.region",
    )
    east = execute(
        MetricQuery(metrics=("csat",), time_range=OCTOBER),
        engine,
        policy=get_role("east_manager").policy,
    )
    assert east.freshness == {"surveys.responded_at": latest["east"]}
