"""Two periods in one question: a comparison, one period, or a question back — never one
number over a span nobody asked for (it was: "10月和8月比" answered August–October pooled)."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.planning.offline import OfflinePlanner
from assistant.planning.plans import Clarification, ConversationState, MetricPlan

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def planner() -> OfflinePlanner:
    return OfflinePlanner()


def ask(planner: OfflinePlanner, question: str, today: date = TODAY):
    return planner.plan(question, ConversationState(today=today))


def span(plan: MetricPlan) -> tuple[str, str]:
    assert plan.query.time_range is not None
    return str(plan.query.time_range.start), str(plan.query.time_range.end)


@pytest.mark.parametrize(
    ("question", "period", "compare"),
    [
        # adjacent periods, either order, comparison words anywhere
        ("10月和9月的投诉量对比", ("2026-10-01", "2026-11-01"), "previous_period"),
        ("9月和10月比投诉量", ("2026-10-01", "2026-11-01"), "previous_period"),
        ("CSAT in Q3 vs Q2", ("2026-07-01", "2026-10-01"), "previous_period"),
        (
            "2025年10月和2026年10月的满意度对比",
            ("2026-10-01", "2026-11-01"),
            "same_period_last_year",
        ),
        # no comparison: two adjacent periods are one period
        ("9月和10月的投诉量", ("2026-09-01", "2026-11-01"), None),
    ],
)
def test_periods_the_layer_can_answer(planner, question, period, compare):
    plan = ask(planner, question)
    assert isinstance(plan, MetricPlan), plan
    assert span(plan) == period
    assert plan.query.compare_to == compare


def test_a_relative_baseline_is_read_relative_to_the_period_it_is_compared_with(planner):
    # In December "上个月" is November itself: compared with itself it says nothing.
    plan = ask(planner, "11月的满意度和上个月比", today=date(2026, 12, 5))
    assert isinstance(plan, MetricPlan), plan
    assert span(plan) == ("2026-11-01", "2026-12-01")
    assert plan.query.compare_to == "previous_period"
    assert "对比期按2026年11月的上一期（2026年10月）理解" in plan.interpretation


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("这个月满意度和上个月比怎么样", "与2026年10月的同期（2026-10-01 ~ 2026-10-22）对比"),
        ("CSAT this month compared with last month", "same days of October 2026"),
        ("和上个月比，这个月的投诉量", "天数相同才可比"),
    ],
)
def test_a_partial_period_is_compared_with_the_same_days_and_says_so(planner, question, said):
    plan = ask(planner, question)
    assert isinstance(plan, MetricPlan), plan
    assert span(plan) == ("2026-11-01", "2026-11-23")  # month to date, through today
    assert plan.query.compare_to == "previous_period"
    assert said in plan.interpretation


@pytest.mark.parametrize(
    ("question", "asked", "labels"),
    [
        (
            "10月的满意度和8月比",
            "不是上一期或去年同期",
            [
                "2026年10月与2026年9月对比（环比）",
                "2026年10月与2025年10月对比（同比）",
                "2026年8月至2026年10月逐月",
            ],
        ),
        (
            "CSAT in Q3 vs Q1",
            "are neither",
            [
                "Q3 2026 vs Q2 2026 (the period before)",
                "Q3 2026 vs Q3 2025 (a year earlier)",
                "Quarter by quarter, Q1 2026 to Q3 2026",
            ],
        ),
        (
            "8月和10月的投诉量",
            "隔着其他日子",
            ["2026年8月", "2026年10月", "2026年8月至2026年10月逐月"],
        ),
    ],
)
def test_periods_no_single_query_answers_are_asked_back(planner, question, asked, labels):
    plan = ask(planner, question)
    assert isinstance(plan, Clarification), plan
    assert asked in plan.question
    assert [o.label for o in plan.options] == labels
    for option in plan.options:  # every option runs exactly what its label says
        query = option.plan.query
        assert query.time_range is not None
        covered = (query.time_range.end - query.time_range.start).days
        assert covered <= 366


def test_the_trend_option_shows_each_month_not_a_pool(planner):
    plan = ask(planner, "10月的满意度和8月比")
    assert isinstance(plan, Clarification)
    trend = plan.options[2].plan.query
    assert trend.time_grain == "month"
    assert (str(trend.time_range.start), str(trend.time_range.end)) == ("2026-08-01", "2026-11-01")
    compared = plan.options[0].plan.query
    assert compared.compare_to == "previous_period"
    assert (str(compared.time_range.start), str(compared.time_range.end)) == (
        "2026-10-01",
        "2026-11-01",
    )


def test_a_follow_up_with_two_periods_is_read_the_same_way(planner):
    first = ask(planner, "上个月的满意度")
    assert isinstance(first, MetricPlan)
    state = ConversationState(today=TODAY).with_turn("上个月的满意度", first)
    again = planner.plan("那10月和8月比呢", state)
    assert isinstance(again, Clarification), again
    assert all(o.plan.query.metrics == ("csat",) for o in again.options)
    adjacent = planner.plan("那10月和9月比呢", state)
    assert isinstance(adjacent, MetricPlan), adjacent
    assert adjacent.query.compare_to == "previous_period"
    assert span(adjacent) == ("2026-10-01", "2026-11-01")


@pytest.mark.parametrize(
    ("question", "grain", "period"),
    [
        ("9月和10月分别的投诉量", "month", ("2026-09-01", "2026-11-01")),
        ("8月和10月分别的投诉量", "month", ("2026-08-01", "2026-11-01")),
        ("Q2 and Q3 CSAT respectively", "quarter", ("2026-04-01", "2026-10-01")),
    ],
)
def test_each_period_on_its_own_is_a_trend_not_a_total(planner, question, grain, period):
    plan = ask(planner, question)
    assert isinstance(plan, MetricPlan), plan
    assert plan.query.time_grain == grain
    assert span(plan) == period


def test_each_of_two_periods_apart_lists_the_period_between_and_says_so(planner):
    plan = ask(planner, "8月和10月分别的投诉量")
    assert isinstance(plan, MetricPlan), plan
    assert "中间的2026年9月也一并列出" in plan.interpretation


def test_a_follow_up_asked_back_keeps_the_scope_it_follows(planner):
    first = ask(planner, "上个月华东的投诉量")
    assert isinstance(first, MetricPlan)
    state = ConversationState(today=TODAY).with_turn("上个月华东的投诉量", first)
    again = planner.plan("那满意度10月和8月比呢", state)
    assert isinstance(again, Clarification), again
    assert again.options
    for option in again.options:
        assert option.plan.query.metrics == ("csat",)
        assert option.plan.query.filters == first.query.filters  # still East China
