"""The cockpit and its charts as PNG from the server (assistant/ui/image_export.py), over the
real demo warehouse: the image holds the numbers the page's cards and charts hold (read from
the same CockpitView), in the viewer's language, inside the role's scope; the agent gets none.
Images go to test-artifacts/ui/ to be looked at."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from PIL import Image

from assistant.app import build_app
from assistant.errors import AccessDenied
from assistant.ui.cockpit_tab import cockpit
from assistant.ui.context import UIContext
from assistant.ui.drill import start_scope
from assistant.ui.image_export import (
    chart_png,
    cockpit_page,
    cockpit_png,
    figure_chart,
    image_cards,
)
from tests.ui.conftest import ARTIFACTS
from tools.chart_image import BarChart, LineChart

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def ctx(demo_warehouse_url):
    app = build_app(None, "test", warehouse=demo_warehouse_url, today=TODAY)
    yield UIContext(api=app.api, default_role="executive")
    app.close()


def _keep(path, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, ARTIFACTS / name)


def test_cockpit_cards_in_the_image_are_the_cards_on_the_page(ctx):
    view = cockpit(ctx, "executive", "month", "csat", "zh")
    period, cards = view.period_text, image_cards(view.card_values, "zh")
    assert period == "2026年10月" and period in view.cards
    assert len(cards) == 6
    for card in cards:  # every value and change text appears in the page's HTML as is
        assert card.value in view.cards and card.value != ""
        assert "✅" not in card.title and "⚠" not in card.title  # no emoji font: no boxes
        for text, _ in card.lines:
            assert text in view.cards
    page = cockpit_page(view, "zh")
    assert page.lines == ("范围: 全部", "期间: 2026年10月")
    trend, by = page.rows[1]
    assert isinstance(trend, LineChart) and isinstance(by, BarChart)
    # the breakdown's bars are the page's members, largest first, with the page's value texts
    assert [b.label for b in by.bars] == [label for label, _ in view.members]
    assert all(b.text in view.member_list for b in by.bars)
    assert trend.x_labels[-1] == "2026年10月" and len(trend.x_labels) == 12


def test_a_breached_card_is_red_in_the_image(ctx):
    view = cockpit(ctx, "executive", "month", "csat", "en")
    cards = image_cards(view.card_values, "en")
    statuses = [s for s in ("breach", "warning", "ok") if f"data-status='{s}'" in view.cards]
    assert statuses, "the demo data has targets: some card has a status"
    if "breach" in statuses:
        breached = [c for c in cards if c.accent == "#dc2626"]
        assert breached and all(c.value_color == "#dc2626" for c in breached)


@pytest.mark.parametrize(
    ("role", "lang"), [("executive", "zh"), ("executive", "en"), ("east_manager", "zh")]
)
def test_cockpit_png_in_each_language_and_role(ctx, role, lang):
    path = cockpit_png(ctx, role, "cockpit", "month", "csat", lang)
    image = Image.open(path)
    assert image.format == "PNG" and image.width == 2400 and image.height > 1200
    assert len(image.convert("L").getcolors(65_536)) > 50  # drawn, not blank
    _keep(path, f"png_cockpit_{role}_{lang}.png")
    view = cockpit(ctx, role, "month", "csat", lang)
    crumb = view.breadcrumb_text
    if role == "east_manager":  # starts inside its region; the breakdown lists no other
        assert crumb == "华东"
        assert not {"华北", "华南"} & {label for label, _ in view.members}


def test_drilled_cockpit_and_single_charts(ctx):
    scope = start_scope("executive").down("region", "east")
    view = cockpit(ctx, "executive", "month", "complaint_volume", "en", scope)
    assert view.breadcrumb_text == "All › East China"
    path = cockpit_png(ctx, "executive", "cockpit", "month", "complaint_volume", "en", scope)
    _keep(path, "png_cockpit_executive_en_east.png")
    for part in ("trend", "breakdown"):
        one = cockpit_png(ctx, "executive", part, "month", "csat", "zh")
        image = Image.open(one)
        assert image.format == "PNG" and image.width == 1280
        _keep(one, f"png_{part}_zh.png")


def test_the_agent_gets_no_cockpit_image(ctx):
    with pytest.raises(AccessDenied) as caught:
        cockpit_png(ctx, "agent", "cockpit", "month", "csat", "zh")
    assert "不能查询指标" in caught.value.text("zh")


def test_answer_charts_as_png(ctx):
    """The chat's chart kinds: a breakdown bar, a trend line; a single number has none."""
    from assistant.ui.charts import choose_chart, render
    from semantic_layer.query import MetricQuery, TimeRange

    span = TimeRange(start=date(2026, 10, 1), end=date(2026, 11, 1))
    lexicon = ctx.api.assistant.lexicon
    by = ctx.api.query_metrics(
        MetricQuery(metrics=("first_response_time_median",), dimensions=("channel",),
                    time_range=span),
        "executive",
    )  # fmt: skip
    fig = render(choose_chart(by, "zh"), by, lexicon, "zh")
    chart = figure_chart(fig)
    assert isinstance(chart, BarChart) and len(chart.bars) == len(by.data)
    assert chart.title.startswith("首次响应时长")
    path = chart_png(fig, "zh")
    assert path.name.startswith("图表-") and Image.open(path).format == "PNG"
    _keep(path, "png_answer_bar_zh.png")
    one = ctx.api.query_metrics(MetricQuery(metrics=("csat",), time_range=span), "executive")
    assert chart_png(render(choose_chart(one, "en"), one, lexicon, "en"), "en") is None


def _answer_chart(ctx, question: str, lang: str):
    from assistant.planning.plans import ConversationState
    from assistant.ui.answer_charts import answer_figure

    assistant = ctx.api.assistant
    answer = assistant.ask(question, state=ConversationState(today=TODAY))
    fig = answer_figure(answer.payload, assistant.lexicon, assistant.catalog, lang)
    return answer, fig, figure_chart(fig)


def test_why_forecast_and_alert_charts_as_png(ctx):
    answer, fig, chart = _answer_chart(ctx, "为什么上个月投诉量变化了？", "zh")
    steps = fig.data[0]
    assert isinstance(chart, BarChart) and not chart.from_zero
    assert [b.label for b in chart.bars] == list(steps.x)
    assert [b.text for b in chart.bars] == list(steps.text)  # the page's texts
    assert chart.bars[-1].value == pytest.approx(answer.payload["why"]["value_now"], abs=0.01)
    assert all(b.base is not None for b in chart.bars[1:-1])
    _keep(chart_png(fig, "zh"), "png_answer_why_zh.png")

    answer, fig, chart = _answer_chart(ctx, "下个月投诉量预计多少？", "zh")
    assert isinstance(chart, LineChart)
    assert [a.label for a in chart.areas] == ["95% 区间", "80% 区间"]
    assert [s.name for s in chart.series] == ["实际", "预测"]
    assert chart.band is not None and chart.band.label == "预测期"  # the page's own words
    _keep(chart_png(fig, "zh"), "png_answer_forecast_zh.png")

    answer, fig, chart = _answer_chart(ctx, "最近30天有哪些预警？", "en")
    assert isinstance(chart, LineChart) and chart.mark is not None
    low, high = answer.payload["series"]["band"]
    assert (chart.band.low, chart.band.high) == (pytest.approx(low), pytest.approx(high))
    assert not low <= chart.mark.value <= high
    _keep(chart_png(fig, "en"), "png_answer_alert_en.png")
