"""Alerts in chat (issue #8): "最近有什么异常？" lists the role's alerts; each opens its "why"."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.app import build_app
from assistant.planning.plans import ConversationState, RootCause
from semantic_layer.catalog_loader import default_catalog

SINCE, UNTIL = date(2026, 7, 1), date(2026, 11, 1)  # email SLA + team south_b CSAT alerts


@pytest.fixture(scope="module")
def detected(demo_warehouse_url):
    from tools.monitoring import detect_alerts

    return detect_alerts(demo_warehouse_url, SINCE, UNTIL, catalog=default_catalog())


@pytest.fixture(scope="module")
def assistant(demo_warehouse_url, detected):
    def source(role, since, until):  # the window the plan asks for, as the real cache does
        assert (since, until) == (SINCE, UNTIL)
        return list(detected)  # unscoped on purpose: the service must scope by role itself

    app = build_app(None, "test", warehouse=demo_warehouse_url, alerts=source)
    yield app.assistant
    app.close()


def ask(bot, question: str, role: str | None = None):
    return bot.ask(question, state=ConversationState(today=UNTIL, role=role))


def test_fixture_has_the_planted_alerts(detected) -> None:
    scopes = {(a.metric, tuple(a.scope.items())) for a in detected}
    assert ("sla_breach_rate", (("channel", "email"),)) in scopes
    assert ("csat", (("team", "south_b"),)) in scopes


def test_alerts_in_chinese_list_labels_numbers_owner_and_contributor(assistant, detected):
    answer = ask(assistant, "过去4个月有什么异常？")
    assert answer.plan.kind == "alerts"
    text = answer.text
    assert f"共有 {len(detected)} 条预警" in text
    assert "SLA超时率（渠道=邮件）" in text and "预期" in text and "区间" in text
    assert "负责人 服务运营组" in text and "主要来源" in text  # owner label, not its code
    assert "检查范围" in text
    alerts = answer.payload["alerts"]
    assert len(alerts) == len(detected) and all("why" in a for a in alerts)
    assert answer.to_dict()["follow_ups"][0]["plan"]["kind"] == "root_cause"


def test_alerts_in_english_and_scope_filter(assistant) -> None:
    answer = ask(assistant, "any alerts for email in the last 4 months?")
    assert answer.plan.kind == "alerts"
    assert answer.text.startswith("1 alert in ")
    assert "SLA breach rate (Channel=Email)" in answer.text and "observed" in answer.text
    assert [a["scope"] for a in answer.payload["alerts"]] == [{"channel": "email"}]


def test_a_regional_manager_sees_only_alerts_inside_the_region(assistant, detected) -> None:
    answer = ask(assistant, "过去4个月有什么异常？", role="south_manager")
    scopes = [a["scope"] for a in answer.payload["alerts"]]
    assert scopes and all(s.get("region") == "south" for s in scopes)
    assert "邮件" not in answer.text and "华南二组）" not in answer.text  # all-region scopes
    east = ask(assistant, "过去4个月有什么异常？", role="east_manager")
    assert east.payload["alerts"] == [] and east.text.startswith(
        "2026-07-01至2026-10-31没有异常预警"
    )
    denied = ask(assistant, "华南区过去4个月有什么异常", role="east_manager")
    assert "权限" in denied.text and not denied.payload


def test_an_unmonitored_metric_is_said_plainly(assistant) -> None:
    answer = ask(assistant, "过去4个月一次解决率有异常吗")
    assert answer.plan.kind == "alerts" and "没有配置监控规则" in answer.text


def test_why_follow_up_runs_the_root_cause_of_the_alert(assistant, detected) -> None:
    answer = ask(assistant, "what alerts were there in the last 4 months?")
    email = next(a for a in detected if a.scope == {"channel": "email"})
    index = [a.scope for a in detected].index({"channel": "email"})
    follow_up = answer.follow_ups[index]
    assert follow_up.label.startswith("Why?")
    plan = follow_up.plan
    assert isinstance(plan, RootCause) and plan.metric == email.metric
    assert (plan.period.start, plan.period.end) == (email.peak_start, email.peak_end)
    assert (plan.compare_period.start, plan.compare_period.end) == (
        email.comparison_start,
        email.comparison_end,
    )
    assert [(f.field, f.values) for f in plan.scope] == [("channel", ("email",))]
    from assistant.answer.base import Reply

    calls = []
    handlers = assistant.handlers
    assistant.handlers = {
        **handlers,
        RootCause: lambda p, ctx: calls.append(p) or Reply("why text", payload={"why": {}}),
    }
    try:
        why = assistant.choose(plan, question=follow_up.label, state=answer.state)
    finally:
        assistant.handlers = handlers
    assert why.plan == plan and calls == [plan] and why.text == "why text"


def test_default_source_caches_per_window(demo_warehouse_url, monkeypatch) -> None:
    import tools.monitoring
    from assistant.alerts import AlertCache
    from assistant.roles import get_role

    calls = []

    def fake(engine, today, *, catalog, lookback_days):
        calls.append((today, lookback_days))
        assert catalog is default_catalog()  # the catalog the cache was given
        return []

    monkeypatch.setattr(tools.monitoring, "current_alerts", fake)
    cache = AlertCache(demo_warehouse_url, catalog=default_catalog)
    role = get_role("executive")
    assert cache(role, SINCE, UNTIL) == [] and cache(role, SINCE, UNTIL) == []
    assert calls == [(UNTIL, (UNTIL - SINCE).days)]
