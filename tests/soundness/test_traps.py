"""Silent-wrong-answer traps: each test would pass on a naive SQL generator only by luck."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from semantic_layer.errors import AccessPolicyError
from semantic_layer.executor import execute
from semantic_layer.policy import AccessPolicy
from semantic_layer.query import Filter, MetricQuery, TimeRange
from tests.soundness.conftest import T0, survey, ticket

Q1 = TimeRange(start=date(2026, 1, 1), end=date(2026, 4, 1))


def q(*metrics: str, **kw) -> MetricQuery:
    return MetricQuery(metrics=metrics, time_range=kw.pop("time_range", Q1), **kw)


def test_fan_out_surveys_tickets_customers_not_double_counted(warehouse):
    # One customer, three tickets, one survey each: joining surveys->tickets->customers and
    # also counting tickets must not multiply either side.
    engine = warehouse(
        tickets=[ticket(f"T{i}") for i in range(3)],
        surveys=[
            survey("S0", "T0", csat=5),
            survey("S1", "T1", csat=2),
            survey("S2", "T2", csat=4),
        ],
    )
    res = execute(q("csat", "ticket_volume", dimensions=("customer.segment",)), engine).data
    row = res.set_index("customer.segment").loc["vip"]
    assert row["csat__n"] == 3 and row["ticket_volume"] == 3
    assert row["csat"] == pytest.approx(200 / 3)


def test_ratio_is_recomputed_not_averaged_across_grains(warehouse):
    jan, feb = datetime(2026, 1, 15), datetime(2026, 2, 15)
    engine = warehouse(
        tickets=[ticket("T0")],
        surveys=[survey("J", "T0", responded_at=jan, csat=5)]
        + [survey(f"F{i}", "T0", responded_at=feb, csat=5 if i == 0 else 1) for i in range(9)],
    )
    monthly = execute(q("csat", time_grain="month"), engine).data.set_index("period")["csat"]
    assert monthly[date(2026, 1, 1)] == 100 and monthly[date(2026, 2, 1)] == pytest.approx(100 / 9)
    quarterly = execute(q("csat", time_grain="quarter"), engine).data["csat"].tolist()
    assert quarterly == [pytest.approx(20.0)]  # 2 of 10, not the mean of 100% and 11.1%


def test_null_durations_are_excluded_not_zero(warehouse):
    engine = warehouse(
        tickets=[
            ticket("T0", first_response_at=datetime(2026, 1, 10, 11), handle_minutes=10.0),
            ticket("T1", first_response_at=datetime(2026, 1, 10, 13), handle_minutes=None),
            ticket("T2", first_response_at=None, handle_minutes=30.0, resolved_at=None),
        ]
    )
    row = execute(q("first_response_time_median", "average_handle_time"), engine).data.iloc[0]
    assert row["first_response_time_median"] == pytest.approx(3.0)  # median of 2h and 4h
    assert row["first_response_time_median__n"] == 2
    assert row["average_handle_time"] == pytest.approx(20.0)  # (10+30)/2, NULL not a zero
    assert row["average_handle_time__n"] == 2


def test_ticket_spanning_a_period_boundary(warehouse):
    created, resolved = datetime(2026, 1, 31, 23, 30), datetime(2026, 2, 1, 0, 30)
    engine = warehouse(
        tickets=[
            ticket(
                "T0",
                created_at=created,
                first_response_at=created,
                resolved_at=resolved,
                sla_due_at=datetime(2026, 2, 1),
            ),
            ticket(
                "T1",
                created_at=datetime(2026, 2, 1),
                resolved_at=datetime(2026, 2, 1, 1),
                sla_due_at=datetime(2026, 2, 2),
            ),
        ]
    )
    data = execute(
        q(
            "ticket_volume",
            "resolved_tickets",
            "resolution_time_median",
            "backlog",
            "sla_breach_rate",
            time_grain="month",
            time_range=TimeRange(start=date(2026, 1, 1), end=date(2026, 3, 1)),
        ),
        engine,
    ).data.set_index("period")
    jan, feb = data.loc[date(2026, 1, 1)], data.loc[date(2026, 2, 1)]
    assert (jan["ticket_volume"], feb["ticket_volume"]) == (1, 1)  # 00:00 Feb 1 is February
    assert (jan["resolved_tickets"], feb["resolved_tickets"]) == (0, 2)
    assert feb["resolution_time_median"] == pytest.approx(1.0)
    assert (jan["backlog"], feb["backlog"]) == (1, 0)  # open at the end of January only
    assert feb["sla_breach_rate"] == pytest.approx(50.0)


def test_empty_periods_show_zero_counts_and_null_ratios(warehouse):
    engine = warehouse(tickets=[ticket("T0")], surveys=[survey("S0", "T0")])
    data = execute(q("ticket_volume", "csat", time_grain="month"), engine).data
    assert data["period"].tolist() == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert data["ticket_volume"].tolist() == [1, 0, 0]
    assert data["csat"].isna().tolist() == [False, True, True]
    assert data["csat__n"].tolist() == [1, 0, 0]


def test_small_samples_are_flagged_with_a_wilson_interval(warehouse):
    engine = warehouse(
        tickets=[ticket("T0")],
        surveys=[survey(f"S{i}", "T0", csat=5 if i < 4 else 1) for i in range(5)],
    )
    result = execute(q("csat"), engine)
    row = result.data.iloc[0]
    assert row["csat"] == pytest.approx(80.0) and bool(row["csat__small_n"])
    assert 28 < row["csat__ci_low"] < 40 and 95 < row["csat__ci_high"] <= 100
    assert any("fewer than 30" in w for w in result.warnings)


EAST_ONLY = AccessPolicy(row_filters={"region": ["east"]})


@pytest.fixture
def two_regions(warehouse):
    return warehouse(
        tickets=[ticket("E1"), ticket("E2"), ticket("N1", region="north", customer_id="C2")],
        surveys=[survey("S1", "E1", csat=5), survey("S2", "N1", csat=1, customer_id="C2")],
        orders=[
            dict(
                order_id=f"O{i}",
                customer_id="C1",
                product_id="P1",
                ordered_at=T0,
                amount=1.0,
                region="east" if i else "north",
            )
            for i in range(3)
        ],
    )


@pytest.mark.parametrize(
    "filters",
    [
        (),
        (Filter(field="region", values=("north",)),),
        (Filter(field="region", op="in", values=("east", "north")),),
        (Filter(field="region", op="!=", values=("east",)),),
        (Filter(field="customer.region", values=("north",)),),
    ],
)
def test_access_policy_cannot_be_widened_by_filters(two_regions, filters):
    query = q(
        "ticket_volume",
        "csat",
        "order_count",
        dimensions=("region",),
        filters=filters,
        compare_to="previous_period",
    )
    data = execute(query, two_regions, policy=EAST_ONLY).data
    assert set(data["region"]) <= {"east"}
    if len(data):
        assert data["ticket_volume"].sum() <= 2 and data["order_count"].sum() <= 2
    unrestricted = execute(
        query.with_filter("region", "=", "north").with_compare_to(None), two_regions
    ).data
    assert unrestricted["ticket_volume"].sum() == 1  # the data is there without the policy


def test_access_policy_applies_without_dimensions_and_fails_closed(two_regions):
    row = execute(q("ticket_volume", "csat"), two_regions, policy=EAST_ONLY).data.iloc[0]
    assert row["ticket_volume"] == 2 and row["csat"] == 100.0
    with pytest.raises(AccessPolicyError, match="cannot be applied"):
        execute(
            q("order_count"), two_regions, policy=AccessPolicy(row_filters={"channel": ["phone"]})
        )
