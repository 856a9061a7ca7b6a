"""Two periods in one question: one period, a comparison, or a question to ask back.

"9月和10月的投诉量" is one period (the two months together); "10月和9月比" compares October
with the month before; "11月和上个月比" asked in December reads 上个月 as the month before
November (compared with itself the comparison would say nothing); "本月至今和上个月比" compares
the same days of both months. A comparison the semantic layer cannot express (it compares a
period only with the one just before it or the same period a year earlier: "10月和8月比",
"Q3 vs Q1") or two periods with a gap between them ("8月和10月的投诉量": one total would
count September too) is not answered with a nearby number: the planner asks.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.messages import pick as _t
from assistant.planning import cues
from assistant.planning.period_text import calendar_grain, period_label
from assistant.planning.time_parser import TimeMatch
from semantic_layer.periods import comparison_range
from semantic_layer.query import CompareTo, TimeRange

COMPARE_KINDS: tuple[CompareTo, ...] = ("previous_period", "same_period_last_year")


@dataclass(frozen=True)
class PeriodsRead:
    """The period to answer and what it is compared with; ``assumption`` says a reading the
    words alone do not settle."""

    period: TimeRange
    compare: CompareTo | None
    assumption: str | None = None
    grain: str | None = None  # "9月和10月分别": each period in a trend of this grain


@dataclass(frozen=True)
class PeriodsUnclear:
    """Two periods the question names that no single query answers as written."""

    main: TimeRange
    other: TimeRange
    comparing: bool  # a comparison was asked ("比", "vs"), not a total


def read_two_periods(
    ranges: list[TimeMatch], text: str, compare: str | None, language: str
) -> PeriodsRead | PeriodsUnclear:
    """``ranges``: the question's first two period matches (any order); ``text``: the question
    with its time phrases masked; ``compare``: a comparison word read elsewhere (环比)."""
    first, second = sorted(ranges[:2], key=lambda m: m.span[0])
    a, b = _plain(first), _plain(second)
    flagged = [m for m in (first, second) if m.compared]
    comparing = bool(flagged) or compare is not None or bool(cues.COMPARE_WORDS.search(text))
    if not comparing:
        lo, hi = sorted((a, b), key=_start)
        joined = TimeRange(start=lo.start, end=max(lo.end, hi.end))
        each = cues.EACH.search(text)
        grain = _common_grain(a, b)
        if each and grain:  # each on its own: a trend, the periods between shown too and said
            between = None if lo.end == hi.start else _between_note(lo, hi, language)
            return PeriodsRead(joined, None, between, grain=grain)
        union = cues.RANGE_UNION.match(text[first.span[1] : second.span[0]])
        if union and not each and lo.end >= hi.start:
            return PeriodsRead(joined, _kind(compare))
        return PeriodsUnclear(main=a, other=b, comparing=False)
    # The baseline is the period the comparison words are attached to; else the later one.
    main, other = (b, a) if flagged == [first] else (a, b)
    for kind in COMPARE_KINDS:
        if comparison_range(main, kind) == other:
            return PeriodsRead(main, kind)
        if comparison_range(other, kind) == main:
            return PeriodsRead(other, kind)
    previous = comparison_range(main, "previous_period")
    if main == other:
        # "11月和上个月比" in December: 上个月 is relative to the period it is compared with.
        return PeriodsRead(main, "previous_period", _relative_note(main, previous, language))
    if other.start == previous.start and previous.end < other.end:
        # "本月至今和上个月比": a partial period with the same days of the whole one before.
        return PeriodsRead(main, "previous_period", _like_for_like_note(other, previous, language))
    return PeriodsUnclear(main=main, other=other, comparing=True)


@dataclass(frozen=True)
class PeriodChoice:
    """One option of the question asked back: a period, its comparison or a trend grain."""

    label: str
    period: TimeRange
    compare: CompareTo | None = None
    grain: str | None = None


def period_choices(unclear: PeriodsUnclear, language: str) -> list[PeriodChoice]:
    """At most three readings: compared with the period before or a year earlier (or each
    period alone), and both periods side by side in a trend when they are whole months,
    quarters or years."""
    main, other = unclear.main, unclear.other
    choices = []
    if unclear.comparing:
        shown = _label(main, language)
        for kind, zh, en in (
            ("previous_period", "环比", "the period before"),
            ("same_period_last_year", "同比", "a year earlier"),
        ):
            base = _label(comparison_range(main, kind), language)
            text = _t(language, f"{shown}与{base}对比（{zh}）", f"{shown} vs {base} ({en})")
            choices.append(PeriodChoice(text, main, kind))
    else:
        choices += [PeriodChoice(_label(r, language), r) for r in sorted((main, other), key=_start)]
    grain = _common_grain(main, other)
    if grain is not None:
        lo, hi = sorted((main, other), key=_start)
        step_zh, step_en = _STEPS[grain]
        first, last = _label(lo, language), _label(hi, language)
        text = _t(language, f"{first}至{last}{step_zh}", f"{step_en}, {first} to {last}")
        choices.append(PeriodChoice(text, TimeRange(start=lo.start, end=hi.end), grain=grain))
    return choices[:3]


_STEPS = {
    "month": ("逐月", "Month by month"),
    "quarter": ("逐季", "Quarter by quarter"),
    "year": ("逐年", "Year by year"),
}


def _common_grain(a: TimeRange, b: TimeRange) -> str | None:
    """The calendar unit both periods are one whole of ("month", "quarter", "year"), if any."""
    grain = calendar_grain(a.start, a.end)
    return grain if grain == calendar_grain(b.start, b.end) else None


def _start(r: TimeRange) -> tuple:
    return (r.start, r.end)


def unclear_question(unclear: PeriodsUnclear, language: str) -> str:
    if unclear.comparing:
        main, other = _label(unclear.main, language), _label(unclear.other, language)
        return _t(
            language,
            f"{main}和{other}不是上一期或去年同期的关系，目前只能与这两种期间对比。您想看哪一个？",
            f"I compare a period with the one just before it or with the same period a year "
            f"earlier; {main} and {other} are neither. Which do you mean?",
        )
    lo, hi = sorted((unclear.main, unclear.other), key=_start)
    first, last = _label(lo, language), _label(hi, language)
    if lo.end < hi.start:
        return _t(
            language,
            f"{first}和{last}之间隔着其他日子，合成一个数会把中间的日子也算进去。您想看哪一个？",
            f"{first} and {last} are not next to each other: one number for both would count "
            "the days between them too. Which do you mean?",
        )
    return _t(
        language,
        f"问题里有两个期间（{first}、{last}），您想看哪一个？",
        f"The question names two periods, {first} and {last}. Which do you mean?",
    )


def _plain(match: TimeMatch) -> TimeRange:
    assert match.range is not None
    return TimeRange(start=match.range.start, end=match.range.end)


def _kind(compare: str | None) -> CompareTo | None:
    return compare if compare in COMPARE_KINDS else None  # type: ignore[return-value]


def _relative_note(main: TimeRange, previous: TimeRange, language: str) -> str:
    shown, before = _label(main, language), _label(previous, language)
    return _t(
        language,
        f"对比期按{shown}的上一期（{before}）理解",
        f"the comparison read as the period before {shown} ({before})",
    )


def _like_for_like_note(other: TimeRange, previous: TimeRange, language: str) -> str:
    whole, same = _label(other, language), _label(previous, language)
    return _t(
        language,
        f"与{whole}的同期（{same}）对比：天数相同才可比",
        f"compared with the same days of {whole} ({same}), so both periods are equally long",
    )


def _between_note(lo: TimeRange, hi: TimeRange, language: str) -> str:
    gap = _label(TimeRange(start=lo.end, end=hi.start), language)
    return _t(
        language,
        f"逐期列出，中间的{gap}也一并列出",
        f"each period listed, with {gap} between them",
    )


def _label(r: TimeRange, language: str) -> str:
    return period_label(r.start, r.end, language)
