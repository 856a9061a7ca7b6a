"""A single number beside the analysts' target: "目标 ≥75.0%（预警线 70.0%）：未达标，差 4.5 个
百分点". Shown whenever a target applies to the number's slice and period; when the question
asked ("达标了吗") and none applies, the answer says so instead of leaving the word unanswered."""

from __future__ import annotations

from typing import Any

from assistant.answer.narrate import format_change, format_value
from assistant.messages import msg
from assistant.roles import Role
from semantic_layer.executor import MetricResult
from semantic_layer.stats import SMALL_N


def target_note(result: MetricResult, role: Role, targets: Any, language: str, asked: bool) -> str:
    query = result.query
    name = query.metrics[0]
    meta = result.metrics.get(name)
    single = not query.dimensions and query.time_grain is None and len(result.table) == 1
    if meta is None or not single:
        return msg(language, "target_single_only") if asked else ""
    value = result.table.row(0).get(name)
    if value is None or value != value:  # no value (NaN): nothing to judge
        return ""
    span = (query.time_range.start, query.time_range.end) if query.time_range else None
    target = None if targets is None else targets.for_slice(name, _slice(query, role), span)
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
    sample = result.table.row(0).get(f"{name}__n")
    if sample is not None and sample == sample and 0 < sample < SMALL_N:
        return goal + msg(language, "kpi_small_n", n=int(sample)) + _stop(language)
    status = target.status(float(value), meta.direction)
    if status == "ok":
        return goal + msg(language, "target_met") + _stop(language)
    gap = format_change(abs(float(value) - target.target), meta, language)
    return goal + msg(language, f"target_{status}", gap=gap) + _stop(language)


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
