"""Saying back how a question was read ("I read this as: ...") in the question's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from assistant.planning.lexicon import Lexicon
from assistant.planning.period_text import period_label
from semantic_layer.catalog import Catalog
from semantic_layer.query import MetricFilter, MetricQuery, TimeRange
from semantic_layer.stats import MIN_RELATIVE_BASE

_OPS_ZH = {
    "=": "=",
    "!=": "≠",
    "in": "属于",
    "not in": "不属于",
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
    "between": "介于",
    "contains": "包含",
}
_GRAIN = {
    "day": ("按天", "daily"),
    "week": ("按周", "weekly"),
    "month": ("按月", "monthly"),
    "quarter": ("按季度", "quarterly"),
    "year": ("按年", "yearly"),
}
_COMPARE = {
    "previous_period": ("与上一周期对比", "compared with the previous period"),
    "same_period_last_year": ("与去年同期对比", "compared with the same period last year"),
}

SUGGESTIONS = {
    "zh": (
        "上个月各大区的客户满意度是多少？",
        "近30天哪个渠道的SLA超时率最高？",
        "今年以来每月的投诉量趋势",
    ),
    "en": (
        "What was CSAT by region last month?",
        "Which channels breached SLA most last quarter?",
        "Show the monthly complaint volume trend this year",
    ),
}


def suggestions(language: str) -> tuple[str, ...]:
    return SUGGESTIONS["zh" if language == "zh" else "en"]


def describe_threshold(condition: MetricFilter, catalog: Catalog, language: str) -> str:
    """ "首次响应时长中位数 > 30分钟": a threshold read back with its unit; under an hour in
    minutes, as people write it."""
    metric = catalog.metric(condition.metric)
    value, unit = condition.values[0], metric.unit
    if unit == "hours" and value < 1:
        value, unit = value * 60, "minutes"
    words = {"%": ("%", "%"), "hours": ("小时", " hours"), "minutes": ("分钟", " minutes")}
    suffix = words.get(unit, ("", ""))[0 if language == "zh" else 1]
    label = metric.label.zh if language == "zh" else metric.label.en
    number = f"{round(value, 4):,f}".rstrip("0").rstrip(".")  # 1,000,000 and 0.5, never 1e+06
    op = {">=": "≥", "<=": "≤"}.get(condition.op, condition.op)
    return f"{label} {op} {number}{suffix}"


def describe_query(
    query: MetricQuery,
    catalog: Catalog,
    lexicon: Lexicon,
    language: str,
    assumptions: Sequence[str] = (),
) -> str:
    zh = language == "zh"
    parts = [
        "、".join(catalog.metric(m).label.zh for m in query.metrics)
        if zh
        else ", ".join(catalog.metric(m).label.en for m in query.metrics)
    ]
    if query.dimensions:
        labels = [lexicon.dimension_label(d, language) for d in query.dimensions]
        parts.append(("按" + "、".join(labels)) if zh else "by " + ", ".join(labels))
    if query.time_grain:
        parts.append(_GRAIN[query.time_grain][0 if zh else 1])
    if query.time_range:
        last_day = query.time_range.end - timedelta(days=1)
        parts.append(
            f"{query.time_range.start} ~ {last_day}"
            if zh
            else f"{query.time_range.start} to {last_day}"
        )
    for flt in query.filters:
        values = [lexicon.value_label(flt.field, str(v), language) for v in flt.values]
        field_label = lexicon.dimension_label(flt.field, language)
        op = _OPS_ZH[flt.op] if zh else flt.op
        parts.append(f"{field_label} {op} {'/'.join(values)}")
    parts += [describe_threshold(mf, catalog, language) for mf in query.metric_filters]
    if query.compare_to:
        parts.append(_COMPARE[query.compare_to][0 if zh else 1])
    for order in query.order_by:
        parts.append(_describe_order(order.field, order.descending, query.compare_to, zh))
        if catalog.counted_change(order.field) is not None:  # semantic_layer.stats
            parts.append(
                f"上期不足{MIN_RELATIVE_BASE}的组基数太小，排在最后"
                if zh
                else f"groups under {MIN_RELATIVE_BASE} the period before (too small a base) last"
            )
    if query.limit:
        ascending = bool(query.order_by) and not query.order_by[0].descending
        en = "bottom" if ascending and "__" not in query.order_by[0].field else "top"
        parts.append(f"前{query.limit}" if zh else f"{en} {query.limit}")
    text = ("理解为：" + "，".join(parts)) if zh else "I read this as: " + ", ".join(parts)
    if assumptions:
        text += ("（" + "；".join(assumptions) + "）") if zh else f" ({'; '.join(assumptions)})"
    return text


def describe_root_cause(
    metric: str, period: TimeRange, previous: TimeRange, catalog: Catalog, language: str
) -> str:
    """How a why question was read: which metric, which period against which."""
    label = catalog.metric(metric).label
    if language == "zh":
        return (
            f"分析{label.zh}在{period_label(period.start, period.end, 'zh')}相比"
            f"{period_label(previous.start, previous.end, 'zh')}的变化原因"
        )
    return (
        f"Explain the change of {label.en} in {period_label(period.start, period.end, 'en')} "
        f"vs {period_label(previous.start, previous.end, 'en')}"
    )


# The period a change is measured against, as the ordering names it.
_AGAINST = {
    "previous_period": ("上一周期", "the previous period"),
    "same_period_last_year": ("去年同期", "the same period last year"),
}


def _describe_order(field: str, descending: bool, compare_to: str | None, zh: bool) -> str:
    """ "从高到低排序", or for a ranking by change "按与上一周期相比的变化排序，下降最多在前"."""
    relative = field.endswith("__change_pct")
    if not (relative or field.endswith("__change")):
        if zh:
            return "从高到低排序" if descending else "从低到高排序"
        return "highest first" if descending else "lowest first"
    against = _AGAINST.get(compare_to or "", ("对比期", "the comparison period"))
    if zh:
        kind = "变化率（%）" if relative else "变化"
        lead = (
            ("增长最快" if descending else "下降最快")
            if relative
            else ("上升最多" if descending else "下降最多")
        )
        lead += "在前"
        return f"按与{against[0]}相比的{kind}排序，{lead}"
    kind = "relative change (%)" if relative else "change"
    lead = ("fastest" if relative else "largest") + (" rise first" if descending else " fall first")
    return f"ordered by the {kind} vs {against[1]}, {lead}"
