"""A number beside the analysts' target: "目标 ≥75.0%（预警线 70.0%）：未达标，差 4.5 个百分点".
Shown whenever a target applies to a single number's slice and period; when the question asked
("达标了吗") and none applies, the answer says so instead of leaving the word unanswered. A
breakdown asked against its targets ("哪些大区没达标") judges each group by its own slice's
target (华南 has its own CSAT target)."""

from __future__ import annotations

from typing import Any

from assistant.answer.narrate import format_change, format_value
from assistant.messages import msg
from assistant.planning.lexicon import Lexicon
from assistant.roles import Role
from semantic_layer.executor import MetricResult
from semantic_layer.stats import SMALL_N


def target_note(
    result: MetricResult,
    role: Role,
    targets: Any,
    language: str,
    asked: bool,
    lexicon: Lexicon | None = None,
) -> str:
    query = result.query
    name = query.metrics[0]
    meta = result.metrics.get(name)
    if meta is not None and asked and lexicon is not None and _one_breakdown(query):
        return _groups_note(result, role, targets, language, lexicon)
    single = not query.dimensions and query.time_grain is None and len(result.table) == 1
    if meta is None or not single:
        return msg(language, "target_single_only") if asked else ""
    if len(query.metrics) == 1:
        return _single_note(result, name, role, targets, language, asked)
    # Several numbers: each note names its metric ("…；净推荐值为0.8。目标 ≥75.0%" would read
    # as NPS's target).
    notes = (
        _single_note(result, metric, role, targets, language, asked, named=True)
        for metric in query.metrics
    )
    return ("" if language == "zh" else " ").join(note for note in notes if note)


def _single_note(
    result: MetricResult,
    name: str,
    role: Role,
    targets: Any,
    language: str,
    asked: bool,
    named: bool = False,
) -> str:
    query = result.query
    meta = result.metrics.get(name)
    value = result.table.row(0).get(name)
    if meta is None or value is None or value != value:  # no value (NaN): nothing to judge
        return ""
    target = None if targets is None else targets.for_slice(name, _slice(query, role), _span(query))
    if target is None:
        return msg(language, "target_none", metric=_label(meta, language)) if asked else ""
    sign = "≥" if meta.direction == "up" else "≤"
    goal = msg(
        language,
        "target_line",
        sign=sign,
        target=format_value(target.target, meta, language),
        warning=format_value(target.warning, meta, language),
    )
    if named:  # "客户满意度目标 ≥75.0%…" / "CSAT target ≥ 75.0%…"
        goal = (
            msg(language, "target_of", metric=_label(meta, language)) + goal[0].lower() + goal[1:]
        )
    sample = _small_sample(result.table.row(0), name)
    if sample is not None:
        return goal + msg(language, "kpi_small_n", n=sample) + _stop(language)
    status = target.status(float(value), meta.direction)
    if status == "ok":
        return goal + msg(language, "target_met") + _stop(language)
    gap = format_change(abs(float(value) - target.target), meta, language)
    return goal + msg(language, f"target_{status}", gap=gap) + _stop(language)


def _span(query: Any) -> tuple[Any, Any] | None:
    """[start, end) of the numbers: a count's monthly target judges only a whole month."""
    return (query.time_range.start, query.time_range.end) if query.time_range else None


def _small_sample(row: dict[str, Any], name: str) -> int | None:
    """The sample size behind ``name`` in ``row`` when it is too small to judge a target."""
    sample = row.get(f"{name}__n")
    if sample is None or sample != sample or not 0 < sample < SMALL_N:
        return None
    return int(sample)


def _one_breakdown(query: Any) -> bool:
    """One value per group of one dimension, over the whole period."""
    return len(query.dimensions) == 1 and query.time_grain is None and len(query.metrics) == 1


def _groups_note(
    result: MetricResult, role: Role, targets: Any, language: str, lexicon: Lexicon
) -> str:
    """Each group judged by the target of its own slice: the groups off target, worst first,
    each with its value and target; then how many are on target, too small to judge, or
    without a target."""
    query = result.query
    name, dimension = query.metrics[0], query.dimensions[0]
    meta = result.metrics[name]
    span, base = _span(query), _slice(query, role)
    off: list[tuple[int, float, str]] = []
    on = small = untargeted = 0
    for row in result.table.rows():
        value, group = row.get(name), row.get(dimension)
        if value is None or value != value or group is None:
            continue
        fixed = {**base, dimension: str(group)}
        target = None if targets is None else targets.for_slice(name, fixed, span)
        if target is None:
            untargeted += 1
            continue
        if _small_sample(row, name) is not None:
            small += 1
            continue
        status = target.status(float(value), meta.direction)
        if status == "ok":
            on += 1
            continue
        off.append(
            (
                0 if status == "breach" else 1,
                -abs(float(value) - target.target),
                msg(
                    language,
                    f"target_group_{status}",
                    group=lexicon.value_label(dimension, str(group), language),
                    value=format_value(value, meta, language),
                    sign="≥" if meta.direction == "up" else "≤",
                    target=format_value(target.target, meta, language),
                ),
            )
        )
    if not (off or on or small):
        return msg(language, "target_none", metric=_label(meta, language))
    items = ("、" if language == "zh" else ", ").join(item for *_, item in sorted(off))
    parts = [msg(language, "target_groups_off", n=len(off), items=items)] if off else []
    if on:
        everyone = not (off or small or untargeted)
        parts.append(
            msg(language, "target_groups_all_on")
            if everyone
            else msg(language, "target_groups_on", n=on)
        )
    if small:
        parts.append(msg(language, "target_groups_small", n=small))
    if untargeted:
        parts.append(msg(language, "target_groups_none", n=untargeted))
    label = lexicon.dimension_label(dimension, language)
    if language == "en" and not label[:2].isupper():
        label = label[0].lower() + label[1:]  # "each region", not "each Region" (but "SLA")
    head = msg(language, "target_groups", dimension=label)
    return head + ("；" if language == "zh" else "; ").join(parts) + _stop(language)


def _slice(query: Any, role: Role) -> dict[str, str]:
    """The dimensions the number is fixed to one value of: the query's own "=" filters and the
    role's single-valued row filters (an east manager's numbers are east's)."""
    fixed = {k: v[0] for k, v in role.row_filters.items() if len(v) == 1}
    for flt in query.filters:
        if flt.op in ("=", "in") and len(flt.values) == 1:
            fixed[flt.field] = str(flt.values[0])
        else:  # several values pooled, or an exclusion: no single slice's target applies
            fixed[flt.field] = "*"
    return fixed


def _label(meta: Any, language: str) -> str:
    return meta.label_zh if language == "zh" else meta.label_en


def _stop(language: str) -> str:
    return "。" if language == "zh" else "."
