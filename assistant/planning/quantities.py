"""Numbers with a unit in a question change the number asked for: "首次响应超过30分钟的大区",
"tickets reopened more than 2 times", "48小时内解决的工单". Each one is either bound to the
metric before it as a threshold in that metric's own unit (30分钟 on an hours metric is 0.5),
or it is left over, so the planner asks instead of answering without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.planning import words

# unit word -> (kind, factor to the kind's base unit: hours for durations)
_UNITS: dict[str, tuple[str, float]] = {
    **dict.fromkeys(("秒钟", "秒", "seconds", "second", "secs", "sec"), ("duration", 1 / 3600)),
    **dict.fromkeys(("分钟", "minutes", "minute", "mins", "min"), ("duration", 1 / 60)),
    **dict.fromkeys(("个小时", "小时", "hours", "hour", "hrs", "hr", "h"), ("duration", 1.0)),
    **dict.fromkeys(("个工作日", "工作日", "天", "days", "day"), ("duration", 24.0)),
    **dict.fromkeys(("%", "％", "percent", "per cent"), ("percent", 1.0)),
    **dict.fromkeys(
        ("单", "件", "个", "起", "笔", "份", "张", "tickets", "ticket", "complaints", "complaint")
        + ("orders", "order", "responses", "response", "cases", "case"),
        ("count", 1.0),
    ),
    **dict.fromkeys(("分", "points", "point", "pts", "pt"), ("points", 1.0)),
    **dict.fromkeys(("元", "块", "yuan", "cny", "rmb"), ("money", 1.0)),
    **dict.fromkeys(("次", "遍", "回", "times", "time"), ("times", 1.0)),
}
# A metric's unit -> (the kind of unit a threshold on it may carry, hours per metric unit).
_METRIC_UNITS: dict[str, tuple[str, float]] = {
    "hours": ("duration", 1.0),
    "minutes": ("duration", 1 / 60),
    "%": ("percent", 1.0),
    "tickets": ("count", 1.0),
    "complaints": ("count", 1.0),
    "orders": ("count", 1.0),
    "responses": ("count", 1.0),
    "points": ("points", 1.0),
    "score": ("points", 1.0),
    "CNY": ("money", 1.0),
}


def _alternation(units: list[str]) -> str:
    """Longest first; an English unit ends at a word edge ("min" is not "minimum")."""
    return (
        "(?:"
        + "|".join(
            rf"{re.escape(u)}(?![a-z])" if u.isascii() and u[-1].isalpha() else re.escape(u)
            for u in sorted(units, key=len, reverse=True)
        )
        + ")"
    )


_NUMBER = r"(?<![\d.])\d+(?:\.\d+)?"
_OPS = "|".join(
    re.escape(w) for w in sorted(words.GREATER_WORDS + words.LESS_WORDS, key=len, reverse=True)
)
_EVERY_UNIT = _alternation(list(_UNITS))
_CONDITION_UNIT = _alternation([u for u, (k, _) in _UNITS.items() if k in ("duration", "times")])

# "超过30分钟", "more than 2 times", "低于75": a comparison, a number, maybe a unit.
THRESHOLD = re.compile(
    rf"(?<![a-z])(?P<op>{_OPS})\s*(?P<number>{_NUMBER})\s*(?P<unit>{_EVERY_UNIT})?"
)
# "48小时内", "within 3 days", "2 times": a number with a unit of duration or of repetitions
# outside a threshold: a condition nothing in the catalog places.
CONDITION = re.compile(
    rf"(?:(?:within|in|under|after|for)\s+)?(?P<number>{_NUMBER})\s*(?P<unit>{_CONDITION_UNIT})"
    r"(?:以内|之内|内|以上|以下)?"
)


@dataclass(frozen=True)
class Threshold:
    start: int
    end: int
    greater: bool
    value: float  # in the metric's own unit


def threshold_on(hit: re.Match[str], metric_unit: str) -> Threshold | None:
    """The threshold a THRESHOLD hit sets on a metric of ``metric_unit``, in that unit; None
    when the unit written is not one the metric is measured in ("more than 2 times" on a
    ticket count)."""
    number = float(hit.group("number"))
    greater = hit.group("op") in words.GREATER_WORDS
    unit = hit.group("unit")
    if unit is None:
        return Threshold(hit.start(), hit.end(), greater, number)
    kind, factor = _UNITS[unit]
    metric_kind, hours_per_unit = _METRIC_UNITS.get(metric_unit, ("", 1.0))
    if kind != metric_kind:
        return None
    value = number * factor / hours_per_unit if kind == "duration" else number
    return Threshold(hit.start(), hit.end(), greater, round(value, 10))


def conditions(text: str) -> list[tuple[int, int]]:
    """Spans of every threshold and every number-with-a-duration-or-repetition in ``text``."""
    spans = [m.span() for m in THRESHOLD.finditer(text)]
    for hit in CONDITION.finditer(text):
        if not any(a <= hit.start() < b or a < hit.end() <= b for a, b in spans):
            spans.append(hit.span())
    return sorted(spans)
