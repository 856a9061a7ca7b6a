"""A metric name typed with one homophone (the commonest Chinese input-method typo) is read as
the name; the same characters as a real word elsewhere are not rewritten."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.planning.homophones import HomophoneFixer
from assistant.planning.offline import OfflinePlanner
from assistant.planning.plans import Clarification, ConversationState, MetricPlan

TODAY = date(2026, 11, 8)


@pytest.fixture(scope="module")
def planner() -> OfflinePlanner:
    return OfflinePlanner()


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("上个月首响时常中位数", "first_response_time_median"),
        ("上个月的客户满意渡", "csat"),
        ("上个月首次相应时间", "first_response_time_median"),
    ],
)
def test_a_metric_name_with_one_homophone_is_read_as_the_name(planner, question, metric):
    plan = planner.plan(question, ConversationState(today=TODAY))
    assert isinstance(plan, MetricPlan), plan
    assert plan.query.metrics == (metric,)


def test_the_same_characters_as_a_real_word_are_left_as_written(planner):
    plan = planner.plan("时常投诉的客户有多少", ConversationState(today=TODAY))
    assert isinstance(plan, Clarification), plan  # 时常 = often: asked about, not rewritten
    assert "「时常」" in plan.question


def test_only_one_listed_swap_in_a_name_of_three_or_more_characters():
    fixer = HomophoneFixer(["首响时长", "满意度", "投诉"])
    assert fixer.fix("首响时常") == "首响时长"
    assert fixer.fix("首想时常") == "首想时常"  # two swaps: not this name
    assert fixer.fix("首响时间") == "首响时间"  # 间 does not sound like 长
    assert fixer.fix("投素") == "投素"  # two-character names are too short to guess
    assert fixer.fix("满意度满意读") == "满意度满意度"
