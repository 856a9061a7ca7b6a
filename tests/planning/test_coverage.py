"""A complete reading or no number: every word placed, or the planner asks / refuses by name."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.planning.coverage import account, nearest_metrics
from assistant.planning.lexicon import lexicon_for, normalise
from assistant.planning.offline import OfflinePlanner, _mask
from assistant.planning.plans import Clarification, ConversationState, MetricPlan, OutOfScope
from assistant.planning.time_parser import parse_time
from semantic_layer.catalog_loader import default_catalog
from semantic_layer.query import Filter

TODAY = date(2026, 11, 10)
OCT = (date(2026, 10, 1), date(2026, 11, 1))


@pytest.fixture(scope="module")
def planner() -> OfflinePlanner:
    return OfflinePlanner()


def plan_for(planner: OfflinePlanner, question: str, today: date = TODAY, role: str | None = None):
    return planner.plan(question, ConversationState(today=today, role=role))


def unplaced(text: str) -> tuple[list[str], list[str]]:
    lexicon = lexicon_for(default_catalog())
    text = normalise(text)
    masked = _mask(text, [m.span for m in parse_time(text, TODAY)])  # as the planner does
    coverage = account(masked, lexicon.find(masked))
    return [s.text for s in coverage.unplaced], [s.text for s in coverage.unknown_rates]


@pytest.mark.parametrize(
    ("question", "rate"),
    [
        ("上个月售后返修率是多少", "售后返修率"),
        ("物流延迟率怎么样", "物流延迟率"),
        ("华东区客户留存率", "客户留存率"),  # the region in front is a filter, not the name
        ("10月服务投诉率", "服务投诉率"),  # 投诉率 is certified; 服务投诉率 is not
        ("what is our parts turnover rate", "parts turnover rate"),
    ],
)
def test_unknown_rate_is_refused_by_name(planner, question, rate):
    assert unplaced(question)[1] == [rate]
    plan = plan_for(planner, question)
    assert isinstance(plan, OutOfScope)
    if rate.isascii():
        assert plan.reason.startswith(f"'{rate}' is not a certified metric")
        assert "semantic_layer/definitions/" in plan.reason
    else:
        assert plan.reason.startswith(f"「{rate}」不是已认证指标")
        assert "同义词" in plan.reason
    assert len(plan.suggestions) == 3  # questions about the nearest certified metrics


def test_a_metric_name_inside_an_unknown_rate_never_answers(planner):
    # Substring matching found 投诉率 (complaints per 1,000 orders) and 关闭 (status closed);
    # neither may answer these questions.
    for question in ("上季度服务投诉率", "物流投诉处理满意率", "工单遗忘率"):
        assert not isinstance(plan_for(planner, question), MetricPlan), question


def test_known_rates_and_their_domain_names_still_answer(planner):
    cases = {
        "上个月的问题关闭率": "closure_rate",
        "10月工单完成率": "resolution_rate",
        "上个月投诉处理及时率": "complaint_timeliness",
        "上个月重复投诉率": "repeat_complaint_rate",
        "上个月客户投诉率": "complaint_rate_per_1000_orders",
        "整体投诉率": "complaint_rate_per_1000_orders",
        "share of promoters last month": "nps_promoter_share",
    }
    for question, metric in cases.items():
        plan = plan_for(planner, question)
        assert isinstance(plan, MetricPlan), (question, plan)
        assert plan.query.metrics == (metric,), question


@pytest.mark.parametrize(
    ("question", "flt"),
    [
        ("上个月除华东以外的投诉量", Filter(field="region", op="!=", values=("east",))),
        ("上个月华东除外的投诉量", Filter(field="region", op="!=", values=("east",))),
        (
            "上个月不含华东和华北的投诉量",
            Filter(field="region", op="not in", values=("east", "north")),
        ),
        (
            "complaints last month excluding East China",
            Filter(field="region", op="!=", values=("east",)),
        ),
        (
            "complaints last month from channels other than phone",
            Filter(field="channel", op="!=", values=("phone",)),
        ),
    ],
)
def test_negation_is_an_exclusion_filter(planner, question, flt):
    plan = plan_for(planner, question)
    assert isinstance(plan, MetricPlan), plan
    assert plan.query.metrics == ("complaint_volume",)
    assert plan.query.filters == (flt,)


@pytest.mark.parametrize(
    ("question", "field", "values", "read_as"),
    [
        (
            "average handle time for chat vs phone in October",
            "channel",
            ("web_chat", "phone"),
            "“chat” read as Channel “Web chat”",
        ),
        ("上个月机器人的投诉量", "product_line", ("robot_vacuum",), "「机器人」理解为产品线"),
    ],
)
def test_a_word_inside_a_value_name_is_offered_as_that_value(
    planner, question, field, values, read_as
):
    # Asked, never guessed: the first option is the question with the value written in full,
    # and choosing it says how the word was read.
    plan = plan_for(planner, question)
    assert isinstance(plan, Clarification), plan
    first = plan.options[0]
    assert first.label.startswith(read_as), first.label
    filters = {f.field: f.values for f in first.plan.query.filters}
    assert set(filters[field]) == set(values)
    assert first.label in first.plan.assumptions
    # The reading without the word stays on offer.
    assert any("ignoring" in o.label or "不考虑" in o.label for o in plan.options[1:])


def test_a_word_inside_many_value_names_offers_none_of_them():
    lexicon = lexicon_for(default_catalog())
    assert [v[:2] for v in lexicon.values_naming("chat")] == [("channel", "web_chat")]
    assert lexicon.values_naming("a") == []  # in too many names to offer any
    assert lexicon.values_naming("东") == []  # one Chinese character names nothing


def test_a_city_filters_and_an_unknown_brand_is_asked_about(planner):
    city = plan_for(planner, "上个月广州的投诉量")
    assert isinstance(city, MetricPlan)
    assert city.query.filters == (Filter(field="city", op="=", values=("广州",)),)
    brand = plan_for(planner, "上个月格力空调的投诉量")
    assert isinstance(brand, Clarification)
    assert "「格力」" in brand.question
    # The first option is the reading without the word, said out loud; no option drops the
    # product line the question did name.
    assert "不考虑「格力」" in brand.options[0].label
    for option in brand.options:
        assert Filter(field="product_line", op="=", values=("air_conditioner",)) in (
            option.plan.query.filters
        )


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("上个月KF-35的满意度", "kf-35"),  # it answered CSAT for every product
        ("CSAT for the T10 last month", "t10"),
        ("上个月65U8的投诉量", "65u8"),
        ("48h resolution rate last month", "48h"),  # not the resolution rate
    ],
)
def test_a_model_code_is_never_ignored(planner, question, code):
    assert code in unplaced(question)[0]
    plan = plan_for(planner, question)
    assert isinstance(plan, Clarification), plan
    assert code in plan.question


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("上个月晚上的工单量", "晚上"),
        ("上个月线上的工单量", "线上"),
        ("上个月线下的投诉量", "线下"),
    ],
)
def test_a_one_character_function_word_is_not_half_of_a_word(planner, question, word):
    # 上 / 下 are filler alone; next to one unknown character they make a word that filters.
    assert word in unplaced(question)[0]
    plan = plan_for(planner, question)
    assert isinstance(plan, Clarification), plan
    assert f"「{word}」" in plan.question


@pytest.mark.parametrize(
    "question",
    [
        "top 5 product lines by complaint volume last month",
        "P90首次响应时间",
        "Q3 CSAT by region",
        "complaint rate per 1k orders by customer segment last quarter",
    ],
)
def test_numbers_read_by_their_cues_are_not_codes(planner, question):
    assert unplaced(question)[0] == []
    assert isinstance(plan_for(planner, question), MetricPlan)


def test_unknown_words_make_it_ask_in_both_languages(planner):
    zh = plan_for(planner, "上个月夜间进线的工单量")
    assert isinstance(zh, Clarification) and "「夜间进线」" in zh.question
    en = plan_for(planner, "weekend ticket volume last month")
    assert isinstance(en, Clarification) and "“weekend”" in en.question
    assert en.options[0].plan.query.metrics == ("ticket_volume",)


def test_a_single_unknown_character_glued_to_a_term_counts(planner):
    assert unplaced("上个月中英文工单各多少")[0] == []  # 中英文 is a language word
    assert unplaced("上个月沪华东工单")[0] == ["沪"]


def test_two_word_dimension_is_one_breakdown(planner):
    plan = plan_for(planner, "按客服小组看上个月工单量")
    assert isinstance(plan, MetricPlan)
    assert plan.query.dimensions == ("team",)


@pytest.mark.parametrize(
    "question", ["还有多少工单没处理完", "How many tickets are still open?", "现在还有多少积压工单"]
)
def test_still_open_is_todays_backlog(planner, question):
    plan = plan_for(planner, question)
    assert isinstance(plan, MetricPlan)
    assert plan.query.metrics == ("backlog",)
    assert plan.query.filters == ()
    assert (plan.query.time_range.start, plan.query.time_range.end) == (
        TODAY,
        date(2026, 11, 11),
    )


def test_a_backlog_at_a_past_period_end_is_not_today(planner):
    plan = plan_for(planner, "上个月月底还积压多少工单没处理完")
    assert isinstance(plan, MetricPlan)
    assert (plan.query.time_range.start, plan.query.time_range.end) == OCT


def test_two_periods_joined_by_and_are_one_range(planner):
    plan = plan_for(planner, "southwest aircon installation tickets July+August")
    assert isinstance(plan, MetricPlan)
    assert plan.query.compare_to is None
    assert (plan.query.time_range.start, plan.query.time_range.end) == (
        date(2026, 7, 1),
        date(2026, 9, 1),
    )


def test_nearest_metrics_rank_by_shared_words():
    lexicon = lexicon_for(default_catalog())
    assert nearest_metrics(lexicon, "客户满意")[0] == "csat"
    assert nearest_metrics(lexicon, "first response speed")[0] == "first_response_time_median"
    assert nearest_metrics(lexicon, "格力") == []  # shares nothing with any metric


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("median AHT last month", "median"),  # AHT is a mean
        ("median handle time last month", "handle time"),  # bare "handle time" is ambiguous
        ("上个月首次响应时间的平均值", "平均值"),  # FRT is a median
        ("上个月平均满意度", "平均"),  # CSAT is a share of satisfied answers, not a mean score
    ],
)
def test_a_statistic_the_metric_does_not_compute_is_asked_about(planner, question, word):
    plan = plan_for(planner, question)
    assert isinstance(plan, Clarification), plan
    assert word in plan.question


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("上个月首次响应时间的中位数是多少", "first_response_time_median"),
        ("median resolution time last month", "resolution_time_median"),
        ("average handle time last month", "average_handle_time"),
        ("上个月平均处理时长", "average_handle_time"),
        ("上个月每单服务成本的平均值", "cost_per_ticket"),
    ],
)
def test_a_statistic_the_metric_computes_is_placed(planner, question, metric):
    plan = plan_for(planner, question)
    assert isinstance(plan, MetricPlan), plan
    assert plan.query.metrics == (metric,)


@pytest.mark.parametrize("question", ["上个月没有退款的工单有多少", "上个月不满意的投诉有多少"])
def test_a_lone_negation_is_never_ignored(planner, question):
    plan = plan_for(planner, question)
    assert isinstance(plan, Clarification), plan


@pytest.mark.parametrize(
    "question",
    ["上个月没有解决的工单有多少", "上个月没解决的投诉有多少", "unresolved tickets last month"],
)
def test_unresolved_is_open_or_pending_never_resolved(planner, question):
    plan = plan_for(planner, question)
    assert isinstance(plan, MetricPlan), plan
    assert "resolved_tickets" not in plan.query.metrics
    status = [f for f in plan.query.filters if f.field == "status"]
    assert status == [Filter(field="status", op="in", values=("open", "pending"))], status


@pytest.mark.parametrize("word", ["unresolved", "dissatisfied", "non-escalated"])
def test_a_negating_prefix_is_never_a_typo(word):
    from assistant.planning.lexicon import _negates

    assert _negates(word, word.removeprefix("un").removeprefix("dis").removeprefix("non-"))


def test_fei_before_a_value_excludes_it(planner):
    plan = plan_for(planner, "上个月非VIP客户的满意度")
    assert isinstance(plan, MetricPlan), plan
    assert plan.query.filters == (Filter(field="segment", op="!=", values=("vip",)),)


@pytest.mark.parametrize(
    ("question", "word"),
    [("上个月华东的投诉量，台风", "台风"), ("complaints last month, typhoon", "typhoon")],
)
def test_the_reading_that_ignores_a_word_says_so_when_chosen(planner, question, word):
    plan = plan_for(planner, question)
    assert isinstance(plan, Clarification), plan
    chosen = plan.options[0].plan
    assert isinstance(chosen, MetricPlan), chosen
    assert any(word in a for a in chosen.assumptions), chosen.assumptions


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("customer retention last quarter", "retention"),
        ("agent utilization last week", "utilization"),
        ("上个月客户复购率", "复购率"),
    ],
)
def test_a_kpi_noun_the_catalog_lacks_is_refused_by_name(planner, question, word):
    plan = plan_for(planner, question)
    assert isinstance(plan, OutOfScope), plan
    assert word in plan.reason


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("上个月一次就解决的工单占多少", "first_contact_resolution"),
        ("what share of tickets were escalated last month", "escalation_rate"),
    ],
)
def test_a_share_is_never_answered_with_a_count(planner, question, first):
    plan = plan_for(planner, question)
    assert isinstance(plan, Clarification), plan
    metrics = [o.plan.query.metrics[0] for o in plan.options]
    assert metrics[0] == first, metrics
    assert all(default_catalog().metric(m).unit == "%" for m in metrics)


def test_a_share_metric_asked_as_a_share_is_answered(planner):
    plan = plan_for(planner, "上个月推荐者占比")
    assert isinstance(plan, MetricPlan) and plan.query.metrics == ("nps_promoter_share",)


@pytest.mark.parametrize(
    ("question", "left_over"),
    [
        ("上个月超过48小时没解决的投诉有多少", "超过48小时"),
        ("How many complaints were not resolved within 48 hours last month?", "within 48 hours"),
        ("tickets reopened more than 2 times last month", "more than 2 times"),
        ("上个月3天内解决的工单有多少", "3天内"),
        ("上个月工单量超过3次的客户", "超过3次"),  # a count is not measured in times
        # 30 counts surveys: no CSAT threshold of 30 %
        ("top 5 agents by CSAT last month with at least 30 surveys", "at least 30"),
    ],
)
def test_a_number_with_a_unit_nothing_places_is_asked_about(planner, question, left_over):
    # Dropping it would answer a different question (all unresolved complaints, all tickets).
    plan = plan_for(planner, question)
    assert isinstance(plan, Clarification), plan
    assert left_over in plan.question


@pytest.mark.parametrize(
    ("question", "metric", "op", "value"),
    [
        ("上个月首次响应时长超过30分钟的大区", "first_response_time_median", ">", 0.5),
        (
            "regions where median first response time was over 10 minutes last month",
            "first_response_time_median",
            ">",
            1 / 6,
        ),
        ("上个月平均处理时长超过1小时的渠道", "average_handle_time", ">", 60.0),
        ("上个月满意度低于75%的大区", "csat", "<", 75.0),
        ("上个月满意度低于75的大区", "csat", "<", 75.0),
        ("上个月工单量超过1000单的大区", "ticket_volume", ">", 1000.0),
        ("上个月满意度75%以下的大区", "csat", "<=", 75.0),
        ("上个月首次响应时长30分钟以上的大区", "first_response_time_median", ">=", 0.5),
        ("上个月首次响应时长不超过2小时的大区", "first_response_time_median", "<=", 2.0),
        ("上个月投诉量不到50件的大区", "complaint_volume", "<", 50.0),
        ("regions with CSAT of at least 80% last month", "csat", ">=", 80.0),
        ("teams with 100 tickets or more last month", "ticket_volume", ">=", 100.0),
        (
            "list regions whose complaint rate exceeded 100 per 1000 orders last month",
            "complaint_rate_per_1000_orders",
            ">",
            100.0,
        ),
        ("上个月投诉率超过100件/千单的大区", "complaint_rate_per_1000_orders", ">", 100.0),
    ],
)
def test_a_threshold_is_converted_to_its_metric_unit(planner, question, metric, op, value):
    plan = plan_for(planner, question)
    assert isinstance(plan, MetricPlan), plan
    (condition,) = plan.query.metric_filters
    assert plan.query.metrics == (metric,)  # a metric word in the unit is not asked for too
    assert (condition.metric, condition.op) == (metric, op)
    assert condition.values[0] == pytest.approx(value)


def test_reopened_is_not_a_typo_of_opened():
    assert unplaced("tickets reopened last month")[0] == ["reopened"]


@pytest.mark.parametrize(
    ("question", "priority"),
    [
        ("why is CSAT in South China so low last month?", None),
        ("上个月一般多久能解决", None),
        ("resolution time for high priority tickets last month", ("high",)),
        ("上个月优先级高的工单量", ("high",)),
        ("上个月紧急工单有多少", ("urgent",)),
    ],
)
def test_an_everyday_word_is_a_priority_only_next_to_its_name(planner, question, priority):
    # "so low" is no priority filter: the answer would be about low-priority tickets only.
    plan = plan_for(planner, question)
    filters = {f.field: f.values for f in getattr(getattr(plan, "query", None), "filters", ())}
    filters |= {f.field: f.values for f in getattr(plan, "scope", ())}
    assert filters.get("priority") == priority, plan


def test_a_bare_priority_listed_with_a_named_one_is_that_priority(planner):
    plan = plan_for(planner, "median resolution time for high and urgent tickets last month")
    assert isinstance(plan, MetricPlan), plan
    assert Filter(field="priority", op="in", values=("high", "urgent")) in plan.query.filters


def test_two_thresholds_joined_by_and_each_bind_their_metric(planner):
    plan = plan_for(planner, "上个月满意度超过80%且工单量超过100的团队")
    assert isinstance(plan, MetricPlan), plan
    assert {(f.metric, f.op, f.values) for f in plan.query.metric_filters} == {
        ("csat", ">", (80.0,)),
        ("ticket_volume", ">", (100.0,)),
    }
