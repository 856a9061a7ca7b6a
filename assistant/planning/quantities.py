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
    **dict.fromkeys(
        ("per 1000 orders", "per 1,000 orders", "per thousand orders", "件/千单", "件每千单"),
        ("per_1000_orders", 1.0),
    ),
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
    "per 1,000 orders": ("per_1000_orders", 1.0),
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
_EVERY_UNIT = _alternation(list(_UNITS))
_CONDITION_UNIT = _alternation([u for u, (k, _) in _UNITS.items() if k in ("duration", "times")])
_OP_OF = {w: op for op, ws in words.THRESHOLD_WORDS.items() for w in ws}
_OP_AFTER_OF = {w: op for op, ws in words.THRESHOLD_WORDS_AFTER.items() for w in ws}

# "超过30分钟", "不超过2天", "at least 80%", "75%以下", "80 or more": a comparison word before the
# number, or after it and its unit.
THRESHOLD = re.compile(
    rf"(?<![a-z])(?P<op>{_alternation(list(_OP_OF))})\s*(?P<number>{_NUMBER})\s*"
    rf"(?P<unit>{_EVERY_UNIT})?"
    rf"|(?P<number2>{_NUMBER})\s*(?P<unit2>{_EVERY_UNIT})?\s*(?P<after>{_alternation(list(_OP_AFTER_OF))})"
)
# "48小时内", "within 3 days", "2 times": a number with a unit of duration or of repetitions
# outside a threshold: a condition nothing in the catalog places.
CONDITION = re.compile(
    rf"(?:(?:within|in|under|after|for)\s+)?(?P<number>{_NUMBER})\s*(?P<unit>{_CONDITION_UNIT})"
    r"(?:以内|之内|内)?"
)


@dataclass(frozen=True)
class Threshold:
    op: str  # > < >= <=
    value: float  # in the metric's own unit


def threshold_on(hit: re.Match[str], metric_unit: str) -> Threshold | None:
    """The threshold a THRESHOLD hit sets on a metric of ``metric_unit``, in that unit; None
    when the unit written is not one the metric is measured in ("more than 2 times" on a
    ticket count)."""
    if hit.group("op") is not None:
        op, number, unit = _OP_OF[hit.group("op")], hit.group("number"), hit.group("unit")
    else:
        op, number, unit = (
            _OP_AFTER_OF[hit.group("after")],
            hit.group("number2"),
            hit.group("unit2"),
        )
    value = float(number)
    if unit is None:
        return Threshold(op, value)
    kind, factor = _UNITS[unit]
    metric_kind, hours_per_unit = _METRIC_UNITS.get(metric_unit, ("", 1.0))
    if kind != metric_kind:
        return None
    if kind == "duration":
        value = value * factor / hours_per_unit
    return Threshold(op, round(value, 10))


def counts_something_else(text: str, hit: re.Match[str]) -> bool:
    """A number without a unit followed by a noun counts that noun ("at least 30 surveys",
    "超过5个产品" has its unit): it is no threshold on the metric before it."""
    if (hit.group("unit") or hit.group("unit2")) is not None or hit.group("after"):
        return False
    following = re.match(r"\s*([a-z]+|[\u4e00-\u9fff])", text[hit.end() :])
    if following is None:
        return False
    word = following.group(1)
    if word.isascii():
        return word not in words.FUNCTION_WORDS_EN
    return word not in words.PARTICLES and word not in "且并或及和与"


def conditions(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, is a threshold) of every threshold and every number with a unit of
    duration or repetitions in ``text``."""
    spans = [(*m.span(), True) for m in THRESHOLD.finditer(text)]
    for hit in CONDITION.finditer(text):
        if not any(a <= hit.start() < b or a < hit.end() <= b for a, b, _ in spans):
            spans.append((*hit.span(), False))
    return sorted(spans)
