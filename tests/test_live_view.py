"""Today's live view against independent SQL on the shared demo warehouse: the data's clock,
tickets so far vs the usual for the weekday and hour, backlog by age, the SLA queue (and its
role scope), first response so far, agents' load."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from assistant.app import build_app
from assistant.errors import AccessDenied
from assistant.roles import get_role
from semantic_layer.errors import AccessPolicyError
from semantic_layer.policy import AccessPolicy
from semantic_layer.query import Filter, MetricQuery, TimeRange
from semantic_layer.rows import ScopedRows
from tools.monitoring.live import AGE_BUCKETS, sla_queue

TODAY = date(2026, 11, 22)
WALL = datetime(2026, 12, 1, 9, 0)


@pytest.fixture(scope="module")
def app(demo_warehouse_url):
    instance = build_app(None, "test", warehouse=demo_warehouse_url, today=TODAY)
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def sql(app):
    """Independent SQL, through the app's own read-only engine (DuckDB refuses a second
    configuration of the same file in one process)."""

    def one(query: str, *params):
        with app.services.engine.connect() as conn:
            return conn.exec_driver_sql(query, tuple(params)).fetchone()[0]

    return one


@pytest.fixture(scope="module")
def views(app):
    return {
        role: app.api.live_view(role, wall_clock=WALL) for role in ("executive", "east_manager")
    }


REGION = {"executive": "", "east_manager": "AND region = 'east'"}


@pytest.mark.parametrize("role", ["executive", "east_manager"])
def test_counts_equal_independent_sql(views, sql, role):
    view, where = views[role], REGION[role]
    now = sql(f"SELECT greatest(max(created_at), max(resolved_at)) FROM tickets WHERE true {where}")
    assert view.now == now
    assert view.age == WALL - now
    day = now.date()
    assert view.tickets_today == sql(
        f"SELECT count(*) FROM tickets WHERE created_at >= ? AND created_at < ? {where}",
        day,
        day + timedelta(days=1),
    )
    assert view.resolved_today == sql(
        f"SELECT count(*) FROM tickets WHERE resolved_at >= ? AND resolved_at < ? {where}",
        day,
        day + timedelta(days=1),
    )
    # usual: the same weekday of the 8 weeks before, up to the same time of day
    cut = now - datetime.combine(day, datetime.min.time())
    counts = [
        sql(
            f"SELECT count(*) FROM tickets WHERE created_at >= ? AND created_at < ? {where}",
            day - timedelta(days=7 * w),
            datetime.combine(day - timedelta(days=7 * w), datetime.min.time()) + cut,
        )
        for w in range(1, 9)
    ]
    assert view.usual_days == 8
    assert view.usual_today == pytest.approx(sum(counts) / 8)
    # backlog by age: open at the end of the day, split by time since created
    open_rows = f"(resolved_at IS NULL OR resolved_at >= ?) {where}"
    end = day + timedelta(days=1)
    for key, young, old in AGE_BUCKETS:
        low = now - old if old else datetime(1900, 1, 1)
        expected = sql(
            f"SELECT count(*) FROM tickets WHERE created_at <= ? AND created_at > ? "
            f"AND {open_rows}",
            now - young,
            low,
            end,
        )
        assert dict(view.backlog)[key] == expected, key
    assert view.backlog_total == sql(
        f"SELECT count(*) FROM tickets WHERE created_at < ? AND {open_rows}", end, end
    )
    median = sql(
        "SELECT median(date_diff('second', created_at, first_response_at) / 3600.0) "
        f"FROM tickets WHERE created_at >= ? AND created_at < ? {where}",
        day,
        end,
    )
    assert view.first_response_median_h == pytest.approx(median)
    top_agent, top_load = view.agent_load[0]
    assert top_load == sql(
        "SELECT max(n) FROM (SELECT count(*) n FROM tickets t JOIN agents a USING (agent_id) "
        f"WHERE t.created_at < ? AND (t.resolved_at IS NULL OR t.resolved_at >= ?) "
        f"{where.replace('region', 't.region')} GROUP BY a.agent_name)",
        end,
        end,
    )


def test_regional_manager_sees_only_their_region(views):
    east, everyone = views["east_manager"], views["executive"]
    assert east.tickets_today < everyone.tickets_today
    assert east.backlog_total < everyone.backlog_total


def test_sla_queue_lists_due_tickets_with_countdown_in_scope(app, sql):
    # an hour before the last SLA deadline of an East ticket still open then
    now = sql(
        "SELECT max(sla_due_at) - INTERVAL 1 HOUR FROM tickets WHERE region = 'east' "
        "AND sla_due_at < '2026-10-31' AND created_at < sla_due_at - INTERVAL 1 HOUR "
        "AND (resolved_at IS NULL OR resolved_at > sla_due_at - INTERVAL 1 HOUR)"
    )
    for role, where in REGION.items():
        count, listed, overdue = sla_queue(
            app.services.engine, app.catalog, get_role(role).policy, now
        )
        open_at = "created_at <= ? AND (resolved_at IS NULL OR resolved_at > ?)"
        expected = sql(
            f"SELECT count(*) FROM tickets WHERE {open_at} AND sla_due_at > ? "
            f"AND sla_due_at <= ? {where}",
            now,
            now,
            now,
            now + timedelta(hours=2),
        )
        assert count == expected > 0, role
        assert overdue == sql(
            f"SELECT count(*) FROM tickets WHERE {open_at} AND sla_due_at <= ? {where}",
            now,
            now,
            now,
        )
        assert [t.sla_due_at for t in listed] == sorted(t.sla_due_at for t in listed)
        for ticket in listed:
            assert 0 <= ticket.minutes_left <= 120
            assert ticket.minutes_left == int((ticket.sla_due_at - now).total_seconds() // 60)
            if role == "east_manager":
                assert ticket.region == "east"


def test_policy_that_cannot_apply_refuses_the_list(app):
    with pytest.raises(AccessPolicyError, match="cannot be applied"):
        ScopedRows(
            app.catalog, "tickets", ("ticket_id",), AccessPolicy(row_filters={"nope": ["x"]})
        )


def test_agent_role_may_not_see_the_live_view(app):
    with pytest.raises(AccessDenied):
        app.api.live_view("agent", wall_clock=WALL)


def test_time_filter_keeps_a_time_of_day(app, sql):
    query = MetricQuery(
        metrics=("ticket_volume",),
        time_range=TimeRange(start=date(2026, 10, 31), end=date(2026, 11, 1)),
        filters=(Filter(field="created_at", op="<", values=("2026-10-31T12:30:00",)),),
    )
    value = app.api.query_metrics(query, "executive").data.iloc[0]["ticket_volume"]
    assert value == sql(
        "SELECT count(*) FROM tickets WHERE created_at >= '2026-10-31' "
        "AND created_at < '2026-10-31 12:30:00'"
    )
    assert 0 < value < sql("SELECT count(*) FROM tickets WHERE created_at >= '2026-10-31'")
