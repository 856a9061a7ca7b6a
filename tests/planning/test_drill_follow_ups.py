"""Drill follow-ups in chat (issue 16): "点进华东看看" / "drill into East" after an answer is the
previous metric filtered to the member and broken down by the next drill level; numbers are
checked by the eval cases (evals/cases/drill.yml), the readings here."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.planning.drill import breakdowns, next_level
from assistant.planning.offline import OfflinePlanner
from assistant.planning.plans import Clarification, ConversationState, MetricPlan


@pytest.fixture(scope="module")
def planner() -> OfflinePlanner:
    return OfflinePlanner()


def _after(planner, earlier: list[str], question: str):
    state = ConversationState(today=date(2026, 11, 10))
    for text in earlier:
        state = state.with_turn(text, planner.plan(text, state))
    return planner.plan(question, state)


def test_the_next_level_is_below_the_deepest_member_fixed():
    assert next_level([]) == "region" and next_level(["region"]) == "product_line"
    assert next_level(["region", "team"]) == "agent_name"  # a team's agents
    assert next_level(["channel"]) == "region" and next_level(["agent_name"]) is None
    assert breakdowns(["region", "product_line", "team", "agent_name"]) == (
        "channel",
        "category",
    )


@pytest.mark.parametrize(
    ("earlier", "question", "dimension", "filters"),
    [
        (["上个月各区域的投诉量"], "点进华东看看", "product_line", {"region": ("east",)}),
        (["上个月各区域的投诉量"], "只看华东", "product_line", {"region": ("east",)}),
        (["上个月的投诉量"], "下钻到华东", "product_line", {"region": ("east",)}),
        (
            ["上个月各区域的投诉量", "钻取华东"],
            "再点进空调",
            "team",
            {"region": ("east",), "product_line": ("air_conditioner",)},
        ),
        (["CSAT by region last month"], "drill into East", "product_line", {"region": ("east",)}),
        (
            ["complaints by region last month"],
            "zoom into the east region",
            "product_line",
            {"region": ("east",)},
        ),
    ],
)
def test_a_drill_filters_to_the_member_and_breaks_down_the_next_level(
    planner, earlier, question, dimension, filters
):
    plan = _after(planner, earlier, question)
    assert isinstance(plan, MetricPlan), plan
    assert plan.query.dimensions == (dimension,)
    assert {f.field: f.values for f in plan.query.filters} == filters
    first = planner.plan(earlier[0], ConversationState(today=date(2026, 11, 10)))
    assert plan.query.metrics == first.query.metrics


def test_a_member_of_a_side_dimension_keeps_its_old_reading(planner):
    plan = _after(planner, ["CSAT by channel last month"], "what about wechat?")
    assert plan.query.dimensions == ("channel",)  # not a drill-path dimension: a filter only


@pytest.mark.parametrize(
    ("earlier", "question", "word"),
    [
        (["上个月各区域的投诉量"], "点进火星看看", "火星"),
        (["CSAT by region last month"], "drill into Mars", "mars"),
    ],
)
def test_an_unknown_member_is_asked_back(planner, earlier, question, word):
    plan = _after(planner, earlier, question)
    assert isinstance(plan, Clarification) and word in plan.question.lower()
    assert len(plan.options) == 3
    assert all(o.plan.query.dimensions == ("product_line",) for o in plan.options)
