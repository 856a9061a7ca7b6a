"""The chat keeps its turns on the server: earlier answers are re-told in the other language
from their structure without a query, and each answer's chart is serialised once."""

from __future__ import annotations

import contextvars
import json
from datetime import date

import gradio as gr
import pytest
import sqlalchemy as sa

from assistant.app import build_app
from assistant.planning.lexicon import has_cjk
from assistant.planning.plans import ConversationState
from assistant.ui.chat_turns import ChatRenderer, Turn, switch_language

TODAY = date(2026, 11, 22)
QUESTIONS = ("上个月各大区的客户满意度", "为什么上个月投诉量上升了？", "有没有类似的案例：物流太慢")


@pytest.fixture(scope="module")
def chat(demo_warehouse_url):
    app = build_app(None, "test", warehouse=demo_warehouse_url, today=TODAY)
    state = ConversationState(today=TODAY, role="executive", user="lin")
    turns = [Turn(q, answer=app.assistant.ask(q, state=state)) for q in QUESTIONS]
    with gr.Blocks():
        chatbot = gr.Chatbot()
    yield app, ChatRenderer(app.assistant, chatbot), turns
    app.close()


def _charts(messages) -> list[str]:
    """The figure JSON of each chart message."""
    values = [getattr(m["content"], "value", None) for m in messages]
    return [v["plot"] for v in values if isinstance(v, dict) and "plot" in v]  # not the PNG file


def test_a_language_switch_retells_earlier_answers_without_a_query(chat):
    app, renderer, turns = chat
    zh = renderer.history(turns, "zh")
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sa.event.listen(app.services.engine, "before_cursor_execute", count)
    try:
        # Before a switch, an answer keeps its question's language on either page.
        assert renderer.turn(turns[0], "en")[1]["content"].startswith("客户满意度最高")
        en = renderer.history(switch_language(turns, "en"), "en")
    finally:
        sa.event.remove(app.services.engine, "before_cursor_execute", count)
    assert statements == [], "re-telling ran a query"
    # The questions stay as typed; the metric and why answers are English throughout.
    assert [m["content"] for m in en if m["role"] == "user"] == list(QUESTIONS)
    metric_en, why_en = (renderer.turn(t, "en")[1:] for t in turns[:2])
    metric_text, why_text = metric_en[0]["content"], why_en[0]["content"]
    assert metric_text.startswith("CSAT is highest") and "| Region | CSAT (%) |" in metric_text
    assert "I read this as: CSAT, by Region" in metric_text and not has_cjk(metric_text)
    assert why_text.startswith("Explain the change of Complaint volume in October 2026")
    assert not has_cjk(why_text)
    provenance = [m for m in metric_en if m.get("metadata")]
    assert provenance[0]["metadata"]["title"] == "🔎 How was this computed"
    assert "certified" in provenance[0]["content"] and not has_cjk(provenance[0]["content"])
    # Charts: titles, axes and category labels English now, Chinese before.
    for chart in (*_charts(metric_en), *_charts(why_en)):
        assert not has_cjk(json.loads(chart)["layout"]["title"]["text"]), chart[:200]
    assert "South China" in _charts(metric_en)[0] and "华南" not in _charts(metric_en)[0]
    zh_chart = _charts(renderer.turn(Turn(QUESTIONS[0], answer=turns[0].answer), "zh"))[0]
    assert "华南" in zh_chart
    # The numbers are the ones answered: the same figure data in both languages.
    zh_data = json.loads(zh_chart)["data"][0]["x"]
    assert json.loads(_charts(metric_en)[0])["data"][0]["x"] == zh_data
    # A case search keeps the language it was answered in, text and all.
    cases_en = renderer.turn(turns[2], "en")
    cases_zh = renderer.turn(Turn(QUESTIONS[2], answer=turns[2].answer), "zh")
    assert cases_en[1]["content"] == cases_zh[1]["content"] and has_cjk(cases_en[1]["content"])
    # And back: the Chinese rendering shown first is reused, not rebuilt.
    assert renderer.history(switch_language(turns, "zh"), "zh") == zh


def test_each_chart_is_serialised_once_not_on_every_later_turn(chat):
    _, renderer, turns = chat
    first = renderer.turn(turns[0], "zh")
    again = renderer.turn(turns[0], "zh")
    charts = [m["content"] for m in first if not isinstance(m["content"], str)]
    assert charts and all(type(c).__name__ == "ComponentMessage" for c in charts)
    assert all(a["content"] is b["content"] for a, b in zip(first, again, strict=True))
    # The chatbot passes the serialised chart through as it is.
    sent = renderer.chatbot.postprocess(renderer.history(turns, "zh"))
    assert any(getattr(part, "type", "") == "component" for m in sent.root for part in m.content)


def test_a_chart_rendered_inside_an_event_listener_is_complete(chat):
    """The chat renders while Gradio runs its event (where a new component is only an
    update): the chart still carries its whole figure."""
    from gradio.context import LocalContext

    _, renderer, turns = chat

    def in_event() -> list:
        LocalContext.in_event_listener.set(True)
        return renderer.turn(Turn(QUESTIONS[0], answer=turns[0].answer), "en")

    charts = _charts(contextvars.copy_context().run(in_event))
    assert charts and "华南" in charts[0]  # told in its question's language
