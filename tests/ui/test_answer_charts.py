"""Charts of why / forecast / alerts answers on the demo warehouse: the waterfall ends on the
current value, the forecast band holds the forecast, the alert's anomaly sits outside its
band; titles and axes in the reader's language; SQL folded behind "Show SQL"."""

from __future__ import annotations

from datetime import date

import gradio as gr
import pytest

from assistant.planning.plans import ConversationState
from assistant.ui.answer_charts import answer_figure
from assistant.ui.render import answer_messages

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def assistant(demo_warehouse_url):
    from assistant.app import build_app

    app = build_app(None, "test", warehouse=demo_warehouse_url, today=TODAY)
    yield app.assistant
    app.close()


def ask(assistant, question: str):
    return assistant.ask(question, state=ConversationState(today=TODAY))


def test_why_waterfall_sums_contributions_to_the_change(assistant) -> None:
    answer = ask(assistant, "为什么上个月投诉量变化了？")
    report = answer.payload["why"]
    fig = answer_figure(answer.payload, assistant.lexicon, assistant.catalog, "zh")
    bars = fig.data[0]
    assert bars.type == "waterfall"
    assert bars.measure[0] == "absolute" and bars.measure[-1] == "total"
    assert bars.x[0] == "上期" and bars.x[-1] == "本期"
    assert bars.y[0] == pytest.approx(report["value_before"])
    assert bars.y[-1] == pytest.approx(report["value_now"])
    # The bars between (the dimension's contributions, the rest as "others") add up to the
    # change, so the waterfall lands on the current value.
    assert sum(bars.y[1:-1]) == pytest.approx(report["change"], abs=0.01)
    assert fig.layout.title.text.startswith("投诉量的变化")
    assert fig.layout.yaxis.title.text == "投诉量（件）"  # as the answer's table header reads
    english = answer_figure(answer.payload, assistant.lexicon, assistant.catalog, "en")
    assert english.data[0].x[0] == "previous" and "What moved" in english.layout.title.text
    assert english.layout.yaxis.title.text == "Complaint volume (complaints)"
    assert not any(label.startswith(("-0.0", "+0.0")) for label in bars.text)


def test_a_contribution_that_rounds_to_zero_has_no_sign() -> None:
    from assistant.ui.answer_charts import _signed

    assert [_signed(v, ",.1f") for v in (-0.04, 0.04, -1.26, 2.0)] == ["0.0", "0.0", "-1.3", "+2.0"]


def test_why_text_explains_shares_beyond_100_percent(assistant) -> None:
    answer = ask(assistant, "为什么上个月投诉量变化了？")
    lines = [line for line in answer.text.splitlines() if line.startswith("- ")]
    assert lines and all("贡献 " in line for line in lines)
    assert "占变化 -" not in answer.text  # the unexplained "-206%" of the issue
    assert "相加等于总变化" in answer.text
    if not answer.payload["why"]["beyond_noise"]:  # shares of noise are not given
        assert "正常波动范围内" in answer.text
        assert "总变化方向相反" not in answer.text and "超过总变化" not in answer.text
        return
    for c, line in zip(answer.payload["why"]["top_contributors"], lines, strict=False):
        share = c["share_of_change"]
        if share is not None and share < 0:
            assert "与总变化方向相反" in line
        elif share is not None and share > 1:
            assert "超过总变化" in line


def test_forecast_chart_has_history_forecast_band_and_the_month_asked(assistant) -> None:
    answer = ask(assistant, "下个月投诉量预计多少？")
    fig = answer_figure(answer.payload, assistant.lexicon, assistant.catalog, "zh")
    names = [trace.name for trace in fig.data]
    assert names == ["95% 区间", "80% 区间", "实际", "预测"]
    forecast = answer.payload["forecast"]
    band95 = fig.data[0]
    n = len(forecast["weeks"])
    upper, lower = band95.y[:n], band95.y[n:][::-1]
    for w, hi, lo in zip(forecast["weeks"], upper, lower, strict=True):
        assert lo <= w["forecast"] <= hi
    shaded = fig.layout.shapes[0]
    assert (shaded.x0, shaded.x1) == ("2026-12-01", "2027-01-01")
    assert fig.layout.xaxis.title.text == "周（起始日）"


def test_alert_chart_marks_the_anomaly_outside_the_band(assistant) -> None:
    answer = ask(assistant, "最近30天有哪些预警？")
    series = answer.payload["series"]
    fig = answer_figure(answer.payload, assistant.lexicon, assistant.catalog, "en")
    anomaly = next(trace for trace in fig.data if trace.name == "anomaly")
    low, high = series["band"]
    assert not low <= anomaly.y[0] <= high
    assert fig.layout.shapes[0].y0 == pytest.approx(low)
    assert len(fig.data[0].x) >= 5  # the series, not one point
    assert "expected band" in fig.layout.title.text


def test_chat_messages_fold_sql_and_carry_the_chart(assistant) -> None:
    answer = ask(assistant, "上个月各渠道的投诉量")
    messages = answer_messages(answer, assistant.lexicon, "zh", assistant.catalog)
    titles = [m.get("metadata", {}).get("title") for m in messages]
    assert titles[-1] == "查看SQL" and "SELECT" in messages[-1]["content"].upper()
    assert "SELECT" not in messages[-2]["content"].upper()  # provenance no longer holds it
    plots = [m["content"] for m in messages if isinstance(m["content"], gr.Plot)]
    assert len(plots) == 1 and plots[0].show_label is False
    why = ask(assistant, "为什么上个月投诉量变化了？")
    messages = answer_messages(why, assistant.lexicon, "zh", assistant.catalog)
    assert any(isinstance(m["content"], gr.Plot) for m in messages)
    assert messages[-1]["metadata"]["title"] == "查看SQL"


def test_an_assumption_is_said_once_fresh_and_retold(assistant) -> None:
    from assistant.ui.chat_turns import in_language

    answer = ask(assistant, "各渠道的投诉量")  # no period: the last full month is assumed
    (assumption,) = answer.plan.assumptions
    text = answer_messages(answer, assistant.lexicon, "zh", assistant.catalog)[0]["content"]
    assert text.count(assumption) == 1, text
    # Retold in English the reading is rebuilt without the Chinese assumption, which is then
    # listed once below it.
    retold = in_language(answer, "en", assistant.services)
    text = answer_messages(retold, assistant.lexicon, "en", assistant.catalog)[0]["content"]
    assert text.count(assumption) == 1, text
