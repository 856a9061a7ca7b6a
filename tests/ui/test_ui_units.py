"""Fast tests of the UI's pieces: chart choice by result shape, password hashes and the users
file, feedback storage, alert scoping, the index-missing message."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assistant.ui.auth import AuthConfigError, UserDirectory, hash_password, verify_password
from tools.feedback import Feedback, FeedbackStore


@pytest.fixture(scope="module")
def api(demo_warehouse_url):
    from assistant.app import build_app

    app = build_app(None, "test", warehouse=demo_warehouse_url, today=date(2026, 11, 22))
    yield app.api
    app.close()


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ({"metrics": ["csat"], "compare_to": "previous_period"}, "kpi"),
        ({"metrics": ["csat", "nps", "backlog"], "compare_to": "previous_period"}, "kpi_grid"),
        ({"metrics": ["csat"], "time_grain": "month"}, "line"),
        ({"metrics": ["complaint_volume"], "dimensions": ["channel"]}, "bar"),
        ({"metrics": ["complaint_volume"], "dimensions": ["channel", "priority"]}, "grouped_bar"),
        ({"metrics": ["complaint_volume"], "dimensions": ["region", "channel"]}, "heatmap"),
    ],
)
def test_chart_kind_follows_the_result_shape(api, query, kind):
    from assistant.answer.table import display_table
    from assistant.ui.charts import choose_chart, render

    query = {**query, "time_range": {"start": "2026-07-01", "end": "2026-10-01"}}
    result = api.query_metrics(query, "executive")
    spec = choose_chart(result, "zh")
    assert spec.kind == kind
    figure = render(spec, result, api.assistant.lexicon, "zh")
    assert figure is not None and figure.to_dict()["data"]
    table = display_table(result, api.assistant.lexicon, "zh")
    assert not any("__n" in c for c in table.columns)  # helper columns hidden
    if "channel" in query.get("dimensions", []):
        assert "微信" in table.to_string()  # codes shown with their labels


def test_one_row_of_several_metrics_reads_a_row_per_metric(api):
    """An overview (six numbers against the period before) is a row per metric, not eighteen
    columns; each cell is the number the one-row table would show."""
    from assistant.answer.table import display_table

    query = {
        "metrics": ["csat", "first_response_time_median", "complaint_volume"],
        "time_range": {"start": "2026-10-01", "end": "2026-11-01"},
        "compare_to": "previous_period",
    }
    result = api.query_metrics(query, "executive")
    for lang, head in (
        ("zh", ["指标", "数值", "上期", "变化%"]),
        ("en", ["Metric", "Value", "Previous", "Change %"]),
    ):
        table = display_table(result, api.assistant.lexicon, lang)
        assert list(table.columns) == head and len(table) == 3
    row = result.data.iloc[0]
    zh = display_table(result, api.assistant.lexicon, "zh")
    assert list(zh["指标"]) == ["客户满意度（%）", "首次响应时长中位数（分钟）", "投诉量"]
    assert (
        zh["数值"][0] == f"{row['csat']:.1f}"
        and zh["上期"][2] == f"{row['complaint_volume__previous']:,.0f}"
    )
    assert (
        zh["数值"][1] == f"{row['first_response_time_median'] * 60:.1f}"
    )  # hours shown in minutes


@pytest.mark.parametrize(
    ("order", "title"),
    [
        ({"field": "csat__change"}, "客户满意度较上期变化（百分点）"),
        ({"field": "csat__change", "descending": True}, "客户满意度较上期变化（百分点）"),
    ],
)
def test_a_ranking_by_change_charts_the_change_with_its_leader_marked(api, order, title):
    """A ranking by change ("下降最多的大区") draws the change that was ranked, not the values,
    with its leader highlighted."""
    from assistant.ui.charts import LEADER_COLOR, choose_chart, render

    query = {
        "metrics": ["csat"],
        "dimensions": ["region"],
        "time_range": {"start": "2026-10-01", "end": "2026-11-01"},
        "compare_to": "previous_period",
        "order_by": [order],
    }
    result = api.query_metrics(query, "executive")
    spec = choose_chart(result, "zh")
    assert spec.kind == "bar" and spec.metric == "csat__change" and spec.title == title
    bars = render(spec, result, api.assistant.lexicon, "zh").data[0]
    changes = [float(v) for v in result.data["csat__change"]]
    leader = result.data["csat__change"].iloc[0]  # the first row, as the query ordered it
    assert sorted(bars.x) == sorted(changes)
    marked = [x for x, c in zip(bars.x, bars.marker.color, strict=True) if c == LEADER_COLOR]
    assert marked == [leader]
    assert leader == (max(changes) if order.get("descending") else min(changes))


@pytest.mark.parametrize(
    ("grain", "zh", "en"),
    [
        (
            "quarter",
            ["2026年第1季度", "2026年第2季度", "2026年第3季度"],
            ["Q1 2026", "Q2 2026", "Q3 2026"],
        ),
        (
            "month",
            ["2026年7月", "2026年8月", "2026年9月"],
            ["July 2026", "August 2026", "September 2026"],
        ),
    ],
)
def test_a_trend_names_its_periods_on_the_axis_as_the_table_does(api, grain, zh, en):
    # A quarterly trend drew month ticks (Jan, Feb, Mar ...) under three quarterly points.
    from assistant.ui.charts import choose_chart, render

    start = "2026-01-01" if grain == "quarter" else "2026-07-01"
    query = {
        "metrics": ["csat"],
        "time_grain": grain,
        "time_range": {"start": start, "end": "2026-10-01"},
    }
    result = api.query_metrics(query, "executive")
    for lang, names in (("zh", zh), ("en", en)):
        figure = render(choose_chart(result, lang), result, api.assistant.lexicon, lang)
        assert list(figure.layout.xaxis.ticktext) == names


def test_text_table_and_chart_show_a_duration_in_the_same_unit(api):
    # A median first response under an hour: the answer says "8.7分钟", so the table and the
    # chart show 8.7 minutes too (not 0.15 hours), with the unit named in the viewer's language.
    from assistant.answer.narrate import format_value
    from assistant.answer.table import display_table
    from assistant.ui.charts import choose_chart, render

    query = {
        "metrics": ["first_response_time_median"],
        "dimensions": ["channel"],
        "time_range": {"start": "2026-10-01", "end": "2026-11-01"},
        "filters": [{"field": "channel", "op": "in", "values": ["phone", "wechat", "web_chat"]}],
    }
    result = api.query_metrics(query, "executive")
    hours = result.data["first_response_time_median"]
    assert 0 < hours.max() < 1, hours  # the case this test is about
    meta = result.metrics["first_response_time_median"]
    for lang, header, unit in [
        ("zh", "首次响应时长中位数（分钟）", "分钟"),
        ("en", "(minutes)", "minutes"),
    ]:
        table = display_table(result, api.assistant.lexicon, lang)
        column = next(c for c in table.columns if header in c)
        first = float(hours.iloc[0]) * 60
        assert f"{first:,.1f}" in table[column].tolist()
        assert format_value(hours.iloc[0], meta, lang).startswith(f"{first:.1f}")
        spec = choose_chart(result, lang)
        assert unit in spec.title and "hours" not in spec.title
        bar = render(spec, result, api.assistant.lexicon, lang).data[0]
        assert max(bar.x) == pytest.approx(hours.max() * 60)
    # Over an hour somewhere in the column: hours throughout, said so.
    longer = api.query_metrics({**query, "filters": []}, "executive")
    assert longer.data["first_response_time_median"].max() > 1
    table = display_table(longer, api.assistant.lexicon, "zh")
    assert any("（小时）" in c for c in table.columns)


def test_a_ranking_shows_every_group_with_the_leader_highlighted(api):
    from assistant.ui.charts import LEADER_COLOR, MUTED_COLOR, choose_chart, render

    query = {
        "metrics": ["complaint_volume"],
        "dimensions": ["channel"],
        "order_by": [{"field": "complaint_volume", "descending": False}],
        "time_range": {"start": "2026-07-01", "end": "2026-10-01"},
    }
    result = api.query_metrics(query, "executive")
    bar = render(choose_chart(result, "zh"), result, api.assistant.lexicon, "zh").data[0]
    colors = list(bar.marker.color)
    assert len(colors) == len(result.data) > 1  # the whole ranking
    assert colors.count(LEADER_COLOR) == 1 and colors.count(MUTED_COLOR) == len(colors) - 1
    lowest = result.data["complaint_volume"].min()  # ascending: the lowest was asked for
    assert list(bar.x)[colors.index(LEADER_COLOR)] == lowest


def test_kpi_shows_change_against_previous_period(api):
    from assistant.ui.charts import choose_chart, render

    result = api.query_metrics(
        {
            "metrics": ["csat"],
            "compare_to": "previous_period",
            "time_range": {"start": "2026-10-01", "end": "2026-11-01"},
        },
        "executive",
    )
    indicator = render(choose_chart(result, "en"), result).to_dict()["data"][0]
    assert indicator["mode"] == "number+delta"
    assert indicator["delta"]["reference"] == pytest.approx(result.data.iloc[0]["csat__previous"])


def test_password_hashes_and_users_file(tmp_path: Path):
    encoded = hash_password("s3cret")
    assert verify_password("s3cret", encoded) and not verify_password("wrong", encoded)
    users = UserDirectory.load()  # the packaged demo users file is valid
    assert users.authenticate("east", "east-demo") and users.role_of("east") == "east_manager"
    assert not users.authenticate("east", "exec-demo")
    assert not users.authenticate("nobody", "x")
    bad = tmp_path / "users.yml"
    bad.write_text("users:\n  bob: {role: east_manager, password: plain}\n")
    with pytest.raises(AuthConfigError, match="must be a pbkdf2_sha256 hash"):
        UserDirectory.load(bad)
    bad.write_text(f"users:\n  bob: {{role: east_manger, password: '{encoded}'}}\n")
    with pytest.raises(AuthConfigError, match="Did you mean 'east_manager'"):
        UserDirectory.load(bad)


def test_feedback_is_appended(tmp_path: Path):
    store = FeedbackStore(tmp_path / "feedback.duckdb")
    store.add(
        Feedback(
            rating="up",
            question="CSAT?",
            answer_text="68.2%",
            plan={"kind": "metric"},
            comment="good",
            username="exec",
            role="executive",
            language="en",
        )
    )
    store.add(Feedback(rating="down", question="NPS?", answer_text="-3"))
    rows = store.rows()
    assert [r["rating"] for r in rows] == ["up", "down"]
    assert rows[0]["plan_json"] == '{"kind": "metric"}' and rows[1]["comment"] is None
    with pytest.raises(ValueError):
        store.add(Feedback(rating="meh", question="", answer_text=""))
    store.close()


def test_alerts_are_scoped_to_the_role():
    from assistant.roles import get_role
    from assistant.roles import scope_visible as _alert_visible

    east, execs = get_role("east_manager"), get_role("executive")
    assert _alert_visible(execs, {}) and _alert_visible(execs, {"region": "north"})
    assert _alert_visible(east, {"region": "east", "channel": "app"})
    assert not _alert_visible(east, {"region": "north"})
    assert not _alert_visible(east, {"channel": "email"})  # all-region numbers: fail closed


def test_missing_case_index_says_how_to_build_it(api, tmp_path, monkeypatch):
    from dataclasses import replace

    from assistant.answer import cases
    from assistant.answer.base import AnswerContext
    from assistant.planning.plans import CaseSearch, ConversationState
    from assistant.roles import get_role

    monkeypatch.setenv("SERVICEPILOT_CHROMA_DIR", str(tmp_path / "empty-chroma"))
    services = replace(api.app.services, cases=cases.CaseSearcher())  # opens no store yet
    ctx = AnswerContext(
        get_role("agent"), "zh", ConversationState(today=date(2026, 11, 22)), services
    )
    reply = cases.handle(CaseSearch(text="热水器漏水"), ctx)
    text, payload, INDEX_MISSING = reply.text, reply.payload, cases.INDEX_MISSING
    assert text == INDEX_MISSING["zh"] and "servicepilot cases index" in text and not payload


@pytest.mark.parametrize(
    ("role", "tabs"),
    [
        ("executive", ("chat", "cockpit", "tasks")),
        ("east_manager", ("chat", "cockpit", "tasks")),
        ("agent", ("cases", "tasks")),  # similar cases + follow-ups: no cockpit or alert values
        ("analyst", ("chat", "catalog")),
    ],
)
def test_each_role_sees_its_own_tabs(role, tabs):
    from assistant.ui.app import role_tabs

    assert role_tabs(role) == tabs


def test_no_event_shows_its_progress_on_a_tab_row_or_accordion(api):
    """The page re-reads every component inside every progress target it has seen on each
    status message of any event (Gradio 6): a tab among them made each cockpit drill step copy
    the whole page's values three or four times over."""
    import gradio as gr

    from assistant.ui.app import build_app as build_ui
    from assistant.ui.context import UIContext

    ui = build_ui(UIContext(api=api, default_role="executive"))
    layouts = (gr.Tab, gr.Tabs, gr.Accordion, gr.Row, gr.Column, gr.Group)
    shown = {}
    for dep in ui.config["dependencies"]:
        targets = dep.get("show_progress_on") or dep["outputs"]
        found = [type(ui.blocks[i]).__name__ for i in targets if isinstance(ui.blocks[i], layouts)]
        if found:
            shown[dep["api_name"]] = found
    assert not shown
    # the events that show or hide those blocks still do
    outputs = {i for dep in ui.config["dependencies"] for i in dep["outputs"]}
    assert any(isinstance(ui.blocks[i], gr.Tabs) for i in outputs)


def test_cockpit_cards_show_unit_target_status_and_readable_period(api):
    from assistant.ui.cockpit_tab import kpi_cards
    from assistant.ui.context import UIContext
    from assistant.ui.drill import DrillScope

    ctx = UIContext(api=api)
    start, end = date(2026, 10, 1), date(2026, 11, 1)
    cards = kpi_cards(ctx, "executive", start, end, DrillScope(), "en", "month")
    assert "October 2026" in cards and "exclusive" not in cards
    assert cards.count("class='sp-kpi ") == 6 and cards.count("<svg class='sp-spark'") == 6
    assert " minutes" in cards and "hours" not in cards  # a median response under an hour
    assert "target 500 complaints · off target" in cards  # the demo's 557 complaints breach
    assert "data-status='breach'" in cards
    south = DrillScope(steps=(("region", "south"),))
    zh = kpi_cards(ctx, "executive", start, end, south, "zh", "month")
    assert "2026年10月" in zh and "目标 65.0%" in zh  # south's own CSAT target
    assert "▲ 0.0" not in zh and "▼ 0.0" not in zh  # a change that rounds to zero has no arrow


def test_a_change_rounding_to_zero_is_recognised():
    from assistant.ui.cockpit_tab import _rounds_to_zero

    assert _rounds_to_zero("0.0个百分点") and _rounds_to_zero("0 complaints")
    assert not _rounds_to_zero("0.1 points") and not _rounds_to_zero("12件")


def test_sparkline_scales_points_into_the_box():
    from assistant.ui.cockpit_tab import sparkline

    svg = sparkline([1.0, 3.0, 2.0], "good")
    assert "points='0.0,26.0 60.0,2.0 120.0,14.0'" in svg and "#16a34a" in svg
    assert sparkline([1.0], "good") == ""


def test_the_cockpit_refuses_a_role_that_may_not_see_metrics(api):
    # Hidden from agents in the UI, and refused when its endpoints are called directly.
    from assistant.errors import AccessDenied
    from assistant.ui.cockpit_tab import alerts_markdown, kpi_cards
    from assistant.ui.context import UIContext
    from assistant.ui.drill import DrillScope

    ctx = UIContext(api=api)
    with pytest.raises(AccessDenied):
        api.current_alerts("agent")
    assert alerts_markdown(ctx, "agent", "zh").startswith("⚠️ 角色“客服专员”不能查询指标")
    cards = kpi_cards(
        ctx, "agent", date(2026, 10, 1), date(2026, 11, 1), DrillScope(), "en", "month"
    )
    assert "%" not in cards and "complaints" not in cards, cards


def test_an_answer_shows_its_notices_first(api):
    from dataclasses import replace

    from assistant.planning.plans import ConversationState
    from assistant.ui.render import answer_messages

    answer = api.assistant.ask("上个月的满意度", state=ConversationState(today=date(2026, 11, 10)))
    noted = replace(
        answer, notices=("离线规划器未能读懂问题中的每个词，这个回答由大模型规划器解读。",)
    )
    first = answer_messages(noted, api.assistant.lexicon, "zh")[0]["content"]
    assert first.startswith("ℹ️ _离线规划器未能读懂") and answer.text in first


def test_a_breakdown_table_lists_the_largest_first_like_its_chart(api):
    from assistant.answer.table import display_table

    query = {
        "metrics": ["complaint_volume"],
        "dimensions": ["region"],
        "time_range": {"start": "2026-10-01", "end": "2026-11-01"},
    }
    result = api.query_metrics(query, "executive")
    shown = display_table(result, api.assistant.lexicon, "zh")["投诉量"]
    values = [int(v.replace(",", "")) for v in shown]
    assert values == sorted(values, reverse=True) and len(values) == 7
    assert sorted(values) == sorted(int(v) for v in result.data["complaint_volume"])


def test_the_alert_handling_table_names_severity_in_the_readers_language():
    from assistant.ui.alert_actions import alert_table

    alert = {"severity": "critical", "title_zh": "SLA超时率", "title_en": "SLA breach rate"}
    alert |= {"state": "open", "assignee": None, "acknowledged_by": None}
    assert alert_table([alert], "zh").iloc[0, 0] == "【红色预警】SLA超时率"
    assert alert_table([alert], "en").iloc[0, 0] == "[Critical alert] SLA breach rate"
