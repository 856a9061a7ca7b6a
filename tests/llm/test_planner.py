"""LLMPlanner with a scripted chat model implementing the real LangChain interface."""

from __future__ import annotations

import time
from datetime import date

import pytest

from assistant.llm.budget import estimate_tokens
from assistant.llm.planner import LLMPlanner
from assistant.planning.plans import (
    CaseSearch,
    Clarification,
    ConversationState,
    MetricPlan,
    OutOfScope,
    RootCause,
)
from semantic_layer.compiler import compile_query
from semantic_layer.query import Filter, MetricQuery, TimeRange
from tests.llm.fakes import ScriptedChatModel, draft, garbage_call, text

OCTOBER = TimeRange(start=date(2026, 10, 1), end=date(2026, 11, 1))
NOTICE = "LLM unavailable, answered with the offline planner: "


def planner(model, catalog, fallback, **kwargs) -> LLMPlanner:
    kwargs.setdefault("timeout_s", 10.0)
    return LLMPlanner(model, catalog, fallback, **kwargs)


def test_a_valid_draft_becomes_a_compiled_metric_plan(catalog, state, fallback):
    model = ScriptedChatModel(
        script=[
            draft(
                intent="metric",
                metrics=["csat"],
                dimensions=["region"],
                filters=[{"dimension": "channel", "values": ["微信"]}],
                time_phrase="上个月",
            )
        ]
    )
    outcome = planner(model, catalog, fallback).plan_detailed("上个月微信渠道各大区的满意度", state)

    assert outcome.source == "llm" and outcome.notices == ()
    plan = outcome.plan
    assert isinstance(plan, MetricPlan)
    assert plan.query == MetricQuery(
        metrics=("csat",),
        dimensions=("region",),
        time_range=OCTOBER,
        filters=(Filter(field="channel", op="=", values=("wechat",)),),
    )
    compile_query(plan.query, catalog)
    assert "客户满意度" in plan.interpretation
    assert model.calls == 1 and fallback.questions == []
    # the model saw today, the catalog and the question, and was forced to call Draft
    prompt = model.prompt_text(0)
    assert "2026-11-05" in prompt and "first_contact_resolution" in prompt and "华东" in prompt
    assert model.bound_tool_names(0) == ["Draft"]
    assert model.call_kwargs[0]["tool_choice"] is not None
    schema = model.call_kwargs[0]["tools"][0]["function"]["parameters"]
    assert "csat" in schema["properties"]["metrics"]["items"]["enum"]


@pytest.mark.parametrize(
    ("bad", "good", "hint"),
    [
        ({"metrics": ["csta"]}, {"metrics": ["csat"]}, "Did you mean 'csat'?"),
        (
            {"metrics": ["csat"], "dimensions": ["regoin"]},
            {"metrics": ["csat"], "dimensions": ["region"]},
            "Did you mean 'region'?",
        ),
        (
            {"metrics": ["csat"], "filters": [{"dimension": "region", "values": ["eest"]}]},
            {"metrics": ["csat"], "filters": [{"dimension": "region", "values": ["east"]}]},
            "Did you mean 'east'?",
        ),
    ],
    ids=["unknown-metric", "bad-dimension", "bad-code"],
)
def test_invalid_drafts_are_corrected_from_the_semantic_layer_error(
    catalog, state, fallback, bad, good, hint
):
    model = ScriptedChatModel(
        script=[
            draft(intent="metric", time_phrase="last month", **bad),
            draft(intent="metric", time_phrase="last month", **good),
        ]
    )
    outcome = planner(model, catalog, fallback).plan_detailed("CSAT last month", state)

    assert outcome.source == "llm" and isinstance(outcome.plan, MetricPlan)
    assert model.calls == 2
    assert hint in (outcome.attempts[0].error or "")
    assert outcome.attempts[1].error is None
    # the correction the model saw is the semantic layer's own text
    assert hint in model.prompt_text(1)


def test_a_model_that_keeps_failing_falls_back_with_a_notice(catalog, state, fallback):
    model = ScriptedChatModel(script=[draft(intent="metric", metrics=["csta"])] * 3)
    outcome = planner(model, catalog, fallback, max_retries=2).plan_detailed("csat?", state)

    assert model.calls == 3  # one try + two corrections, no more
    assert outcome.source == "offline"
    assert isinstance(outcome.plan, OutOfScope) and fallback.questions == ["csat?"]
    assert len(outcome.notices) == 1 and outcome.notices[0].startswith(NOTICE)
    assert "Did you mean 'csat'?" in outcome.notices[0]
    assert outcome.fallback_reason == outcome.notices[0]


def test_garbage_output_is_retried_then_accepted(catalog, state, fallback):
    model = ScriptedChatModel(
        script=[
            garbage_call(),
            text("CSAT last month was 87.5%."),  # prose instead of the Draft call
            draft(intent="banana", metrics=["csat"]),  # not an intent
            draft(intent="metric", metrics=["csat"], time_phrase="last month"),
        ]
    )
    outcome = planner(model, catalog, fallback, max_retries=3).plan_detailed(
        "CSAT last month", state
    )
    assert outcome.source == "llm" and isinstance(outcome.plan, MetricPlan)
    errors = [a.error for a in outcome.attempts]
    assert all(errors[:3]) and errors[3] is None
    assert "intent" in errors[2]


def test_garbage_forever_falls_back(catalog, state, fallback):
    model = ScriptedChatModel(script=[garbage_call(), garbage_call()])
    outcome = planner(model, catalog, fallback, max_retries=1).plan_detailed("CSAT?", state)
    assert outcome.source == "offline" and outcome.notices[0].startswith(NOTICE)


def test_a_slow_model_times_out_and_falls_back(catalog, state, fallback):
    model = ScriptedChatModel(script=[draft(intent="metric", metrics=["csat"])], delay_s=3.0)
    started = time.monotonic()
    outcome = planner(model, catalog, fallback, timeout_s=0.3).plan_detailed("CSAT?", state)

    assert time.monotonic() - started < 2.0
    assert outcome.source == "offline"
    assert outcome.notices == (NOTICE + "no answer within 0.3s",)


def test_an_endpoint_that_is_down_falls_back_at_once(catalog, state, fallback):
    model = ScriptedChatModel(script=[ConnectionError("Connection refused")] * 3)
    outcome = planner(model, catalog, fallback, max_retries=2).plan_detailed("上个月满意度", state)

    assert model.calls == 1  # no retries against a dead endpoint
    assert outcome.source == "offline"
    assert outcome.notices[0].startswith("大模型不可用，已使用离线规划器回答：")
    assert "cannot be reached" in outcome.notices[0]


def test_the_token_budget_is_enforced(catalog, state, fallback):
    p = planner(ScriptedChatModel(), catalog, fallback, max_tokens_per_question=300)
    outcome = p.plan_detailed("CSAT last month", state)
    assert p.chat_model.calls == 0  # the prompt alone is over budget: no call at all
    assert "token budget of 300" in outcome.notices[0]

    prompt = estimate_tokens(p._messages("CSAT last month", state))
    model = ScriptedChatModel(script=[draft(intent="metric", metrics=["csta"])] * 3)
    p = planner(model, catalog, fallback, max_tokens_per_question=prompt + 200, max_retries=2)
    outcome = p.plan_detailed("CSAT last month", state)
    assert model.calls == 1  # the correction would not fit after 940 reported tokens
    assert outcome.tokens_used == 940
    assert "token budget" in outcome.notices[0]


def test_pii_is_masked_before_the_model_sees_the_question(catalog, state, fallback):
    model = ScriptedChatModel(script=[draft(intent="case_search")])
    question = "找相似案例：空调不制冷，联系电话13812345678，地址北京市朝阳区建国路88号"
    plan = planner(model, catalog, fallback).plan(question, state)

    prompt = model.prompt_text(0)
    assert "13812345678" not in prompt and "建国路88号" not in prompt
    assert "[PHONE]" in prompt
    assert isinstance(plan, CaseSearch) and plan.text == question  # search masks on its own


def test_a_custom_mask_is_used(catalog, state, fallback):
    model = ScriptedChatModel(script=[draft(intent="out_of_scope")])
    planner(model, catalog, fallback, mask=lambda s: s.replace("secret", "[X]")).plan(
        "tell me the secret", state
    )
    assert "secret" not in model.prompt_text(0).split("Conversation so far")[-1]


def test_time_comes_from_the_question_when_the_model_omits_it(catalog, state, fallback):
    model = ScriptedChatModel(script=[draft(intent="metric", metrics=["csat"])])
    plan = planner(model, catalog, fallback).plan("上个月的客户满意度，和前一个月比呢？", state)
    assert isinstance(plan, MetricPlan)
    assert plan.query.time_range == OCTOBER
    assert plan.query.compare_to == "previous_period"


def test_an_invented_period_is_rejected_and_the_default_is_said_out_loud(catalog, state, fallback):
    model = ScriptedChatModel(
        script=[
            draft(intent="metric", metrics=["csat"], time_phrase="last year"),
            draft(intent="metric", metrics=["csat"]),
        ]
    )
    outcome = planner(model, catalog, fallback).plan_detailed("What is our CSAT?", state)
    assert "does not appear in the question" in (outcome.attempts[0].error or "")
    plan = outcome.plan
    assert isinstance(plan, MetricPlan) and plan.query.time_range == OCTOBER
    assert plan.assumptions == ("no period given: the last full month",)


def test_follow_ups_see_the_previous_query(catalog, fallback):
    first = MetricPlan(
        query=MetricQuery(metrics=("csat",), time_range=OCTOBER), interpretation="CSAT, Oct"
    )
    state = ConversationState(today=date(2026, 11, 5)).with_turn("CSAT last month?", first)
    model = ScriptedChatModel(
        script=[draft(intent="metric", metrics=["csat"], dimensions=["channel"])]
    )
    plan = planner(model, catalog, fallback).plan("and by channel?", state)

    assert '"metrics":["csat"]' in model.prompt_text(0)
    assert isinstance(plan, MetricPlan)
    assert plan.query.dimensions == ("channel",) and plan.query.time_range == OCTOBER
    assert plan.follow_up_of == first.query


def test_other_intents_become_their_plans(catalog, state, fallback):
    model = ScriptedChatModel(
        script=[
            draft(
                intent="clarify",
                clarify_metrics=["average_handle_time", "resolution_time_median"],
            ),
            draft(
                intent="root_cause",
                metrics=["csat"],
                filters=[{"dimension": "region", "values": ["华东"]}],
            ),
            draft(intent="out_of_scope"),
            draft(intent="case_search", filters=[{"dimension": "region", "values": ["east"]}]),
        ]
    )
    p = planner(model, catalog, fallback)

    clarification = p.plan("上个月的处理时长是多少？", state)
    assert isinstance(clarification, Clarification) and len(clarification.options) == 2
    assert [o.plan.query.metrics for o in clarification.options] == [
        ("average_handle_time",),
        ("resolution_time_median",),
    ]
    cause = p.plan("为什么上个月华东的满意度下降了？", state)
    assert isinstance(cause, RootCause) and cause.period == OCTOBER
    assert cause.compare_period == TimeRange(start=date(2026, 9, 1), end=date(2026, 10, 1))
    assert cause.scope == (Filter(field="region", op="=", values=("east",)),)
    assert isinstance(p.plan("What's the weather in Beijing?", state), OutOfScope)
    search = p.plan("Find similar cases: AC leaking water in east region", state)
    assert isinstance(search, CaseSearch) and search.filters[0].values == ("east",)


def test_an_impossible_date_is_asked_about_without_calling_the_model(catalog, state, fallback):
    model = ScriptedChatModel()
    plan = planner(model, catalog, fallback).plan("2026年13月的满意度", state)
    assert isinstance(plan, Clarification) and "13月" in plan.question
    assert model.calls == 0


def test_the_offline_planner_is_the_default_fallback(catalog, state):
    model = ScriptedChatModel(script=[ConnectionError("refused")])
    outcome = LLMPlanner(model, catalog).plan_detailed("上个月各大区的客户满意度是多少？", state)
    assert outcome.source == "offline"
    plan = outcome.plan
    assert isinstance(plan, MetricPlan) and plan.query.metrics == ("csat",)
    compile_query(plan.query, catalog)
