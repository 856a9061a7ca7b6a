"""The application builder: one set of parts behind every surface.

The same "why" question gives the same numbers in the chat, over MCP and in the cockpit; a
query the planner checked is run without compiling it again; a reloaded catalog reaches the
"why" analysis; plans are authorized in one place."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import pytest

from assistant.app import build_app
from assistant.planning.plans import ConversationState, RootCause

TODAY = date(2026, 11, 5)  # the demo warehouse ends 2026-10-31: "last month" is October
OCTOBER = (date(2026, 10, 1), date(2026, 11, 1))
SEPTEMBER = (date(2026, 9, 1), date(2026, 10, 1))


def _october_alert():
    """A complaint-volume alert on October, compared with September (as detection reports)."""
    from tools.monitoring.alerts import Alert

    return Alert(
        rule="volume",
        metric="complaint_volume",
        metric_label_zh="投诉量",
        metric_label_en="Complaint volume",
        unit="tickets",
        scope={},
        grain="month",
        period_start=OCTOBER[0],
        period_end=OCTOBER[1],
        peak_start=OCTOBER[0],
        peak_end=OCTOBER[1],
        observed=1.0,
        expected=1.0,
        interval_low=0.0,
        interval_high=2.0,
        interval_level=0.95,
        score=3.0,
        direction="up",
        severity="warning",
        threshold=3.0,
        volume=1.0,
        owner="service-analytics",
        holidays=(),
        comparison_start=SEPTEMBER[0],
        comparison_end=SEPTEMBER[1],
    )


@pytest.fixture(scope="module")
def app(demo_warehouse_url):
    alert = _october_alert()
    instance = build_app(
        None,
        "test",
        warehouse=demo_warehouse_url,
        today=TODAY,
        alerts=lambda role, since, until: [alert],
        cockpit_alert_days=60,
    )
    yield instance
    instance.close()


def _mcp_explain(app, **arguments) -> dict:
    from assistant.api import build_mcp_server

    server = build_mcp_server(app.api, "executive")
    result = asyncio.run(server.call_tool("explain_change", arguments))
    assert not result.is_error, result
    return json.loads(result.content[0].text)


def test_one_why_question_gives_the_same_numbers_in_chat_mcp_and_cockpit(app) -> None:
    from assistant.ui.cockpit_tab import explain_alert
    from assistant.ui.context import UIContext

    chat = app.assistant.ask(
        "上个月投诉量为什么上升？", state=ConversationState(today=TODAY, role="executive")
    )
    assert isinstance(chat.plan, RootCause)
    assert (chat.plan.period.start, chat.plan.period.end) == OCTOBER
    assert (chat.plan.compare_period.start, chat.plan.compare_period.end) == SEPTEMBER
    in_chat = chat.payload["why"]

    # MCP without a comparison period compares with what a metric answer compares with:
    # September, the previous calendar month (not the 31 days before October 1).
    over_mcp = _mcp_explain(app, metric="complaint_volume", start="2026-10-01", end="2026-11-01")
    assert over_mcp["previous"] == ["2026-09-01", "2026-10-01"]

    # The cockpit's "why?" on an October alert runs the same analysis.
    ctx = UIContext(api=app.api, default_role="executive")
    in_cockpit = explain_alert(ctx, "executive", "lin", 0, "zh")

    numbers = ("value_now", "value_before", "change")
    assert in_chat["value_now"] is not None and in_chat["value_before"] is not None
    assert {k: over_mcp[k] for k in numbers} == {k: in_chat[k] for k in numbers}
    assert in_chat["previous"] == over_mcp["previous"] == ["2026-09-01", "2026-10-01"]
    chat_numbers = chat.text.split("\n", 1)[1].replace("~", "\\~").replace("\n", "\n\n")
    assert chat_numbers in in_cockpit  # the same worded numbers, below the alert's own heading
    # ... and they match an independent count of October's complaints.
    import sqlalchemy as sa

    with app.engine.connect() as conn:
        october = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM tickets WHERE ticket_type = 'complaint' "
                "AND created_at >= DATE '2026-10-01' AND created_at < DATE '2026-11-01'"
            )
        ).scalar_one()
    assert in_chat["value_now"] == pytest.approx(october)


def test_a_checked_query_is_not_compiled_again(app, monkeypatch) -> None:
    import semantic_layer.compiler as compiler

    calls = []
    real = compiler.compile_query
    monkeypatch.setattr(
        compiler, "compile_query", lambda *a, **k: calls.append(a[0]) or real(*a, **k)
    )
    state = ConversationState(today=TODAY, role="executive")
    answer = app.assistant.ask("上个月各渠道的工单量是多少？", state=state)
    assert answer.result is not None and len(answer.result.data) > 1
    assert calls == [answer.plan.query]  # the planner's check; the answer reused it
    # A restricted role's SQL differs (its row filters are compiled in): one more compile.
    calls.clear()
    east = app.assistant.ask(
        "上个月各渠道的工单量是多少？", state=ConversationState(today=TODAY, role="east_manager")
    )
    assert east.result is not None and "east" in east.result.sql
    assert len(calls) <= 2 and all(q == east.plan.query for q in calls)


def test_a_reloaded_catalog_reaches_the_why_analysis(demo_warehouse_url) -> None:
    from semantic_layer.catalog import Catalog
    from semantic_layer.catalog_loader import default_catalog

    packaged = default_catalog()
    metrics = tuple(
        m.model_copy(update={"label": m.label.model_copy(update={"en": "Complaints (v2)"})})
        if m.name == "complaint_volume"
        else m
        for m in packaged.spec.metrics
    )
    reloaded = Catalog(packaged.spec.model_copy(update={"metrics": metrics}))
    app = build_app(None, "test", warehouse=demo_warehouse_url, today=TODAY)
    try:
        app.api.replace_catalog(reloaded)
        report = app.api.explain_change("complaint_volume", *OCTOBER, "executive")
        assert report["label"] == "Complaints (v2)"
        # the reloaded definitions, with this warehouse's product and agent names
        assert app.assistant.catalog.spec is reloaded.spec
        assert app.api.catalog is app.assistant.catalog
    finally:
        app.close()


def test_roles_are_checked_once_for_every_plan_kind(app) -> None:
    from assistant.authorize import authorize
    from assistant.errors import AccessDenied
    from assistant.planning.plans import AlertReview, CaseSearch, Forecast
    from assistant.roles import get_role
    from semantic_layer.query import Filter, TimeRange

    agent, east = get_role("agent"), get_role("east_manager")
    period = TimeRange(start=OCTOBER[0], end=OCTOBER[1])
    north = (Filter(field="region", op="=", values=("north",)),)
    with pytest.raises(AccessDenied) as denied:
        authorize(agent, Forecast(metric="complaint_volume", weeks=4))
    assert denied.value.text("zh") == "角色“客服专员”不能查询指标，只能搜索相似案例。"
    assert "cannot query metrics" in denied.value.text("en")
    with pytest.raises(AccessDenied, match="outside the data you may see"):
        authorize(east, AlertReview(period=period, scope=north))
    with pytest.raises(AccessDenied, match="outside the data you may see"):
        authorize(
            east,
            RootCause(metric="csat", period=period, compare_period=period, scope=north),
        )
    authorize(east, RootCause(metric="csat", period=period, compare_period=period))
    authorize(agent, CaseSearch(text="热水器漏水"))
    # The chat says it in the question's language instead of answering.
    answer = app.assistant.ask(
        "下个月投诉量预计多少？", state=ConversationState(today=TODAY, role="agent")
    )
    assert answer.result is None and answer.text == "角色“客服专员”不能查询指标，只能搜索相似案例。"


def test_the_llm_planner_checks_through_the_app_compile_cache(
    demo_warehouse_url, monkeypatch
) -> None:
    import assistant.llm.provider as provider
    import semantic_layer.compiler as compiler
    from tests.llm.fakes import ScriptedChatModel, draft

    model = ScriptedChatModel(
        script=[
            draft(
                intent="metric",
                metrics=["ticket_volume"],
                dimensions=["channel"],
                time_phrase="上个月",
            )
        ]
    )
    monkeypatch.setattr(provider, "chat_model_from_settings", lambda settings: model)
    monkeypatch.setenv("SERVICEPILOT_LLM_PLANNER_MODE", "llm_first")
    instance = build_app(None, "test", warehouse=demo_warehouse_url, today=TODAY, planner="llm")
    try:
        assert instance.assistant.planner.check == instance.services.compiler.compile
        calls = []
        real = compiler.compile_query
        monkeypatch.setattr(
            compiler, "compile_query", lambda *a, **k: calls.append(a[0]) or real(*a, **k)
        )
        answer = instance.assistant.ask(
            "上个月各渠道的工单量是多少？", state=ConversationState(today=TODAY, role="executive")
        )
        assert answer.planner == "llm" and model.calls == 1
        assert answer.result is not None and len(answer.result.data) > 1
        assert calls == [answer.plan.query]  # checked once by the LLM planner, then reused
    finally:
        instance.close()


def test_alerts_are_computed_with_the_app_catalog_also_after_a_reload(
    demo_warehouse_url, monkeypatch
) -> None:
    import tools.monitoring as monitoring
    from semantic_layer.catalog import Catalog
    from semantic_layer.catalog_loader import default_catalog

    seen = []
    monkeypatch.setattr(
        monitoring, "current_alerts", lambda *a, catalog=None, **k: seen.append(catalog) or []
    )
    instance = build_app(None, "test", warehouse=demo_warehouse_url, today=TODAY)
    try:
        source = instance.services.alerts
        source.all(*OCTOBER)
        reloaded = Catalog(default_catalog().spec)
        instance.replace_catalog(reloaded)
        source.all(*OCTOBER)  # the cache was cleared: computed again, with the new catalog
        assert seen[0] is not None and seen[0] is not reloaded
        assert seen[1].spec is reloaded.spec and len(seen) == 2
    finally:
        instance.close()


def _offline_first_app(demo_warehouse_url, monkeypatch, script):
    import assistant.llm.provider as provider
    from tests.llm.fakes import ScriptedChatModel

    model = ScriptedChatModel(script=script)
    monkeypatch.setattr(provider, "chat_model_from_settings", lambda settings: model)
    monkeypatch.delenv("SERVICEPILOT_LLM_PLANNER_MODE", raising=False)
    return model, build_app(None, "test", warehouse=demo_warehouse_url, today=TODAY, planner="llm")


def test_offline_first_answers_a_complete_reading_without_the_model(
    demo_warehouse_url, monkeypatch
) -> None:
    model, instance = _offline_first_app(demo_warehouse_url, monkeypatch, script=[])
    try:
        answer = instance.assistant.ask(
            "上个月各渠道的工单量是多少？", state=ConversationState(today=TODAY, role="executive")
        )
        assert answer.planner == "offline" and model.calls == 0
        assert answer.result is not None and len(answer.result.data) > 1
    finally:
        instance.close()


def test_offline_first_sends_an_incomplete_reading_to_the_model(
    demo_warehouse_url, monkeypatch
) -> None:
    from tests.llm.fakes import draft

    # "台风" is no word the offline planner knows: it would ask; the model reads it.
    script = [draft(intent="metric", metrics=["complaint_volume"], time_phrase="上个月")]
    model, instance = _offline_first_app(demo_warehouse_url, monkeypatch, script)
    try:
        answer = instance.assistant.ask(
            "上个月投诉量，台风", state=ConversationState(today=TODAY, role="executive")
        )
        assert model.calls == 1 and answer.planner == "llm"
        assert answer.plan.query.metrics == ("complaint_volume",)
        assert any("大模型规划器" in n for n in answer.notices), answer.notices
    finally:
        instance.close()


def test_offline_first_asks_when_the_model_gives_no_checked_reading(
    demo_warehouse_url, monkeypatch
) -> None:
    from tests.llm.fakes import draft

    script = [draft(intent="metric", metrics=["no_such_metric"])] * 4  # rejected every time
    model, instance = _offline_first_app(demo_warehouse_url, monkeypatch, script)
    try:
        answer = instance.assistant.ask(
            "上个月投诉量，台风", state=ConversationState(today=TODAY, role="executive")
        )
        assert model.calls >= 1
        assert answer.result is None and answer.plan.kind == "clarification"
        assert answer.planner == "offline (LLM fallback)"
    finally:
        instance.close()


def test_the_web_ui_uses_the_configured_llm_offline_first(demo_warehouse_url, monkeypatch):
    import assistant.llm.provider as provider
    from assistant.commands.serve import build_context
    from assistant.llm.offline_first import OfflineFirstPlanner
    from tests.llm.fakes import ScriptedChatModel

    monkeypatch.setattr(
        provider, "chat_model_from_settings", lambda s: ScriptedChatModel(script=[])
    )
    monkeypatch.setenv("SERVICEPILOT_LLM_PROVIDER", "openai")
    monkeypatch.setenv("SERVICEPILOT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("SERVICEPILOT_LLM_PLANNER_MODE", raising=False)
    ctx = build_context(
        demo_warehouse_url, TODAY, users_path=None, no_auth=True, role=None, lang="zh"
    )
    assert isinstance(ctx.api.app.assistant.planner, OfflineFirstPlanner)


def test_a_reloaded_catalog_reaches_the_forecast(demo_warehouse_url) -> None:
    """The forecast reads its history through the app's catalog: after a reload that redefines
    complaint_volume as every ticket, the chat's complaint forecast is the ticket forecast."""
    from assistant.planning.plans import Forecast
    from semantic_layer.catalog import Catalog
    from semantic_layer.catalog_loader import default_catalog

    packaged = default_catalog()
    every_ticket = packaged.metric("ticket_volume").measure
    metrics = tuple(
        m.model_copy(update={"measure": every_ticket}) if m.name == "complaint_volume" else m
        for m in packaged.spec.metrics
    )
    reloaded = Catalog(packaged.spec.model_copy(update={"metrics": metrics}))
    app = build_app(None, "test", warehouse=demo_warehouse_url, today=TODAY)
    state = ConversationState(today=TODAY, role="executive")

    def forecast(metric: str) -> dict:
        answer = app.assistant.run(Forecast(metric=metric, weeks=2), question="q", state=state)
        return answer.payload["forecast"]

    try:
        complaints, tickets = forecast("complaint_volume"), forecast("ticket_volume")
        assert complaints["history"] != tickets["history"]
        app.replace_catalog(reloaded)
        after = forecast("complaint_volume")
        assert after["history"] == tickets["history"] and after["total"] == tickets["total"]
    finally:
        app.close()
