"""Time phrases (zh/en) -> absolute ranges: a wide table, sentences, errors and a property.

The cases are data in ``fixtures/time_phrases.yml``; this module holds the checks.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.planning.time_parser import TimeParseError, chinese_number, parse_time
from semantic_layer.yaml_load import read_yaml

_FIXTURE = read_yaml(Path(__file__).with_name("fixtures") / "time_phrases.yml").data
TODAYS = {name: date.fromisoformat(day) for name, day in _FIXTURE["todays"].items()}
SUN, OCT1 = TODAYS["SUN"], TODAYS["OCT1"]  # a Sunday (this Monday week began 2026-11-16); Q4 starts


def _today(row: list) -> list:
    """A fixture row ``[phrase, today, ...]`` with the anchor-date name (``SUN``) as its date."""
    return [row[0], TODAYS[row[1]], *row[2:]]


# phrase, today, start, end (exclusive), grain_hint, compare
CASES = [tuple(_today(row)) for row in _FIXTURE["phrases"]]


def _d(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


@pytest.mark.parametrize(
    ("phrase", "today", "start", "end", "grain", "compare"),
    CASES,
    ids=[f"{c[0]}@{c[1]}" for c in CASES],
)
def test_phrase_table(
    phrase: str,
    today: date,
    start: str | None,
    end: str | None,
    grain: str | None,
    compare: str | None,
) -> None:
    matches = parse_time(phrase, today)
    assert len(matches) == 1, matches
    (match,) = matches
    assert match.span == (0, len(phrase))
    assert match.text == phrase
    assert match.compare == compare
    assert match.grain_hint == grain
    if start is None:
        assert match.range is None
    else:
        assert match.range is not None
        assert (match.range.start, match.range.end) == (_d(start), _d(end))
        assert match.range.grain_hint == grain


def test_the_table_is_wide() -> None:
    assert len(CASES) >= 150
    assert {c[1] for c in CASES} == set(TODAYS.values())


# ---- questions with several phrases -------------------------------------------------------

R = tuple[str, str | None, str | None, str | None, str | None]  # text, start, end, grain, compare
SENTENCES: list[tuple[str, date, list[R]]] = [
    (s["question"], TODAYS[s["today"]], [tuple(m) for m in s["matches"]])
    for s in _FIXTURE["sentences"]
]


@pytest.mark.parametrize(
    ("question", "today", "expected"), SENTENCES, ids=[s[0] for s in SENTENCES]
)
def test_sentences(question: str, today: date, expected: list[R]) -> None:
    matches = parse_time(question, today)
    got = [
        (
            m.text,
            m.range and m.range.start.isoformat(),
            m.range and m.range.end.isoformat(),
            m.grain_hint,
            m.compare,
        )
        for m in matches
    ]
    assert got == expected
    for m in matches:
        assert question[m.span[0] : m.span[1]] == m.text
    spans = [m.span for m in matches]
    assert spans == sorted(spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


NOT_TIME = _FIXTURE["not_time"]


@pytest.mark.parametrize("question", NOT_TIME)
def test_numbers_that_are_not_time(question: str) -> None:
    assert parse_time(question, SUN) == []


# ---- errors ---------------------------------------------------------------------------------

ERRORS = [tuple(row) for row in _FIXTURE["errors"]]


@pytest.mark.parametrize(("question", "why"), ERRORS)
def test_impossible_dates_raise(question: str, why: str) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_time(question, SUN)
    assert why in str(info.value)
    assert info.value.phrase in question
    assert f"'{info.value.phrase}'" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_error_message_text() -> None:
    with pytest.raises(TimeParseError) as info:
        parse_time("2026年13月华东区投诉量", SUN)
    assert str(info.value) == (
        "The time phrase '2026年13月' is not a valid period: there is no month 13 "
        "(months are 1-12)."
    )


# ---- labels, week start, numerals -----------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "today", "label"), [tuple(_today(row)) for row in _FIXTURE["labels"]]
)
def test_labels(phrase: str, today: date, label: str) -> None:
    (match,) = parse_time(phrase, today)
    assert match.range is not None and match.range.label == label


def test_week_start_sunday() -> None:
    (this,) = parse_time("本周", SUN, week_start=6)
    (last,) = parse_time("last week", SUN, week_start=6)
    assert (this.range.start, this.range.end) == (date(2026, 11, 22), date(2026, 11, 23))
    assert (last.range.start, last.range.end) == (date(2026, 11, 15), date(2026, 11, 22))


def test_week_start_is_checked() -> None:
    with pytest.raises(ValueError, match="week_start"):
        parse_time("本周", SUN, week_start=7)


def test_full_width_spans_point_into_the_original_question() -> None:
    question = "请给出２０２６年１０月１日到１０月１５日的投诉量"
    (match,) = parse_time(question, SUN)
    assert match.text == "２０２６年１０月１日到１０月１５日"
    assert (match.range.start, match.range.end) == (date(2026, 10, 1), date(2026, 10, 16))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("四十五", 45),
        ("两", 2),
        ("二〇二六", 2026),
        ("一百", 100),
        ("三十一", 31),
        ("7", 7),
        ("seven", 7),
    ],
)
def test_chinese_number(text: str, value: int) -> None:
    assert chinese_number(text) == value


def test_no_match_is_an_empty_list() -> None:
    assert parse_time("", SUN) == []
    assert parse_time("华东区投诉率是多少", SUN) == []


# ---- property: relative phrases never reach into the future --------------------------------

RELATIVE = _FIXTURE["relative"]


@settings(max_examples=300, deadline=None)
@given(today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_relative_phrases_never_reach_the_future(today: date) -> None:
    for phrase in RELATIVE:
        matches = parse_time(phrase, today)
        assert len(matches) == 1, (phrase, today, matches)
        rng = matches[0].range
        assert rng is not None, phrase
        assert rng.start < rng.end, (phrase, today, rng)
        assert rng.end <= today + timedelta(days=1), (phrase, today, rng)


def test_time_and_verified_question_errors_are_user_errors():
    # One error family: every surface prints these as messages, never as tracebacks.
    from assistant.planning.time_parser import TimeParseError
    from assistant.planning.verified import VerifiedQuestionsError
    from tools.errors import ServicePilotError

    assert issubclass(TimeParseError, ServicePilotError)
    assert issubclass(VerifiedQuestionsError, ServicePilotError)
    assert VerifiedQuestionsError.exit_code == 2
