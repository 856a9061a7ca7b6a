"""A single number is shown beside the analysts' target when one applies to its slice and
period; a question that asks ("达标了吗", "on target?") always gets the target or "none is set";
a breakdown asked about targets judges each group by its own slice's target."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.app import build_app
from assistant.planning.plans import Clarification, ConversationState, MetricPlan

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def assistant(demo_warehouse_url):
    app = build_app(None, "test", warehouse=demo_warehouse_url, today=TODAY)
    yield app.assistant
    app.close()


def ask(assistant, question: str, role: str | None = None):
    return assistant.ask(question, state=ConversationState(today=TODAY, role=role))


@pytest.mark.parametrize(
    ("question", "goal", "met", "missed"),
    [
        ("上个月满意度达标了吗", "目标 ≥75.0%（预警线 70.0%）", "达标。", "未达标，差 "),
        (
            "was CSAT on target last month?",
            "Target ≥ 75.0% (warning line 70.0%)",
            "on target.",
            "off target by ",
        ),
    ],
)
def test_a_target_question_gets_the_target_and_the_right_status(
    assistant, question, goal, met, missed
):
    answer = ask(assistant, question)
    assert isinstance(answer.plan, MetricPlan) and answer.plan.asks_target
    value = float(answer.result.data.iloc[0]["csat"])
    assert goal in answer.text, answer.text
    assert (met if value >= 75 else missed) in answer.text, answer.text
    if value < 75:
        gap = f"{75 - value:.1f}"
        assert gap in answer.text  # the gap in points, from the certified value


def test_a_regional_number_is_judged_by_its_regions_target(assistant):
    # targets.yml sets south's own CSAT target (65) over the company's (75).
    for answer in (
        ask(assistant, "上个月的满意度", role="south_manager"),
        ask(assistant, "上个月华南的满意度"),
    ):
        assert "目标 ≥65.0%" in answer.text, answer.text


def test_asked_without_a_target_says_none_is_set(assistant):
    answer = ask(assistant, "上个月的平均处理时长达到目标了吗")
    assert "没有设定目标" in answer.text and "targets.yml" in answer.text, answer.text
    # A monthly count target never judges a week.
    week = ask(assistant, "2026-10-05到2026-10-11的投诉量达标了吗")
    assert "没有设定目标" in week.text and "目标 ≤" not in week.text, week.text
    month = ask(assistant, "2026年10月的投诉量达标了吗")
    assert "目标 ≤500件" in month.text, month.text


@pytest.mark.parametrize(
    "question",
    ["上个月各大区满意度达标了吗", "Which regions missed their CSAT target last month?"],
)
def test_a_breakdown_asked_about_targets_judges_each_group_by_its_own(assistant, question):
    """Each region against its own slice's target (targets.yml: south 65 / 55, the company
    75 / 70), from the certified values of the answer's own rows."""
    answer = ask(assistant, question)
    assert isinstance(answer.plan, MetricPlan) and answer.plan.asks_target, answer.plan
    zh = answer.language == "zh"
    labels = {"south": "华南" if zh else "South China", "east": "华东" if zh else "East China"}
    off, on = [], 0
    for row in answer.result.table.rows():
        target, warning = (65.0, 55.0) if row["region"] == "south" else (75.0, 70.0)
        value = float(row["csat"])
        if value >= target:
            on += 1
        else:
            off.append((row["region"], value, target, value >= warning))
    assert off and on, "the demo month has regions on both sides"
    head = "各大区对照各自目标：" if zh else "Each region against its own target: "
    assert head in answer.text, answer.text
    assert (f"未达标 {len(off)} 个" if zh else f"{len(off)} off target") in answer.text
    assert (f"达标 {on} 个" if zh else f"{on} on target") in answer.text
    for region, value, target, within in off:
        if region in labels:
            shown = f"{labels[region]} {value:.1f}%"
            assert shown in answer.text, (shown, answer.text)
            goal = f"目标 ≥{target:.1f}%" if zh else f"target ≥ {target:.1f}%"
            status = (
                ("仍在预警线内" if zh else "within") if within else ("超出" if zh else "beyond")
            )
            after = answer.text.split(shown, 1)[1][:60]
            assert goal in after and status in after, answer.text


def test_a_group_too_small_to_judge_is_not_called_on_target(assistant):
    answer = ask(assistant, "上个月各渠道的满意度达标了吗", role="east_manager")
    small = [r for r in answer.result.table.rows() if 0 < r["csat__n"] < 30]
    assert small, "east's small channels"
    assert f"{len(small)} 个样本不足" in answer.text, answer.text
    assert "全部达标" not in answer.text


def test_naming_two_members_to_compare_shows_each_not_their_pool(assistant):
    for question in (
        "上个月华东和华北的满意度对比",
        "compare East and North China CSAT last month",
    ):
        answer = ask(assistant, question)
        assert answer.plan.query.dimensions == ("region",), question
        assert sorted(answer.result.data["region"]) == ["east", "north"]


def test_sla_alone_asks_which_sla_metric(assistant):
    for question in ("SLA this quarter", "上个月的SLA怎么样"):
        plan = ask(assistant, question).plan
        assert isinstance(plan, Clarification), question
        options = [o.plan.query.metrics[0] for o in plan.options]
        assert options == ["sla_compliance", "sla_breach_rate"], options


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("上个月的满意度、SLA达成率和净推荐值", ("客户满意度目标 ≥75.0%", "SLA达成率目标 ≥80.0%")),
        ("CSAT, SLA compliance and NPS last month", ("CSAT target ≥ 75.0%", "NPS target ≥ 10.0")),
    ],
)
def test_several_numbers_each_name_the_metric_of_their_target(assistant, question, named):
    """After "…；净推荐值为-6.3。" a bare "目标 ≥75.0%" would read as NPS's target."""
    answer = ask(assistant, question)
    assert isinstance(answer.plan, MetricPlan) and len(answer.plan.query.metrics) == 3
    for line in named:
        assert line in answer.text, answer.text
    assert "。目标 ≥" not in answer.text and ". Target ≥" not in answer.text, answer.text
