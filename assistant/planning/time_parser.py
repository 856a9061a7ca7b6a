"""Time phrases in a question (Chinese or English) -> absolute date ranges, end exclusive.

`parse_time(question, today)` is pure: no I/O, no clock; every relative phrase is resolved
against the `today` it is given. It returns every time phrase it finds, left to right and
non-overlapping, each with its character span so the planner can cut it out of the question.

Conventions (all ranges are [start, end), dates only):

=====================================  ==========================================================
phrase family                          range
=====================================  ==========================================================
今天 / today                            [today, today+1)
昨天 / yesterday; 前天                  [today-1, today); [today-2, today-1)
本周 / this week / WTD                  [week start, today+1)  (week starts Monday; `week_start`)
上周 / last week; 上上周                 the whole previous week; the one before it
本月 / this month / MTD                 [1st of this month, today+1)  ("to date")
上个月 / last month; 上上个月            the whole previous calendar month; the one before it
本季度 / this quarter / QTD             [quarter start, today+1)
上季度 / last quarter; 上上季度          the whole previous calendar quarter; the one before it
今年 / this year / YTD / 今年以来        [Jan 1, today+1)
去年 / last year; 前年                  the whole previous calendar year; the one before it
近N天 / last N days / past N days       [today-N, today): the N complete days before today
近N周 / 最近一周 / last N weeks          [today-7N, today): rolling, not calendar weeks
近N个月 / last N months / 近半年         the N complete calendar months before the current one
近N个季度 / last N quarters             the N complete calendar quarters before the current one
近N年 / 近一年 / last 12 months / TTM   the 12N complete calendar months before the current one
上半年 / 下半年 / H1 / H2                Jan-Jun / Jul-Dec of the given year, else see "bare"
since X / X以来 / 自X起 / X至今          [start of X, today+1)
截至X / until X / up to X (alone)       [Jan 1 of X's year, end of X)  (year to date as of X)
A到B / from A to B / between A and B    [start of A, end of B)  (an end date is inclusive)
双十一 / Double 11                       [Nov 1, Nov 12)
618                                     [Jun 1, Jun 19)
春节 / Spring Festival                   [festival-3, festival+7)  (table 2018-2032)
国庆 / 十一黄金周 / National Day         [Oct 1, Oct 8)  (the golden week)
五一 / 劳动节 / May Day                  [May 1, May 6)  (the five-day holiday)
week 45 / 第45周 / 2026-W45             the ISO week (Monday-Sunday, whatever `week_start` is)
=====================================  ==========================================================

"Bare" calendar periods (10月, October, Q3, 三季度, 下半年, 第45周, 10月1日, 双十一) take the most
recent occurrence that has already *started* on `today`. A later period written without a year
("10月到11月", "Oct 1-15") takes its year from the earlier one.

To date: any range that contains `today` ends at today+1 and its label says "to date" (本月,
今年, but also 2026年11月 asked on 2026-11-22), so no resolved range reaches past the data.
A range that starts after today (2027年) is returned as written: the planner decides.

Grain words (每月, monthly, by week) give a match with no range and `grain_hint` set; a grain
word written right next to a range ("近30天每天") is fused into it (`TimeRange.grain_hint`).
Comparisons (环比, 同比, 去年同期, YoY, MoM, "compared with the month before") give a match with
no range and `compare` set. "和上个月比" / "vs Q2" names a period: it gives a range match whose
span includes the comparison words; the planner decides how to compare. In a comparison,
"去年" / "last year" means "the same period last year" (compare, no range).

Impossible dates (2026年13月, 2月30日) raise `TimeParseError` naming the phrase and the reason.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from assistant.errors import AssistantError
from assistant.planning import words
from semantic_layer import periods
from tools.demo_data.festivals import SPRING_FESTIVAL

__all__ = [
    "PREVIOUS_PERIOD",
    "SAME_PERIOD_LAST_YEAR",
    "TimeMatch",
    "TimeParseError",
    "TimeRange",
    "chinese_number",
    "parse_time",
]

PREVIOUS_PERIOD = "previous_period"
SAME_PERIOD_LAST_YEAR = "same_period_last_year"
ONE_DAY = timedelta(days=1)


class TimeParseError(AssistantError, ValueError):
    """A phrase that looks like a date but cannot be one (the planner asks the user)."""

    def __init__(self, phrase: str, reason: str) -> None:
        self.phrase = phrase
        self.reason = reason
        super().__init__(f"The time phrase '{phrase}' is not a valid period: {reason}.")


@dataclass(frozen=True)
class TimeRange:
    start: date  # inclusive
    end: date  # exclusive
    grain_hint: str | None  # day/week/month/quarter/year when a grain word came with it
    label: str  # normalised description, e.g. "2026-10 (last month)"


@dataclass(frozen=True)
class TimeMatch:
    range: TimeRange | None  # None when the phrase is only a grain or a comparison
    compare: str | None  # "previous_period" | "same_period_last_year" | None
    span: tuple[int, int]  # character span in the question
    text: str  # question[span[0]:span[1]]
    grain_hint: str | None = None  # set for grain words ("每月", "weekly"), with or without range
    compared: bool = False  # the period a comparison names ("和上个月比", "vs Q2"): the baseline
    # A span from one period to another of the same kind ("二季度到三季度"): that kind's grain.
    span_grain: str | None = None


# --------------------------------------------------------------------------------------------
# Numbers and calendar helpers


_CN_DIGITS = words.CHINESE_DIGITS
_CN_UNITS = words.CHINESE_UNITS
_EN_NUMBERS = words.ENGLISH_NUMBERS
_ORDINALS = words.ENGLISH_ORDINALS
_MONTHS = words.ENGLISH_MONTH_ABBREVIATIONS
_MONTH_NAMES = [calendar.month_name[m] for m in range(13)]
_MONTHS_SHORT = [calendar.month_abbr[m] for m in range(13)]


def chinese_number(text: str) -> int:
    """'十二' -> 12, '两' -> 2, '二〇二六' -> 2026, '45' -> 45, 'seven' -> 7."""
    s = text.strip().lower()
    if s.isascii() and s.isdigit():
        return int(s)
    if s in _EN_NUMBERS:
        return _EN_NUMBERS[s]
    if s and all(c in _CN_DIGITS for c in s):  # positional: 二〇二六
        value = 0
        for c in s:
            value = value * 10 + _CN_DIGITS[c]
        return value
    total, num = 0, 0
    for c in s:
        if c in _CN_DIGITS:
            num = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            total += (num or 1) * _CN_UNITS[c]
            num = 0
        else:
            raise ValueError(f"not a number: {text!r}")
    if not s:
        raise ValueError("empty number")
    return total + num


def _days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


# Spring Festival (农历正月初一) by year (one table for the whole product); ranges beyond it
# raise TimeParseError.
_FESTIVAL_NAMES = {
    "double11": "Double 11",
    "618": "618",
    "spring": "Spring Festival",
    "national_day": "National Day holiday",
    "may_day": "May Day holiday",
}


# --------------------------------------------------------------------------------------------
# Calendar specs (a period that may still lack its year) and tokens


@dataclass(frozen=True)
class _Spec:
    unit: str  # year | half | quarter | month | day | isoweek | festival | season
    year: int
    index: int = 0  # half 1-2, quarter 1-4, month 1-12, ISO week 1-53; season: first month
    day: int = 0  # day of month; -1 = the last day (月底); season: number of months
    name: str = ""  # festival or season key
    months_given: bool = False  # season: its months written in the question ("summer (Jul-Aug)")


def _spec_bounds(spec: _Spec, phrase: str) -> tuple[date, date]:
    y = spec.year
    if not 1 <= y <= 9998:
        raise TimeParseError(phrase, f"the year {y} is out of range")
    if spec.unit == "year":
        return date(y, 1, 1), date(y + 1, 1, 1)
    if spec.unit == "half":
        start = date(y, 1 if spec.index == 1 else 7, 1)
        return start, periods.month_start(start, 6)
    if spec.unit == "quarter":
        start = date(y, 3 * spec.index - 2, 1)
        return start, periods.month_start(start, 3)
    if spec.unit == "month":
        start = date(y, spec.index, 1)
        return start, periods.month_start(start, 1)
    if spec.unit == "day":
        last = _days_in_month(y, spec.index)
        day = last if spec.day == -1 else spec.day
        if day > last:
            month = _MONTH_NAMES[spec.index]
            why = f" ({y} is not a leap year)" if spec.index == 2 and day == 29 else ""
            raise TimeParseError(phrase, f"{month} {y} has only {last} days{why}")
        start = date(y, spec.index, day)
        return start, start + ONE_DAY
    if spec.unit == "season":  # a winter's year is its December's; its Jan-Feb are the next
        start = date(y + 1 if spec.name == "winter" and spec.index < 6 else y, spec.index, 1)
        return start, periods.month_start(start, spec.day)
    if spec.unit == "isoweek":
        try:
            start = date.fromisocalendar(y, spec.index, 1)
        except ValueError:
            raise TimeParseError(phrase, f"ISO year {y} has only 52 weeks") from None
        return start, start + timedelta(days=7)
    if spec.name == "double11":
        return date(y, 11, 1), date(y, 11, 12)
    if spec.name == "618":
        return date(y, 6, 1), date(y, 6, 19)
    if spec.name == "national_day":
        return date(y, 10, 1), date(y, 10, 8)
    if spec.name == "may_day":
        return date(y, 5, 1), date(y, 5, 6)
    if y not in SPRING_FESTIVAL:
        known = f"{min(SPRING_FESTIVAL)}-{max(SPRING_FESTIVAL)}"
        raise TimeParseError(phrase, f"Spring Festival dates are known only for {known}")
    festival = SPRING_FESTIVAL[y]
    return festival - timedelta(days=3), festival + timedelta(days=7)


def _spec_canon(spec: _Spec, start: date) -> str:
    if spec.unit == "year":
        return f"{spec.year}"
    if spec.unit == "half":
        return f"{spec.year}-H{spec.index}"
    if spec.unit == "quarter":
        return f"{spec.year}-Q{spec.index}"
    if spec.unit == "month":
        return f"{spec.year}-{spec.index:02d}"
    if spec.unit == "day":
        return start.isoformat()
    if spec.unit == "isoweek":
        return f"{spec.year}-W{spec.index:02d}"
    if spec.unit == "season":
        last = periods.month_start(start, spec.day - 1).month
        return f"{spec.year} {spec.name} ({_MONTHS_SHORT[spec.index]}-{_MONTHS_SHORT[last]})"
    return f"{spec.year} {_FESTIVAL_NAMES[spec.name]}"


def _latest_year(spec: _Spec, today: date, phrase: str) -> _Spec:
    """Most recent occurrence of a period written without its year that has started."""
    if spec.unit == "day":
        day = _days_in_month(today.year, spec.index) if spec.day == -1 else spec.day
        year = today.year if (spec.index, day) <= (today.month, today.day) else today.year - 1
        return replace(spec, year=year)
    if spec.unit == "isoweek":
        year = today.isocalendar().year
        for candidate in (year, year - 1):
            try:
                if date.fromisocalendar(candidate, spec.index, 1) <= today:
                    return replace(spec, year=candidate)
            except ValueError:
                continue
        return replace(spec, year=year - 1)  # invalid week 53: _spec_bounds explains
    for candidate in (today.year, today.year - 1):
        start, _ = _spec_bounds(replace(spec, year=candidate), phrase)
        if start <= today:
            return replace(spec, year=candidate)
    return replace(spec, year=today.year - 1)


@dataclass(frozen=True)
class _Tok:
    start: int
    end: int
    kind: str  # range | grain | compare
    rng: tuple[date, date] | None = None
    canon: str = ""
    desc: str = ""
    spec: _Spec | None = None
    year_given: bool = True  # False: year inferred (may be re-derived from a neighbour)
    grain: str | None = None
    compare: str | None = None
    yearref: int | None = None  # 今年 / 去年 / last year: the calendar year it names
    ctx_compare: str | None = None  # meaning inside a comparison ("vs last year")
    until_now: bool = False  # 到目前为止 / 截至目前
    weak: bool = False  # bare "may": kept only with a time context
    compared: bool = False  # the baseline of a comparison ("和上个月比")
    parts: tuple[_Spec, _Spec] | None = None  # a span of two periods without a year ("7-8月")
    span_grain: str | None = None  # a span between two periods of one kind: its grain


def _range_canon(start: date, end: date) -> str:
    last = end - ONE_DAY
    return start.isoformat() if start == last else f"{start} to {last}"


def _range_tok(span: tuple[int, int], start: date, end: date, desc: str = "", **kw) -> _Tok:
    return _Tok(span[0], span[1], "range", (start, end), _range_canon(start, end), desc, **kw)


def _spec_tok(span: tuple[int, int], spec: _Spec, phrase: str, desc: str = "", **kw) -> _Tok:
    start, end = _spec_bounds(spec, phrase)
    return _Tok(
        span[0], span[1], "range", (start, end), _spec_canon(spec, start), desc, spec=spec, **kw
    )


@dataclass(frozen=True)
class _Ctx:
    text: str
    today: date
    week_start: int


# --------------------------------------------------------------------------------------------
# Rules: (pattern, resolver). The scanner takes the longest match at each position.

_L = r"(?<![A-Za-z])"  # English word edges that also work next to Chinese characters
_R = r"(?![A-Za-z])"
_CN = r"[零〇一二两三四五六七八九十百]+"
_NUM = rf"(?:\d+|{_CN})"
_MON = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_DAY = r"(?:\d{1,2}|[一二三四五六七八九十]{1,4})"
_YEAR_ZH = r"(?:(?<!\d)\d{4}|(?<!\d)\d{2}|[〇零一二三四五六七八九]{4})"
_EN_NUM = r"(?:\d+|" + "|".join(sorted(_EN_NUMBERS, key=len, reverse=True)) + ")"
_MONTH_EN = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_SEP = r"\s*(?:-|~|到|至)\s*"
_UNIT_AFTER_NUMBER = re.compile(r"\s*(?:单|个|件|元|次|人|条|分|名|张|笔|块|位|万|千|百|%|号)")
_ID_BEFORE = re.compile(r"(?:ticket|order|case|id|no\.?|number|工单|订单|单号|编号|#)\s*$", re.I)
_Rule = tuple[re.Pattern[str], Callable[[re.Match[str], _Ctx], "_Tok | None"]]
_RULES: list[_Rule] = []


def _rule(*patterns: str) -> Callable:
    def register(fn: Callable[[re.Match[str], _Ctx], _Tok | None]):
        for pattern in patterns:
            _RULES.append((re.compile(pattern, re.IGNORECASE), fn))
        return fn

    return register


def _year(text: str | None) -> int | None:
    if not text:
        return None
    value = chinese_number(text)
    return 2000 + value if len(text) == 2 else value


def _cn_month(m: re.Match[str], group: str) -> int:
    value = chinese_number(m.group(group))
    if not 1 <= value <= 12:
        raise TimeParseError(m.group(0), f"there is no month {value} (months are 1-12)")
    return value


def _check_day(m: re.Match[str], month: int, day: int) -> int:
    if day < 1:
        raise TimeParseError(m.group(0), "there is no day 0 in a month")
    most = 29 if month == 2 else _days_in_month(2001, month)
    if day > most:
        raise TimeParseError(m.group(0), f"{_MONTH_NAMES[month]} has at most {most} days")
    return day


def _resolve(
    m: re.Match[str],
    ctx: _Ctx,
    spec: _Spec,
    year: int | None,
    desc: str = "",
    span: tuple[int, int] | None = None,
    **kw,
) -> _Tok:
    phrase = m.group(0)
    spec = _latest_year(spec, ctx.today, phrase) if year is None else replace(spec, year=year)
    return _spec_tok(span or m.span(), spec, phrase, desc, year_given=year is not None, **kw)


def _merge_specs(
    m: re.Match[str],
    ctx: _Ctx,
    first: _Spec,
    second: _Spec,
    year: int | None,
    second_year: int | None = None,
) -> _Tok:
    a = _resolve(m, ctx, first, year)
    b = _resolve(m, ctx, second, second_year or year)
    merged = _merge(a, b, m.span(), m.group(0))
    if year is not None or second_year is not None:
        return merged
    return replace(merged, year_given=False, parts=(first, second))


# ---- comparisons ---------------------------------------------------------------------------


@_rule(
    r"同比|去年同期|上年同期|同期|前一年",
    _L + r"(?:yoy|y/y|year[-\s]?(?:over|on)[-\s]?year|(?:the\s+)?same\s+(?:period|time|month"
    r"|quarter|week|day)\s+(?:of\s+|in\s+)?last\s+year|the\s+year\s+before(?!\s+last))" + _R,
)
def _yoy(m: re.Match[str], ctx: _Ctx) -> _Tok:
    return _Tok(m.start(), m.end(), "compare", compare=SAME_PERIOD_LAST_YEAR)


@_rule(
    r"环比(?:上月|上周|上季度?|上期)?|上一?期|前一期|前一(?:个)?(?:天|日|周|星期|月|季度|季)",
    _L + r"(?:(?-i:MoM|WoW|QoQ|DoD)|m/m|w/w|q/q|(?P<u>month|week|quarter|day)[-\s]?(?:over|on)"
    r"[-\s]?(?P=u)|(?:the\s+)?(?:previous|prior|preceding)\s+(?:period|one)"
    r"|(?:the\s+)?(?:month|week|quarter|day|one)\s+(?:before|prior)(?!\s+last))" + _R,
)
def _previous_period(m: re.Match[str], ctx: _Ctx) -> _Tok:
    return _Tok(m.start(), m.end(), "compare", compare=PREVIOUS_PERIOD)


# ---- grain words ---------------------------------------------------------------------------

_GRAINS = {
    "day": (
        r"每天|每日|按天|按日|逐日|日度|分日",
        r"daily|by\s+day|per\s+day|each\s+day"
        r"|every\s+day|day\s+by\s+day",
    ),
    "week": (
        r"(?:每周|每星期|按周|逐周|周度|分周|各周)(?![一二三四五六日天末])",
        r"weekly|by\s+week|per\s+week|each\s+week|every\s+week|week\s+by\s+week",
    ),
    "month": (
        r"每月|每个月|按月|逐月|月度|分月|各月|各个月",
        r"monthly|by\s+month|per\s+month|each\s+month"
        r"|every\s+month|month\s+by\s+month",
    ),
    "quarter": (
        r"每季度|每个季度|每季|按季度?|逐季|分季度|季度性|各季度|各个季度",
        r"quarterly|by\s+quarter|per\s+quarter|each\s+quarter|every\s+quarter",
    ),
    "year": (
        r"每年|按年|逐年|年度|分年|各年",
        r"yearly|annually|annual|by\s+year|per\s+year"
        r"|each\s+year|every\s+year",
    ),
}


def _grain_rule(grain: str) -> Callable:
    def resolve(m: re.Match[str], ctx: _Ctx) -> _Tok:
        return _Tok(m.start(), m.end(), "grain", grain=grain)

    zh, en = _GRAINS[grain]
    return _rule(zh, _L + rf"(?:{en})" + _R)(resolve)


for _g in _GRAINS:
    _grain_rule(_g)


# ---- relative phrases ----------------------------------------------------------------------

_NOT_WEEKDAY = r"(?![一二三四五六日天末](?!共))"  # 周一 is Monday; 周一共 is "week, in total"


@_rule(r"今天|今日", _L + r"today" + _R)
def _today(m: re.Match[str], ctx: _Ctx) -> _Tok:
    return _resolve(
        m, ctx, _Spec("day", 0, ctx.today.month, ctx.today.day), ctx.today.year, "today"
    )


@_rule(r"昨天|昨日", _L + r"yesterday" + _R)
def _yesterday(m: re.Match[str], ctx: _Ctx) -> _Tok:
    d = ctx.today - ONE_DAY
    return _resolve(m, ctx, _Spec("day", 0, d.month, d.day), d.year, "yesterday")


@_rule(r"前天", _L + r"the\s+day\s+before\s+yesterday" + _R)
def _day_before_yesterday(m: re.Match[str], ctx: _Ctx) -> _Tok:
    d = ctx.today - timedelta(days=2)
    return _resolve(m, ctx, _Spec("day", 0, d.month, d.day), d.year, "day before yesterday")


@_rule(
    r"(?:本|这一?|这个)(?:周|星期|礼拜)" + _NOT_WEEKDAY,
    _L + r"(?:this\s+week|current\s+week|week[-\s]to[-\s]date|wtd)" + _R,
)
def _this_week(m: re.Match[str], ctx: _Ctx) -> _Tok:
    start = periods.week_start(ctx.today, ctx.week_start)
    return _range_tok(m.span(), start, start + timedelta(days=7), "this week")


@_rule(
    r"上(?:一个|一|个)?(?:周|星期|礼拜)" + _NOT_WEEKDAY,
    _L + r"(?:last\s+week|(?:the\s+)?(?:previous|prior)\s+week)" + _R,
)
def _last_week(m: re.Match[str], ctx: _Ctx) -> _Tok:
    start = periods.week_start(ctx.today, ctx.week_start) - timedelta(days=7)
    ctx_compare = PREVIOUS_PERIOD if re.search(r"previous|prior", m.group(0), re.I) else None
    return _range_tok(
        m.span(), start, start + timedelta(days=7), "last week", ctx_compare=ctx_compare
    )


@_rule(
    r"(?:上上|再上一?)(?:个)?(?:周|星期|礼拜)" + _NOT_WEEKDAY,
    _L + r"the\s+week\s+before\s+last" + _R,
)
def _week_before_last(m: re.Match[str], ctx: _Ctx) -> _Tok:
    start = periods.week_start(ctx.today, ctx.week_start) - timedelta(days=14)
    return _range_tok(m.span(), start, start + timedelta(days=7), "week before last")


_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


# "上周一共…" is last week + 一共 (in total), not last Monday.
@_rule(r"(?P<w>上上|上|本|这)(?:个|一)?(?:周|星期|礼拜)(?P<d>[一二三四五六日天])(?!共)")
def _weekday(m: re.Match[str], ctx: _Ctx) -> _Tok:
    weeks_back = {"上上": 2, "上": 1}.get(m.group("w"), 0)
    start = periods.week_start(ctx.today, ctx.week_start) - timedelta(days=7 * weeks_back)
    day = start + timedelta(days=(_WEEKDAYS[m.group("d")] - ctx.week_start) % 7)
    return _resolve(m, ctx, _Spec("day", 0, day.month, day.day), day.year)


@_rule(r"(?P<w>上|本|这)(?:个)?(?:周|星期|礼拜)末", _L + r"(?P<en>last|this)\s+weekend" + _R)
def _weekend(m: re.Match[str], ctx: _Ctx) -> _Tok:
    """Saturday-Sunday (independent of week_start): 上周末 = the weekend before this Monday."""
    monday = ctx.today - timedelta(days=ctx.today.weekday())
    g = m.groupdict()
    last = (g.get("w") or g["en"].lower()) in ("上", "last")
    start = monday - timedelta(days=2) if last else monday + timedelta(days=5)
    return _range_tok(
        m.span(), start, start + timedelta(days=2), "last weekend" if last else "this weekend"
    )


@_rule(
    r"(?:本|这一?|这个)月(?:份)?(?!度)",
    _L + r"(?:this\s+month|current\s+month|month[-\s]to[-\s]date|mtd)" + _R,
)
def _this_month(m: re.Match[str], ctx: _Ctx) -> _Tok:
    return _resolve(m, ctx, _Spec("month", 0, ctx.today.month), ctx.today.year, "this month")


def _months_back(m: re.Match[str], ctx: _Ctx, back: int, desc: str, **kw) -> _Tok:
    start = periods.month_start(ctx.today, -back)
    return _resolve(m, ctx, _Spec("month", 0, start.month), start.year, desc, **kw)


@_rule(
    r"上(?:一个|一|个)?月(?:份)?",
    _L + r"(?:last\s+month|(?:the\s+)?(?:previous|prior)\s+month)" + _R,
)
def _last_month(m: re.Match[str], ctx: _Ctx) -> _Tok:
    ctx_compare = PREVIOUS_PERIOD if re.search(r"previous|prior", m.group(0), re.I) else None
    return _months_back(m, ctx, 1, "last month", ctx_compare=ctx_compare)


@_rule(r"(?:上上|再上一?)(?:个)?月(?:份)?", _L + r"the\s+month\s+before\s+last" + _R)
def _month_before_last(m: re.Match[str], ctx: _Ctx) -> _Tok:
    return _months_back(m, ctx, 2, "month before last")


def _quarters_back(m: re.Match[str], ctx: _Ctx, back: int, desc: str, **kw) -> _Tok:
    start = periods.month_start(periods.quarter_start(ctx.today), -3 * back)
    spec = _Spec("quarter", 0, (start.month + 2) // 3)
    return _resolve(m, ctx, spec, start.year, desc, **kw)


@_rule(
    r"(?:本|这一?|这个|当前)季(?:度)?",
    _L + r"(?:this\s+quarter|current\s+quarter|quarter[-\s]to[-\s]date|qtd)" + _R,
)
def _this_quarter(m: re.Match[str], ctx: _Ctx) -> _Tok:
    return _quarters_back(m, ctx, 0, "this quarter")


@_rule(
    r"上(?:一个|一|个)?季(?:度)?",
    _L + r"(?:last\s+quarter|(?:the\s+)?(?:previous|prior)\s+quarter)" + _R,
)
def _last_quarter(m: re.Match[str], ctx: _Ctx) -> _Tok:
    ctx_compare = PREVIOUS_PERIOD if re.search(r"previous|prior", m.group(0), re.I) else None
    return _quarters_back(m, ctx, 1, "last quarter", ctx_compare=ctx_compare)


@_rule(r"上上(?:个)?季(?:度)?", _L + r"the\s+quarter\s+before\s+last" + _R)
def _quarter_before_last(m: re.Match[str], ctx: _Ctx) -> _Tok:
    return _quarters_back(m, ctx, 2, "quarter before last")


@_rule(r"今年(?:度)?|本年(?:度)?", _L + r"(?:this\s+year|current\s+year)" + _R)
def _this_year(m: re.Match[str], ctx: _Ctx) -> _Tok:
    y = ctx.today.year
    return _resolve(m, ctx, _Spec("year", 0), y, "this year", yearref=y)


@_rule(
    r"今年以来|今年至今|年初至今|年初以来|年初到现在|今年到目前为止",
    r"(?:截至|截止(?:到|至)?|直到|到)\s*(?:目前|现在|当前|今天|今日)(?:为止)?|迄今为止|至今为止|到目前为止",
    _L + r"(?:(?:so\s+far\s+)?this\s+year\s+(?:so\s+far|to\s+date)|so\s+far\s+this\s+year"
    r"|year[-\s]to[-\s]date|ytd)" + _R,
)
def _year_to_date(m: re.Match[str], ctx: _Ctx) -> _Tok:
    y = ctx.today.year
    until_now = m.group(0)[:1] in "截直到迄至"
    return _resolve(m, ctx, _Spec("year", 0), y, "year to date", until_now=until_now)


@_rule(
    r"去年(?:全年)?|上一?年(?:度)?",
    _L + r"(?:last\s+year|(?:the\s+)?(?:previous|prior)\s+year)" + _R,
)
def _last_year(m: re.Match[str], ctx: _Ctx) -> _Tok:
    y = ctx.today.year - 1
    return _resolve(
        m, ctx, _Spec("year", 0), y, "last year", yearref=y, ctx_compare=SAME_PERIOD_LAST_YEAR
    )


@_rule(r"前年", _L + r"the\s+year\s+before\s+last" + _R)
def _year_before_last(m: re.Match[str], ctx: _Ctx) -> _Tok:
    y = ctx.today.year - 2
    return _resolve(m, ctx, _Spec("year", 0), y, "year before last", yearref=y)


# ---- seasons -------------------------------------------------------------------------------
# Meteorological seasons (spring = March-May ... winter = December-February): the convention of
# China's weather service and of most English usage. Months written with a season ("this summer
# (Jul-Aug)", "今年夏天（7-8月）") replace it for every mention of that season in the question
# (_season_months), so "vs last summer" compares the same months. Labels name the months.

_SEASON_START = {"spring": 3, "summer": 6, "autumn": 9, "winter": 12}
_SEASON_WORDS = {
    "春": "spring",
    "夏": "summer",
    "秋": "autumn",
    "冬": "winter",
    "spring": "spring",
    "summer": "summer",
    "autumn": "autumn",
    "fall": "autumn",
    "winter": "winter",
}
_SEASON_OFFSET = {
    "今年": 0,
    "本年": 0,
    "this": 0,
    "去年": -1,
    "last": -1,
    "previous": -1,
    "前年": -2,
    "next": 1,
    "明年": 1,
}
# "spring" is also a part ("door spring") and "fall" a verb ("did CSAT fall"): a season only
# after a word that introduces a time.
_SEASON_NEEDS_CONTEXT = {"spring", "fall"}
_SEASON_CONTEXT = re.compile(r"(?<![A-Za-z])(?:in|during|over|since|for|of|the)\s+$", re.I)
_SEASON_MONTHS_ZH = (
    r"(?:\s*\(\s*(?P<m1>"
    + _MON
    + r")\s*月?\s*(?:-|~|到|至)\s*(?P<m2>"
    + _MON
    + r")\s*月(?:份)?\s*\))?"
)
_SEASON_MONTHS_EN = (
    r"(?:\s*\(\s*(?P<em1>"
    + _MONTH_EN
    + r")\.?\s*(?:-|~|to|through)\s*(?P<em2>"
    + _MONTH_EN
    + r")\.?\s*\))?"
)


@_rule(
    r"(?:(?P<mod>今年|本年|去年|前年|明年)|(?P<y>" + _YEAR_ZH + r")\s*年)?\s*(?:的)?\s*"
    r"(?P<s>[春夏秋冬])(?:天|季)(?!节)" + _SEASON_MONTHS_ZH,
    _L + r"(?:(?P<emod>this|last|previous|next)\s+|(?P<ey0>\d{4})\s+)?"
    r"(?P<es>spring|summer|autumn|fall|winter)"
    + _R
    + r"(?:\s*,?\s*(?:of\s+)?(?P<ey>\d{4})(?!\d))?"
    + _SEASON_MONTHS_EN,
)
def _season(m: re.Match[str], ctx: _Ctx) -> _Tok | None:
    g = m.groupdict()
    word = (g.get("s") or g["es"]).lower()
    name = _SEASON_WORDS[word]
    modifier = (g.get("mod") or g.get("emod") or "").lower()
    year = _year(g.get("y") or g.get("ey") or g.get("ey0"))
    introduced = modifier or year or _SEASON_CONTEXT.search(ctx.text[: m.start()])
    if word in _SEASON_NEEDS_CONTEXT and not introduced:
        return None
    first, count = _SEASON_START[name], 3
    if g.get("m1") or g.get("em1"):
        first = _cn_month(m, "m1") if g.get("m1") else _en_month(g["em1"])
        last = _cn_month(m, "m2") if g.get("m2") else _en_month(g["em2"])
        count = (last - first) % 12 + 1
    spec = _Spec("season", 0, first, count, name, months_given=bool(g.get("m1") or g.get("em1")))
    if modifier:  # this winter: the one under way or just ended, from September the coming one
        today = ctx.today
        current = today.year - (1 if name == "winter" and today.month < 9 else 0)
        year = current + _SEASON_OFFSET[modifier]
    return _resolve(m, ctx, spec, year)


def _season_months(ctx: _Ctx, toks: list[_Tok]) -> list[_Tok]:
    """A season's months written once hold for its every mention: "this summer (Jul-Aug) vs
    last summer" compares July-August with July-August."""
    given = {t.spec.name: t.spec for t in toks if t.spec and t.spec.months_given}
    out = []
    for tok in toks:
        spec = tok.spec
        if spec is not None and spec.unit == "season" and spec.name in given:
            months = given[spec.name]
            spec = replace(spec, index=months.index, day=months.day, months_given=True)
            phrase = ctx.text[tok.start : tok.end]
            tok = replace(
                _spec_tok((tok.start, tok.end), spec, phrase, tok.desc),
                year_given=tok.year_given,
                compared=tok.compared,
            )
        out.append(tok)
    return out


# ---- rolling windows -----------------------------------------------------------------------

_ROLLING_UNITS = {
    "天": "day",
    "日": "day",
    "周": "week",
    "星期": "week",
    "礼拜": "week",
    "月": "month",
    "季度": "quarter",
    "季": "quarter",
    "年": "year",
}


def _rolling(m: re.Match[str], ctx: _Ctx, n: int, unit: str) -> _Tok:
    phrase, today = m.group(0), ctx.today
    if n < 1:
        raise TimeParseError(phrase, f"a window of {n} {unit}s is empty")
    plural = "s" if n > 1 else ""
    try:
        if unit in ("day", "week"):
            days = n * (7 if unit == "week" else 1)
            return _range_tok(
                m.span(), today - timedelta(days=days), today, f"last {n} {unit}{plural}"
            )
        if unit == "quarter":
            end = periods.quarter_start(today)
            return _range_tok(
                m.span(), periods.month_start(end, -3 * n), end, f"last {n} full quarter{plural}"
            )
        months = n * (12 if unit == "year" else 1)
        end = periods.month_start(today)
        return _range_tok(
            m.span(),
            periods.month_start(end, -months),
            end,
            f"last {months} full month{'s' if months > 1 else ''}",
        )
    except (OverflowError, ValueError):
        raise TimeParseError(phrase, "it reaches outside the supported dates") from None


@_rule(
    r"(?:最近|近|过去|过往)\s*(?:的)?\s*(?P<n>" + _NUM + r")\s*(?:个)?\s*"
    r"(?P<u>天|日|周|星期|礼拜|月|季度|季|年)(?:内|以来|来)?"
)
def _rolling_zh(m: re.Match[str], ctx: _Ctx) -> _Tok:
    return _rolling(m, ctx, chinese_number(m.group("n")), _ROLLING_UNITS[m.group("u")])


@_rule(
    r"(?:(?:最近|近|过去|过往)\s*(?:的)?\s*(?:一个)?|(?<![上下一]))半年(?!度|前|后)(?:内|以来|来)?"
)
def _half_year_rolling(m: re.Match[str], ctx: _Ctx) -> _Tok:
    return _rolling(m, ctx, 6, "month")


@_rule(
    _L
    + r"(?:the\s+)?(?:last|past|previous|prior|trailing|rolling|recent)\s+(?P<n>"
    + _EN_NUM
    + r")\s+(?P<u>day|week|month|quarter|year)s?"
    + _R,
    _L + r"(?:the\s+)?past\s+(?P<u1>day|week|month|quarter|year)" + _R,
    _L + r"(?-i:TTM|LTM|L12M)" + _R,
)
def _rolling_en(m: re.Match[str], ctx: _Ctx) -> _Tok:
    groups = m.groupdict()
    if groups.get("u"):
        return _rolling(m, ctx, chinese_number(groups["n"]), groups["u"].lower())
    if groups.get("u1"):
        return _rolling(m, ctx, 1, groups["u1"].lower())
    return _rolling(m, ctx, 12, "month")


# ---- festivals -----------------------------------------------------------------------------


def _festival(m: re.Match[str], ctx: _Ctx, name: str) -> _Tok | None:
    return _resolve(
        m,
        ctx,
        _Spec("festival", 0, name=name),
        _year(m.groupdict().get("y") or m.groupdict().get("y2")),
    )


@_rule(
    r"(?:(?P<y>" + _YEAR_ZH + r")\s*年?\s*)?(?:双十一|双11|雙十一|雙11)(?:期间|大促)?",
    _L + r"(?:double\s*(?:11|eleven)|singles'?\s*day)(?:\s+(?P<y2>\d{4}))?" + _R,
)
def _double11(m: re.Match[str], ctx: _Ctx) -> _Tok | None:
    return _festival(m, ctx, "double11")


@_rule(r"(?:(?P<y>\d{4})\s*年?\s*)?(?<![\d.#/])(?:618|六一八)(?![\d.%])(?:期间|大促)?")
def _six_eighteen(m: re.Match[str], ctx: _Ctx) -> _Tok | None:
    if not m.group("y") and (
        _ID_BEFORE.search(ctx.text[: m.start()]) or _UNIT_AFTER_NUMBER.match(ctx.text, m.end())
    ):
        return None
    return _festival(m, ctx, "618")


@_rule(
    r"(?:(?P<y>" + _YEAR_ZH + r")\s*年\s*)?(?:春节|春節|农历新年)(?:期间|假期)?",
    _L + r"(?:spring\s+festival|(?:chinese|lunar)\s+new\s+year)(?:\s+(?P<y2>\d{4}))?" + _R,
)
def _spring(m: re.Match[str], ctx: _Ctx) -> _Tok | None:
    return _festival(m, ctx, "spring")


# 国庆 / 五一 inside a person's name (张国庆) are not holidays: the holiday word stands at the
# start, after a non-Chinese character, or after a word that leads into a period.
_HOLIDAY_BEFORE = r"(?:(?<![\u4e00-\u9fff])|(?<=[年的在和与跟比同及从到至今去前后是看这那、，]))"


@_rule(
    r"(?:(?P<y>"
    + _YEAR_ZH
    + r")\s*年\s*)?"
    + _HOLIDAY_BEFORE
    + r"(?:国庆节?|國慶節?|十一黄金周|十一长假|十一假期)(?:期间|假期|长假|黄金周|七天)?",
    _L
    + r"(?:national\s+day(?:\s+(?:holiday|golden\s+week))?|october\s+golden\s+week)"
    + r"(?:\s+(?P<y2>\d{4}))?"
    + _R,
)
def _national_day(m: re.Match[str], ctx: _Ctx) -> _Tok | None:
    return _festival(m, ctx, "national_day")


@_rule(
    r"(?:(?P<y>"
    + _YEAR_ZH
    + r")\s*年\s*)?"
    + _HOLIDAY_BEFORE
    + r"(?:(?<![〇零一二三四五六七八九十百千两第\d])五一(?:劳动节|節|节)?"
    + r"(?![〇零一二三四五六七八九十百千万\d月日号個个%％.])|劳动节|勞動節)"
    + r"(?:期间|假期|长假|黄金周)?",
    _L + r"may\s+day(?:\s+holiday)?(?:\s+(?P<y2>\d{4}))?" + _R,
)
def _may_day(m: re.Match[str], ctx: _Ctx) -> _Tok | None:
    return _festival(m, ctx, "may_day")


# ---- days ----------------------------------------------------------------------------------


@_rule(
    r"(?<![\d.])(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)",
    r"(?:(?P<y>"
    + _YEAR_ZH
    + r")\s*年\s*)?(?P<m>"
    + _MON
    + r")\s*月\s*(?P<d>"
    + _DAY
    + r")\s*(?:日|号)",
)
def _day_numeric(m: re.Match[str], ctx: _Ctx) -> _Tok:
    month = _cn_month(m, "m")
    day = _check_day(m, month, chinese_number(m.group("d")))
    return _resolve(m, ctx, _Spec("day", 0, month, day), _year(m.group("y")))


@_rule(r"(?:(?P<y>" + _YEAR_ZH + r")\s*年\s*)?(?P<m>" + _MON + r")\s*月(?:份)?(?:底|末)")
def _month_end(m: re.Match[str], ctx: _Ctx) -> _Tok:
    return _resolve(m, ctx, _Spec("day", 0, _cn_month(m, "m"), -1), _year(m.group("y")))


def _en_month(text: str) -> int:
    return _MONTHS[text.lower().rstrip(".")[:3]]


@_rule(
    _L + r"(?P<mon>" + _MONTH_EN + r")\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?![\d:])"
    r"(?:,?\s+(?P<y>\d{4})(?!\d))?",
    r"(?<![\d.])(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>"
    + _MONTH_EN
    + r")\.?"
    + _R
    + r"(?:,?\s+(?P<y>\d{4})(?!\d))?",
)
def _day_en(m: re.Match[str], ctx: _Ctx) -> _Tok:
    month = _en_month(m.group("mon"))
    day = _check_day(m, month, int(m.group("d")))
    return _resolve(m, ctx, _Spec("day", 0, month, day), _year(m.group("y")))


@_rule(
    r"(?:(?P<y>"
    + _YEAR_ZH
    + r")\s*年\s*)?(?P<m>"
    + _MON
    + r")\s*月\s*(?P<d1>"
    + _DAY
    + r")\s*(?:日|号)?"
    + _SEP
    + r"(?P<d2>"
    + _DAY
    + r")\s*(?:日|号)",
    _L + r"(?P<mon>" + _MONTH_EN + r")\.?\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s*"
    r"(?:-|to|through|until|till)\s*(?P<d2>\d{1,2})(?:st|nd|rd|th)?(?![\d:])"
    r"(?:,?\s+(?P<y>\d{4})(?!\d))?",
)
def _day_range(m: re.Match[str], ctx: _Ctx) -> _Tok:
    month = _en_month(m.group("mon")) if m.groupdict().get("mon") else _cn_month(m, "m")
    d1 = _check_day(m, month, chinese_number(m.group("d1")))
    d2 = _check_day(m, month, chinese_number(m.group("d2")))
    return _merge_specs(
        m, ctx, _Spec("day", 0, month, d1), _Spec("day", 0, month, d2), _year(m.group("y"))
    )


# ---- months --------------------------------------------------------------------------------


@_rule(r"(?:(?P<y>" + _YEAR_ZH + r")\s*年\s*(?:的)?\s*)?(?<!\d)(?P<m>" + _MON + r")\s*月(?:份)?")
def _month_zh(m: re.Match[str], ctx: _Ctx) -> _Tok:
    return _resolve(m, ctx, _Spec("month", 0, _cn_month(m, "m")), _year(m.group("y")))


@_rule(r"(?<![\d.])(?P<y>\d{4})[-/](?P<m>\d{1,2})(?![\d/-])")
def _month_iso(m: re.Match[str], ctx: _Ctx) -> _Tok | None:
    month = int(m.group("m"))
    if not 1 <= month <= 12:
        return None  # "2025-26" is more likely a span of years than month 26
    return _resolve(m, ctx, _Spec("month", 0, month), int(m.group("y")))


_MAY_FOLLOWERS = re.compile(
    r"\s+(?:i|we|you|he|she|they|it|this|that|these|the|a|an|be|not|"
    r"have|need|also|still|want|see|show|ask)\b",
    re.I,
)


@_rule(_L + r"(?P<mon>" + _MONTH_EN + r")\.?" + _R + r"(?:\s*,?\s*(?:of\s+)?(?P<y>\d{4})(?!\d))?")
def _month_en(m: re.Match[str], ctx: _Ctx) -> _Tok:
    weak = False
    if m.group("mon").lower() == "may" and not m.group("y"):
        weak = m.group("mon") == "may" or bool(_MAY_FOLLOWERS.match(ctx.text, m.end()))
    return _resolve(
        m, ctx, _Spec("month", 0, _en_month(m.group("mon"))), _year(m.group("y")), weak=weak
    )


@_rule(
    r"(?:(?P<y>"
    + _YEAR_ZH
    + r")\s*年\s*)?(?<!\d)(?P<m1>"
    + _MON
    + r")"
    + r"\s*(?:-|~|到|至|、)\s*"  # 7、8月: July and August
    + r"(?P<m2>"
    + _MON
    + r")\s*月(?:份)?"
)
def _month_range_zh(m: re.Match[str], ctx: _Ctx) -> _Tok:
    first, second = _cn_month(m, "m1"), _cn_month(m, "m2")
    return _merge_specs(
        m, ctx, _Spec("month", 0, first), _Spec("month", 0, second), _year(m.group("y"))
    )


@_rule(
    r"(?:(?P<y>"
    + _YEAR_ZH
    + r"|今年|去年|本年)\s*年?\s*(?:的)?\s*)?前\s*(?P<n>"
    + _NUM
    + r")\s*(?:个)?\s*(?P<u>季度|月)"
)
def _first_n(m: re.Match[str], ctx: _Ctx) -> _Tok | None:
    """今年前三季度 = Q1-Q3; 2025年前5个月 = Jan-May. Bare 前三个月 is ambiguous: no match."""
    y, n = m.group("y"), chinese_number(m.group("n"))
    relative = {"今年": ctx.today.year, "本年": ctx.today.year, "去年": ctx.today.year - 1}
    year = relative[y] if y in relative else _year(y)
    if m.group("u") == "月":
        if year is None:
            return None
        if not 1 <= n <= 12:
            raise TimeParseError(m.group(0), f"a year has 12 months, not {n}")
        return _merge_specs(m, ctx, _Spec("month", 0, 1), _Spec("month", 0, n), year)
    if not 1 <= n <= 4:
        raise TimeParseError(m.group(0), f"a year has 4 quarters, not {n}")
    return _merge_specs(m, ctx, _Spec("quarter", 0, 1), _Spec("quarter", 0, n), year)


# ---- quarters, halves, years, ISO weeks ----------------------------------------------------


def _quarter_no(m: re.Match[str], group: str) -> int:
    value = chinese_number(m.group(group))
    if not 1 <= value <= 4:
        raise TimeParseError(m.group(0), f"a year has 4 quarters, there is no quarter {value}")
    return value


@_rule(
    r"(?:(?P<y>"
    + _YEAR_ZH
    + r")\s*年(?:度)?\s*(?:的)?\s*)?第?\s*(?<![\d])(?P<q>[一二三四五六七八九]|\d)"
    r"\s*季度",
    r"(?<![A-Za-z0-9])(?:(?:FY)?(?P<y>\d{4})\s*(?:年|-|/)?\s*)?Q(?P<q>[1-4])(?![A-Za-z0-9])"
    r"(?:\s*(?:of\s+)?(?:FY)?(?P<y2>\d{4})(?!\d))?",
    _L
    + r"(?:the\s+)?(?P<o>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter"
    + _R
    + r"(?:\s*,?\s*(?:of\s+)?(?P<y3>\d{4})(?!\d))?",
)
def _quarter(m: re.Match[str], ctx: _Ctx) -> _Tok:
    g = m.groupdict()
    q = _ORDINALS[g["o"].lower()] if g.get("o") else _quarter_no(m, "q")
    return _resolve(m, ctx, _Spec("quarter", 0, q), _year(g.get("y") or g.get("y2") or g.get("y3")))


@_rule(
    r"(?:(?P<y1>"
    + _YEAR_ZH
    + r")\s*年\s*)?第?\s*(?P<q1>[一二三四]|[1-4])"
    + _SEP
    + r"第?\s*(?P<q2>[一二三四五六七八九]|\d)\s*季度"
)
def _quarter_range_zh(m: re.Match[str], ctx: _Ctx) -> _Tok:
    first, second = _quarter_no(m, "q1"), _quarter_no(m, "q2")
    return _merge_specs(
        m, ctx, _Spec("quarter", 0, first), _Spec("quarter", 0, second), _year(m.group("y1"))
    )


@_rule(
    r"(?:(?P<y>" + _YEAR_ZH + r")\s*年(?:度)?\s*(?:的)?\s*)?(?P<h>上|下)半年(?:度)?",
    r"(?<![A-Za-z0-9])(?:(?P<y2>\d{4})\s*-?\s*)?(?:H(?P<h2>[12])|(?P<h3>[12])H)(?![A-Za-z0-9])"
    r"(?:\s*(?P<y3>\d{4})(?!\d))?",
    _L
    + r"(?:the\s+)?(?P<o>first|second)\s+half(?:\s+of\s+the\s+year)?"
    + _R
    + r"(?:\s*,?\s*(?:of\s+)?(?P<y4>\d{4})(?!\d))?",
)
def _half(m: re.Match[str], ctx: _Ctx) -> _Tok:
    g = m.groupdict()
    if g.get("h"):
        h = 1 if g["h"] == "上" else 2
    elif g.get("o"):
        h = 1 if g["o"].lower() == "first" else 2
    else:
        h = int(g.get("h2") or g.get("h3"))
    year = _year(g.get("y") or g.get("y2") or g.get("y3") or g.get("y4"))
    return _resolve(m, ctx, _Spec("half", 0, h), year)


@_rule(
    r"(?<![\d#.A-Za-z])(?:(?P<fy>FY|CY)\s?)?(?P<y>(?:19|20)\d{2})(?P<zh>\s*(?:年度?|财年))?"
    r"(?![\d%]|\.\d)",
    r"(?<![A-Za-z0-9])FY\s?(?P<yy>\d{2})(?!\d)",
    r"(?<![\d])(?P<cy>[〇零一二三四五六七八九]{4})\s*年(?:度)?",
    r"(?:财年|财政年度)\s*(?P<y>(?:19|20)\d{2})",
)
def _year_rule(m: re.Match[str], ctx: _Ctx) -> _Tok | None:
    g = m.groupdict()
    if g.get("yy"):
        year = 2000 + int(g["yy"])
    elif g.get("cy"):
        year = chinese_number(g["cy"])
    else:
        year = int(g["y"])
        bare = not (g.get("zh") or g.get("fy")) and not m.group(0).startswith("财")
        if bare and (
            _ID_BEFORE.search(ctx.text[: m.start()]) or _UNIT_AFTER_NUMBER.match(ctx.text, m.end())
        ):
            return None
    return _resolve(m, ctx, _Spec("year", 0), year, yearref=None)


@_rule(r"(?<!\d)(?P<y1>\d{4})\s*(?:-|~|到|至)\s*(?P<y2>\d{4})\s*年(?:度)?")
def _year_range_zh(m: re.Match[str], ctx: _Ctx) -> _Tok:
    return _merge_specs(
        m, ctx, _Spec("year", 0), _Spec("year", 0), int(m.group("y1")), int(m.group("y2"))
    )


def _week_no(m: re.Match[str], group: str) -> int:
    value = chinese_number(m.group(group))
    if not 1 <= value <= 53:
        raise TimeParseError(m.group(0), f"ISO weeks run from 1 to 53, there is no week {value}")
    return value


@_rule(
    r"(?:(?P<y>" + _YEAR_ZH + r")\s*年\s*(?:的)?\s*)?第\s*(?P<w>" + _NUM + r")\s*(?:个)?周",
    _L + r"(?:week|wk)\s*#?\s*(?P<w2>\d{1,2})(?!\d)(?:\s*,?\s*(?:of\s+)?(?P<y2>\d{4})(?!\d))?",
    r"(?<![A-Za-z0-9])(?:(?P<y3>\d{4})\s*-?\s*)?W(?P<w3>\d{1,2})(?![A-Za-z0-9])",
)
def _iso_week(m: re.Match[str], ctx: _Ctx) -> _Tok:
    g = m.groupdict()
    group = "w" if g.get("w") else ("w2" if g.get("w2") else "w3")
    spec = _Spec("isoweek", 0, _week_no(m, group))
    return _resolve(m, ctx, spec, _year(g.get("y") or g.get("y2") or g.get("y3")))


@_rule(
    r"(?:(?P<y>"
    + _YEAR_ZH
    + r")\s*年\s*)?第\s*(?P<w1>"
    + _NUM
    + r")"
    + _SEP
    + r"第?\s*(?P<w2>"
    + _NUM
    + r")\s*周",
    _L + r"weeks?\s*(?P<w3>\d{1,2})\s*(?:-|to|through)\s*(?P<w4>\d{1,2})(?!\d)"
    r"(?:\s*,?\s*(?:of\s+)?(?P<y2>\d{4})(?!\d))?",
)
def _iso_week_range(m: re.Match[str], ctx: _Ctx) -> _Tok:
    g = m.groupdict()
    a, b = ("w1", "w2") if g.get("w1") else ("w3", "w4")
    first = _Spec("isoweek", 0, _week_no(m, a))
    return _merge_specs(
        m, ctx, first, _Spec("isoweek", 0, _week_no(m, b)), _year(g.get("y") or g.get("y2"))
    )


# --------------------------------------------------------------------------------------------
# Scanner and combination passes


def _scan(ctx: _Ctx) -> list[_Tok]:
    text, pos, out = ctx.text, 0, []
    while pos < len(text):
        candidates = []
        for order, (pattern, resolve) in enumerate(_RULES):
            m = pattern.match(text, pos)
            if m and m.end() > pos:
                candidates.append((-(m.end() - pos), order, m, resolve))
        tok = None
        for _, _, m, resolve in sorted(candidates, key=lambda c: (c[0], c[1])):
            tok = resolve(m, ctx)
            if tok is not None:
                break
        if tok is None:
            pos += 1
        else:
            out.append(tok)
            pos = tok.end
    return out


def _merge(a: _Tok, b: _Tok, span: tuple[int, int], phrase: str, desc: str = "") -> _Tok:
    """[start of a, end of b); a later period without a year takes the earlier one's."""
    assert a.rng is not None and b.rng is not None
    if b.spec is not None and not b.year_given:
        b = _with_year(b, a.rng[0].year, phrase)
        if b.rng[0] < a.rng[0]:
            b = _with_year(b, a.rng[0].year + 1, phrase)
    elif a.spec is not None and not a.year_given and b.year_given:
        a = _with_year(a, b.rng[0].year, phrase)
        if a.rng[0] > b.rng[0]:
            a = _with_year(a, b.rng[0].year - 1, phrase)
    start, end = a.rng[0], b.rng[1]
    if end <= start:
        raise TimeParseError(phrase, f"it ends ({b.rng[1] - ONE_DAY}) before it starts ({start})")
    kind = a.spec.unit if a.spec and b.spec and a.spec.unit == b.spec.unit else None
    return _range_tok(
        span,
        start,
        end,
        desc,
        year_given=a.year_given or b.year_given,
        span_grain=_GRAIN_OF.get(kind),
    )


# The grain of a span between two periods of one kind ("5月到8月": month).
_GRAIN_OF = {
    "day": "day",
    "isoweek": "week",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
}


def _with_year(tok: _Tok, year: int, phrase: str) -> _Tok:
    if tok.parts is not None:  # 去年7-8月: the span's first period takes the year
        span = (tok.start, tok.end)
        first = replace(_spec_tok(span, replace(tok.parts[0], year=year), phrase), year_given=True)
        second = replace(
            _spec_tok(span, replace(tok.parts[1], year=year), phrase), year_given=False
        )
        return replace(_merge(first, second, span, phrase, tok.desc), compared=tok.compared)
    assert tok.spec is not None
    spec = replace(tok.spec, year=year)
    return replace(_spec_tok((tok.start, tok.end), spec, phrase), year_given=True, desc=tok.desc)


def _gap(text: str, a: _Tok, b: _Tok) -> str:
    return text[a.end : b.start]


_BIND_BEFORE = re.compile(r"\s*(?:的)?\s*|\s*'s\s+", re.I)
_BIND_AFTER = re.compile(r"\s*,?\s+(?:of\s+|in\s+)?|\s*,?\s*(?:of\s+)", re.I)


def _bind_years(text: str, toks: list[_Tok]) -> list[_Tok]:
    """去年10月, 2026年 第三季度, Q3 last year, last year's Q3: give a bare period its year."""

    def yearish(t: _Tok) -> int | None:
        if t.yearref is not None:
            return t.yearref
        if t.spec is not None and t.spec.unit == "year" and t.year_given:
            return t.spec.year
        return None

    def bare(t: _Tok) -> bool:
        if t.parts is not None:
            return not t.year_given
        return t.spec is not None and not t.year_given and t.spec.unit != "year"

    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        if i + 1 < len(toks):
            a, b = toks[i], toks[i + 1]
            gap = _gap(text, a, b)
            year, target = None, None
            if yearish(a) is not None and bare(b) and _BIND_BEFORE.fullmatch(gap):
                year, target = yearish(a), b
            elif bare(a) and yearish(b) is not None and _BIND_AFTER.fullmatch(gap):
                year, target = yearish(b), a
            if target is not None:
                phrase = text[a.start : b.end]
                bound = _with_year(target, year, phrase)
                out.append(replace(bound, start=a.start, end=b.end, weak=False))
                i += 2
                continue
        out.append(toks[i])
        i += 1
    return out


_CONNECTOR = re.compile(
    r"\s*(?:(?P<and>and|和|与|跟)|到|至|~|-|to|through|thru|until|till|up\s+to|截至|截止(?:到|至)?|直到)\s*",
    re.I,
)
_FROM_BEFORE = re.compile(r"(?:(?P<between>between|介于|在)|from|从|自)\s*$", re.I)
_RANGE_AFTER = re.compile(r"\s*(?:之间|期间|为止|止|\(?inclusive\)?)", re.I)


def _merge_ranges(ctx: _Ctx, toks: list[_Tok]) -> list[_Tok]:
    """5月到8月, from May to August, between A and B, 6月至今天, 从6月到目前为止."""
    text, out, i = ctx.text, [], 0
    while i < len(toks):
        if i + 1 < len(toks) and toks[i].kind == "range" and toks[i + 1].kind == "range":
            a, b = toks[i], toks[i + 1]
            gap = _gap(text, a, b)
            prev_end = out[-1].end if out else 0
            before = _FROM_BEFORE.search(text[prev_end : a.start])
            conn = _CONNECTOR.fullmatch(gap)
            merged = None
            if b.until_now and not gap.strip():
                start = before.start() + prev_end if before else a.start
                merged = _since(a, (start, b.end), ctx)
            elif conn and (not conn.group("and") or (before and before.group("between"))):
                start = before.start() + prev_end if before else a.start
                after = _RANGE_AFTER.match(text, b.end)
                end = after.end() if after else b.end
                merged = _merge(a, b, (start, end), text[start:end])
            if merged is not None:
                out.append(merged)
                i += 2
                continue
        out.append(toks[i])
        i += 1
    return out


def _since(a: _Tok, span: tuple[int, int], ctx: _Ctx) -> _Tok:
    assert a.rng is not None
    if a.rng[0] > ctx.today:
        raise TimeParseError(
            ctx.text[span[0] : span[1]], f"it starts ({a.rng[0]}) after today ({ctx.today})"
        )
    return _range_tok(span, a.rng[0], ctx.today + ONE_DAY, f"since {a.canon}")


_SINCE_BEFORE = re.compile(
    r"(?:(?P<strong>(?<![A-Za-z])since(?:\s+the\s+(?:start|beginning)\s+of)?|自从|"
    r"(?<![来亲各独])自)|(?P<weak>从|from))\s*$",
    re.I,
)
_SINCE_AFTER = re.compile(
    r"\s*(?:(?P<strong>以来|至今|到现在|到目前为止|迄今|起|开始"
    r"|to\s+date|so\s+far|till\s+now|until\s+now|up\s+to\s+now)"
    r"|(?P<weak>\s+onwards?|\s+on(?![A-Za-z])))",
    re.I,
)
_UNTIL_BEFORE = re.compile(
    r"(?:(?P<strong>截至|截止(?:到|至)?|直到|(?<![A-Za-z])(?:until|till|up\s+(?:un)?to"
    r"|through|as\s+of))|(?P<weak>到))\s*$",
    re.I,
)
_UNTIL_AFTER = re.compile(r"\s*(?:为止|止)")


def _since_until(ctx: _Ctx, toks: list[_Tok]) -> list[_Tok]:
    text, out = ctx.text, []
    for i, tok in enumerate(toks):
        if tok.kind != "range" or tok.until_now:
            out.append(tok)
            continue
        prev_end = out[-1].end if out else 0
        next_start = toks[i + 1].start if i + 1 < len(toks) else len(text)
        before_text = text[prev_end : tok.start]
        before = _SINCE_BEFORE.search(before_text)
        after = _SINCE_AFTER.match(text[:next_start], tok.end)
        start = prev_end + before.start() if before else tok.start
        if after and after.group("weak") and not (before and before.group("weak")):
            after = None  # "on" / "onwards" only after "from"
        if (before and before.group("strong")) or after:
            end = after.end() if after else tok.end
            out.append(replace(_since(tok, (start, end), ctx), weak=False))
            continue
        until = _UNTIL_BEFORE.search(before_text)
        until_after = _UNTIL_AFTER.match(text[:next_start], tok.end)
        if until and (until.group("strong") or until_after):
            assert tok.rng is not None
            span = (prev_end + until.start(), until_after.end() if until_after else tok.end)
            last = tok.rng[1] - ONE_DAY
            out.append(_range_tok(span, date(last.year, 1, 1), tok.rng[1], f"up to {tok.canon}"))
            continue
        out.append(tok)
    return out


_COMPARE_STRONG = re.compile(
    r"(?:对比|相比于?|相较于?|比起|比较|较之?|(?<![占对相环同好评排])比"
    r"|(?<![A-Za-z])(?:vs\.?|versus|compared\s+(?:to|with)|in\s+comparison\s+(?:to|with)|against"
    r"|than|relative\s+to))\s*$",
    re.I,
)
_COMPARE_WEAK = re.compile(r"(?:和|与|跟|同)\s*$")
_COMPARE_AFTER = re.compile(r"\s*(?:相比较?|比较|对比|相比|比)")


def _comparisons(ctx: _Ctx, toks: list[_Tok]) -> list[_Tok]:
    """和上个月比 / vs Q2 (a range in a comparison); vs last year (= same period last year)."""
    text, out = ctx.text, []
    for i, tok in enumerate(toks):
        if tok.kind == "grain":
            out.append(tok)
            continue
        prev_end = out[-1].end if out else 0
        next_start = toks[i + 1].start if i + 1 < len(toks) else len(text)
        before_text = text[prev_end : tok.start]
        strong = _COMPARE_STRONG.search(before_text)
        weak = _COMPARE_WEAK.search(before_text)
        after = _COMPARE_AFTER.match(text[:next_start], tok.end)
        before = strong or (weak if after else None)
        if before is None:
            out.append(tok)
            continue
        span = (prev_end + before.start(), after.end() if after else tok.end)
        if tok.kind == "range" and tok.ctx_compare:
            out.append(_Tok(span[0], span[1], "compare", compare=tok.ctx_compare))
        else:
            out.append(replace(tok, start=span[0], end=span[1], weak=False, compared=True))
    return out


_GRAIN_AFTER_RANGE = re.compile(r"\s*(?:的)?\s*|\s*,\s*")
_GRAIN_BEFORE_RANGE = re.compile(r"\s*(?:的)?\s*|\s+(?:for|over|in|during)(?:\s+the)?\s+", re.I)


def _fuse_grains(text: str, toks: list[_Tok]) -> list[_Tok]:
    """近30天每天 / weekly for the last 8 weeks: one range with its grain."""
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        if i + 1 < len(toks):
            a, b = toks[i], toks[i + 1]
            gap = _gap(text, a, b)
            fused = None
            range_then_grain = a.kind == "range" and b.kind == "grain" and a.grain is None
            grain_then_range = a.kind == "grain" and b.kind == "range" and b.grain is None
            if range_then_grain and _GRAIN_AFTER_RANGE.fullmatch(gap):
                fused = replace(a, end=b.end, grain=b.grain)
            elif grain_then_range and _GRAIN_BEFORE_RANGE.fullmatch(gap):
                fused = replace(b, start=a.start, grain=a.grain)
            if fused is not None:
                out.append(fused)
                i += 2
                continue
        out.append(toks[i])
        i += 1
    return out


_TIME_PREPOSITION = re.compile(
    r"(?<![A-Za-z])(?:in|during|for|of|since|from|until|till|through|to|between|and|vs\.?|versus"
    r"|than|over|before|after|by|early|late|mid)\s+$",
    re.I,
)


def _drop_weak(text: str, toks: list[_Tok]) -> list[_Tok]:
    """A bare lowercase "may" (or "May I...") is a verb unless a preposition introduces it."""
    return [t for t in toks if not t.weak or _TIME_PREPOSITION.search(text[: t.start])]


# --------------------------------------------------------------------------------------------
# Public entry point

_FULLWIDTH_EXTRA = {"\u3000": " ", "\u301c": "~", "\u2018": "'", "\u2019": "'", "\u2212": "-"}


def _normalise(text: str) -> str:
    """Full-width ASCII and dashes to ASCII, one character for one (spans stay valid)."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            ch = chr(code - 0xFEE0)
        elif 0x2010 <= code <= 0x2015:
            ch = "-"
        else:
            ch = _FULLWIDTH_EXTRA.get(ch, ch)
        out.append(ch)
    return "".join(out)


def _to_match(tok: _Tok, question: str, today: date) -> TimeMatch:
    span = (tok.start, tok.end)
    text = question[tok.start : tok.end]
    if tok.kind == "grain":
        return TimeMatch(None, None, span, text, grain_hint=tok.grain)
    if tok.kind == "compare":
        return TimeMatch(None, tok.compare, span, text)
    assert tok.rng is not None
    start, end = tok.rng
    notes = [tok.desc] if tok.desc else []
    canon = tok.canon
    if start <= today < end:
        end = today + ONE_DAY
        if tok.spec is None:  # a span of days: show the days actually covered
            canon = _range_canon(start, end)
        if not tok.desc.startswith("since") and tok.desc != "year to date":
            notes.append("to date")
    label = canon + (f" ({', '.join(notes)})" if notes else "")
    return TimeMatch(
        TimeRange(start, end, tok.grain, label),
        None,
        span,
        text,
        grain_hint=tok.grain,
        compared=tok.compared,
        span_grain=tok.span_grain,
    )


def parse_time(question: str, today: date, *, week_start: int = 0) -> list[TimeMatch]:
    """Every time phrase in `question`, left to right, resolved against `today`.

    `week_start` is the first day of a week for 本周/上周/this week (0 = Monday ... 6 = Sunday).
    Raises TimeParseError for a phrase that names an impossible date ("2026年13月", "2月30日").
    """
    if not 0 <= week_start <= 6:
        raise ValueError(f"week_start must be 0 (Monday) to 6 (Sunday), got {week_start}")
    ctx = _Ctx(_normalise(question), today, week_start)
    toks = _season_months(ctx, _scan(ctx))
    toks = _bind_years(ctx.text, toks)
    toks = _merge_ranges(ctx, toks)
    toks = _since_until(ctx, toks)
    toks = _comparisons(ctx, toks)
    toks = _fuse_grains(ctx.text, toks)
    toks = _drop_weak(ctx.text, toks)
    return [_to_match(tok, question, today) for tok in toks]
