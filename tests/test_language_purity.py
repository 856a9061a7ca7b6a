"""A Chinese answer has no English in it and an English answer no Chinese, for every kind of
answer: metric, ranking, trend, comparison, clarification, refusal (including "not a certified
metric"), why, forecast, alerts, case search, role and compute errors. The agreed acronyms
(SLA, NPS, CSAT, CES, App) may appear in both; so may commands in backticks (they are typed,
not read)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from assistant.app import build_app
from assistant.messages import ACRONYMS
from assistant.planning.plans import ConversationState

TODAY = date(2026, 11, 10)
# Words that are part of a label in both languages or a metric's common abbreviation.
SHARED = ACRONYMS | {"VIP", "P90", "FCR", "AHT"}

# (kind, zh question, en question, role)
QUESTIONS = [
    ("metric", "上个月的客户满意度", "csat last month", None),
    ("metric scoped", "上个月的投诉量", "complaint volume last month", "east_manager"),
    ("outside access", "上个月华北的投诉量", "North China complaints last month", "east_manager"),
    (
        "ranking",
        "上个月哪个渠道超时率最高",
        "which channel had the highest breach rate last month",
        None,
    ),
    ("breakdown", "上个月各根因的工单量", "tickets by root cause last month", None),
    ("trend", "今年每月的投诉量趋势", "monthly complaint trend this year", None),
    (
        "comparison",
        "上个月投诉量和去年同期比",
        "complaints last month vs same month last year",
        None,
    ),
    ("clarification", "处理时长怎么样", "what's our handling time?", None),
    ("unplaced word", "上个月格力空调的投诉量", "weekend ticket volume last month", None),
    ("not certified", "上季度问题返修率", "parts return rate last quarter", None),
    ("out of scope", "今天天气怎么样", "will it rain tomorrow", None),
    ("bad date", "2026年13月的满意度", "csat in month 13 of 2026", None),
    (
        "compute error",
        "上个月各渠道的千单投诉率",
        "complaint rate per 1000 orders by channel",
        None,
    ),
    ("why", "为什么9月App渠道的投诉多了", "why did app complaints rise in September", None),
    ("forecast", "预测下个月的投诉量", "forecast complaint volume next month", None),
    ("alerts", "最近有什么异常", "any anomalies lately?", None),
    (
        "case search",
        "找找类似的案例：热水器不出热水",
        "find similar cases: heater has no hot water",
        None,
    ),
    ("role error", "上个月的满意度", "csat last month", "agent"),
]


@pytest.fixture(scope="module")
def assistant(demo_warehouse_url: str):
    app = build_app(None, "test", warehouse=demo_warehouse_url, today=TODAY)
    yield app.assistant
    app.close()


def foreign_words(text: str, language: str) -> list[str]:
    text = re.sub(r"`[^`]*`", " ", text)  # commands to type
    text = re.sub(r"\b[A-Za-z]+[-_]?\d[\w-]*", " ", text)  # record ids: T000197813, LIVE-12
    if language == "zh":
        return [w for w in re.findall(r"[A-Za-z][A-Za-z_'-]*", text) if w not in SHARED]
    return re.findall(r"[\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e]+", text)


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("kind", "zh", "en", "role"), QUESTIONS, ids=[q[0] for q in QUESTIONS])
def test_answer_is_in_one_language(assistant, kind, zh, en, role, language):
    question = zh if language == "zh" else en
    answer = assistant.ask(question, state=ConversationState(today=TODAY, role=role))
    shown = [answer.text, getattr(answer.plan, "interpretation", "") or ""]
    shown += [getattr(answer.plan, "question", "") or ""]
    shown += [o.label for o in getattr(answer.plan, "options", ())]
    shown += list(getattr(answer.plan, "suggestions", ()))
    text = "\n".join(shown)
    assert text.strip(), kind
    assert foreign_words(text, language) == [], (kind, text)


# (zh question, en question): results whose "how it was computed" carries warnings — a period
# running past the data, groups with small samples, a snapshot metric.
PROVENANCE_QUESTIONS = [
    ("10月15日到11月15日各渠道的满意度", "csat by channel from 2026-10-15 to 2026-11-15"),
    ("还有多少工单没处理完", "how many tickets are still open"),
]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("zh", "en"), PROVENANCE_QUESTIONS)
def test_how_it_was_computed_is_in_one_language(assistant, zh, en, language):
    from assistant.ui.render import provenance_markdown

    answer = assistant.ask(zh if language == "zh" else en, state=ConversationState(today=TODAY))
    assert answer.result is not None and answer.result.warnings, answer.text
    shown = provenance_markdown(answer.result, language, with_sql=False)
    shown = re.sub(r"\([^)]*`[^`]*`\)|`[^`]*`", " ", shown)  # the metric's code name
    shown = re.sub(r"\b\w+_at\b", " ", shown)  # the time column a metric is attributed by
    shown = re.sub(r"\bn=", " ", shown)  # a sample size's n
    for source in answer.result.source_freshness:  # source systems are named by their ids
        shown = re.sub(rf"\b{re.escape(source)}\b", " ", shown)
    assert foreign_words(shown, language) == [], shown
