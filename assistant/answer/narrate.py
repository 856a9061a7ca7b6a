"""A short narration of what a MetricResult says, in the question's language.

Only reads numbers the semantic layer computed (values, changes, n, intervals); it picks and
orders them, it never derives a new number beyond ranking them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from assistant.answer.table import UNITS, change_order
from assistant.planning.interpret import describe_threshold
from assistant.planning.lexicon import Lexicon
from assistant.planning.period_text import format_period
from semantic_layer.executor import MetricMeta, MetricResult
from semantic_layer.periods import add_months
from semantic_layer.plan import PERIOD
from semantic_layer.result_table import as_date, missing
from semantic_layer.stats import MIN_RELATIVE_BASE

Row = dict[str, Any]  # one result row: column name -> value (MetricResult.table)

ONE_DAY = timedelta(days=1)


def format_value(value: object, meta: MetricMeta, language: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "无数据" if language == "zh" else "no data"
    minutes = _as_minutes(value, meta)
    if minutes is not None:  # "9分钟", not "0.16小时"
        return f"{minutes}分钟" if language == "zh" else f"{minutes} minutes"
    try:
        text = format(float(value), meta.format)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        text = str(value)
    zh_unit, en_unit = UNITS.get(meta.unit, (meta.unit, f" {meta.unit}"))
    if meta.unit in ("score", "points"):
        return text
    if meta.unit.startswith("per ") and meta.unit not in UNITS:
        return f"{text}（{meta.unit}）" if language == "zh" else f"{text} {meta.unit}"
    return text + (zh_unit if language == "zh" else en_unit)


def _as_minutes(value: object, meta: MetricMeta) -> str | None:
    """A duration in hours under one hour, as minutes with one decimal ("9.3"), else None
    (one decimal so a value, its comparison and their difference add up as shown)."""
    if meta.unit != "hours":
        return None
    try:
        hours = abs(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f"{hours * 60:.1f}" if hours < 1 else None


def format_change(change: float, meta: MetricMeta, language: str) -> str:
    """The size of a change in the metric's own terms: percentage points for a % metric
    ("2.1个百分点", not a bare "2.1" beside a relative "%"), else the value's own unit
    ("1.4分钟", "12件")."""
    if meta.unit == "%":
        amount = format(abs(float(change)), meta.format)
        return f"{amount}个百分点" if language == "zh" else f"{amount} points"
    return format_value(abs(float(change)), meta, language)


def _label(meta: MetricMeta, language: str) -> str:
    return meta.label_zh if language == "zh" else meta.label_en


def _row_name(row: Row, dimensions: tuple[str, ...], lexicon: Lexicon, language: str) -> str:
    parts = [lexicon.value_label(d, str(row[d]), language) for d in dimensions if d in row]
    return "/".join(parts)


def _change_sentence(row: Row, meta: MetricMeta, language: str) -> str:
    change = row.get(f"{meta.name}__change")
    pct = row.get(f"{meta.name}__change_pct")
    previous = row.get(f"{meta.name}__previous")
    if missing(change) or missing(previous):
        return ""
    up = change > 0
    good = (meta.direction == "up" and up) or (meta.direction == "down" and not up)
    verdict = (
        ""
        if meta.direction == "neutral" or change == 0
        else (
            ("，向好" if good else "，变差")
            if language == "zh"
            else (" (better)" if good else " (worse)")
        )
    )
    amount = format_change(float(change), meta, language)
    pct_text = "" if missing(pct) else f"{abs(float(pct)):.1f}%"
    if language == "zh":
        direction = "上升" if up else "下降" if change < 0 else "持平"
        return (
            f"，对比期为{format_value(previous, meta, language)}，{direction}{amount}"
            f"{'（' + pct_text + '）' if pct_text else ''}{verdict}"
        )
    direction = "up" if up else "down" if change < 0 else "flat"
    return (
        f", {direction} {amount}{' (' + pct_text + ')' if pct_text else ''} from "
        f"{format_value(previous, meta, language)}{verdict}"
    )


def _small_n(row: Row, meta: MetricMeta, language: str) -> str:
    if not bool(row.get(f"{meta.name}__small_n", False)):
        return ""
    n = int(row.get(f"{meta.name}__n", 0))
    low, high = row.get(f"{meta.name}__ci_low"), row.get(f"{meta.name}__ci_high")
    interval = ""
    if not missing(low) and not missing(high):
        interval = f"{format(float(low), meta.format)}–{format(float(high), meta.format)}"
    if language == "zh":
        return f"，样本量仅 {n}，结论不稳{'，95%区间 ' + interval if interval else ''}"
    return f"; only n={n}, treat with care{', 95% interval ' + interval if interval else ''}"


def narrate(result: MetricResult, lexicon: Lexicon, language: str) -> str:
    """The narration for a result of a MetricPlan."""
    table = result.table
    query = result.query
    metas = [result.metrics[m] for m in query.metrics if m in result.metrics]
    if before_data(result):
        return no_data_yet(result, language)
    if table.empty and query.metric_filters:  # data there, but no group meets the threshold
        conditions = [
            describe_threshold(f, lexicon.catalog, language) for f in query.metric_filters
        ]
        if language == "zh":
            return f"没有符合条件（{'，'.join(conditions)}）的结果。"
        return f"Nothing meets the condition ({'; '.join(conditions)})."
    if table.empty or not metas:
        return "这个范围内没有数据。" if language == "zh" else "There is no data in this range."
    main = metas[0]
    rows = list(table.rows())
    has_period = PERIOD in table and query.time_grain is not None
    dimensions = tuple(d for d in query.dimensions if d in table)
    if has_period:
        rows = _within_data(rows, result)
    if has_period and not dimensions:
        text = _trend(rows, main, query.time_grain, language, _complete_periods(rows, result))
        text += _partial_note(result, language)
    elif dimensions and not has_period and (key := change_order(query)) is not None:
        descending = query.order_by[0].descending
        text = _change_ranking(
            rows, main, dimensions, lexicon, language, key, descending, query.limit
        )
    elif dimensions:
        ranked_by_main = bool(query.order_by) and query.order_by[0].field == main.name
        ascending = ranked_by_main and not query.order_by[0].descending
        top_n = query.limit if ranked_by_main else None
        text = _breakdown(rows, main, dimensions, lexicon, language, has_period, ascending, top_n)
    else:
        row = rows[0]
        sentences = [_single(row, meta, language, result) for meta in metas]
        text = ("；" if language == "zh" else "; ").join(sentences)
        return text + _partial_note(result, language) + ("。" if language == "zh" else ".")
    if len(metas) > 1:
        others = ("、" if language == "zh" else ", ").join(_label(m, language) for m in metas[1:])
        text += (
            f" 另含：{others}（见表格）。"
            if language == "zh"
            else f" Also shown: {others} (see the table)."
        )
    return text


def _single(row: Row, meta: MetricMeta, language: str, result: MetricResult) -> str:
    value = row[meta.name]
    if missing(value):
        through = result.data_freshness
        until = (
            f"（数据截至 {through:%Y-%m-%d}）"
            if through and language == "zh"
            else (f" (data runs through {through:%Y-%m-%d})" if through else "")
        )
        return (
            f"{meta.label_zh}：这个期间没有数据{until}"
            if language == "zh"
            else f"{meta.label_en}: no data in this period{until}"
        )
    small = _small_n(row, meta, language)
    if language == "zh":
        return (
            f"{meta.label_zh}为{format_value(value, meta, language)}"
            f"{'（' + small.lstrip('，') + '）' if small else ''}"
            f"{_change_sentence(row, meta, language)}"
        )
    return (
        f"{meta.label_en} was {format_value(value, meta, language)}"
        f"{' (' + small.lstrip('; ') + ')' if small else ''}"
        f"{_change_sentence(row, meta, language)}"
    )


def before_data(result: MetricResult) -> bool:
    """The whole asked period starts after the last data point: a count there would read 0,
    which is not a measurement but data that has not arrived."""
    through, period = result.data_freshness, result.query.time_range
    if all(meta.time_attribution == "period end" for meta in result.metrics.values()):
        return False  # a state (open backlog) holds past the last data point; said "as of"
    return through is not None and period is not None and period.start > through.date()


def no_data_yet(result: MetricResult, language: str) -> str:
    through = result.data_freshness
    if language == "zh":
        return f"所问期间还没有数据：数据截至 {through:%Y-%m-%d}。"
    return f"There is no data for this period yet: the data runs through {through:%Y-%m-%d}."


def _partial_note(result: MetricResult, language: str) -> str:
    """A period that runs past the last data point ("本月至今") says up to which day it counts."""
    through, period = result.data_freshness, result.query.time_range
    if through is None or period is None or through.date() >= period.end - ONE_DAY:
        return ""
    if language == "zh":
        return f"（数据截至 {through:%Y-%m-%d}，之后的日子尚无数据）"
    return f" (data runs through {through:%Y-%m-%d}; later days have no data yet)"


def _within_data(rows: list[Row], result: MetricResult) -> list[Row]:
    """Periods that start after the last data point are empty, not zero: leave them out (and
    rows without a period)."""
    through = result.data_freshness
    if through is None or not rows or PERIOD not in rows[0]:
        return rows
    return [
        r
        for r in rows
        if _at_midnight(r[PERIOD]) is not None and _at_midnight(r[PERIOD]) <= through
    ]


def _at_midnight(value: Any) -> datetime | None:
    """A period value as the datetime it starts at (None for no value)."""
    if missing(value):
        return None
    if isinstance(value, datetime):
        return value
    day = as_date(value)
    return datetime.combine(day, datetime.min.time()) if isinstance(day, date) else None


def _period_end(start: date, grain: str) -> date:
    if grain == "day":
        return start + ONE_DAY
    if grain == "week":
        return start + timedelta(days=7)
    return add_months(start, {"month": 1, "quarter": 3, "year": 12}[grain])


def _complete_periods(rows: list[Row], result: MetricResult) -> set[date]:
    """Periods whose whole span lies inside the asked range and the data: a week that starts
    before the range (or runs past the last data point) holds only some of its days."""
    grain, period = result.query.time_grain, result.query.time_range
    through = result.data_freshness.date() if result.data_freshness else None
    complete = set()
    for row in rows:
        start = as_date(row[PERIOD])
        end = _period_end(start, grain) if grain else start + ONE_DAY
        inside = period is None or (start >= period.start and end <= period.end)
        if inside and (through is None or end - ONE_DAY <= through):
            complete.add(start)
    return complete


def _first_at(rows: list[Row], key: str, pick: Any) -> Row:
    """The first row holding the ``pick`` (max/min) of ``key`` (pandas' idxmax/idxmin)."""
    best = pick(r[key] for r in rows)
    return next(r for r in rows if r[key] == best)


def _two_periods(first: Row, last: Row, meta: MetricMeta, grain: str | None, language: str) -> str:
    """ "从2026年第2季度的73.3%下降到2026年第3季度的71.8%，下降1.5个百分点（2.0%）"."""
    before, after = float(first[meta.name]), float(last[meta.name])
    change = after - before
    when = lambda r: format_period(r[PERIOD], grain, language)  # noqa: E731
    fmt = lambda r: format_value(r[meta.name], meta, language)  # noqa: E731
    relative = f"{abs(change) / abs(before) * 100:.1f}%" if before else ""
    if language == "zh":
        word = "上升" if change > 0 else "下降" if change < 0 else "持平"
        amount = f"，{word}{format_change(change, meta, language)}" if change else ""
        return (
            f"{meta.label_zh}从{when(first)}的{fmt(first)}{word}到{when(last)}的{fmt(last)}"
            f"{amount}{'（' + relative + '）' if change and relative else ''}。"
        )
    word = "rose" if change > 0 else "fell" if change < 0 else "stayed flat"
    amount = (
        f", {'up' if change > 0 else 'down'} {format_change(change, meta, language)}"
        if change
        else ""
    )
    return (
        f"{meta.label_en} {word} from {fmt(first)} in {when(first)} to {fmt(last)} in "
        f"{when(last)}{amount}{' (' + relative + ')' if change and relative else ''}."
    )


def _trend(
    rows: list[Row], meta: MetricMeta, grain: str | None, language: str, complete: set[date]
) -> str:
    series = [r for r in rows if not missing(r[PERIOD]) and not missing(r[meta.name])]
    if not series:
        return "这个范围内没有数据。" if language == "zh" else "There is no data in this range."
    # Compare whole periods only: a week cut by the range or the data is low because it is
    # short. The partial ones are named, not compared.
    is_whole = [as_date(r[PERIOD]) in complete for r in series]
    whole = [r for r, w in zip(series, is_whole, strict=True) if w]
    partial = [r for r, w in zip(series, is_whole, strict=True) if not w]
    compared = whole if len(whole) >= 2 else series
    first, last = compared[0], compared[-1]
    peak = _first_at(compared, meta.name, max)
    low = _first_at(compared, meta.name, min)
    fmt = lambda r: format_value(r[meta.name], meta, language)  # noqa: E731
    sep = "、" if language == "zh" else ", "

    def when(row: Row, ties: bool = False) -> str:  # every period tied with a peak/low
        rows = [r for r in compared if r[meta.name] == row[meta.name]] if ties else [row]
        return sep.join(format_period(r[PERIOD], grain, language) for r in rows)

    note = ""
    if compared is whole and partial:
        names = [format_period(r[PERIOD], grain, language) for r in partial]
        note = (
            f"{'、'.join(names)}不完整（只含部分天数），未参与比较。"
            if language == "zh"
            else f" Partial, not compared: {', '.join(names)} (only some of its days)."
        )
    if len(series) == 2 and len(compared) == 2:  # two periods: the change between them
        return _two_periods(first, last, meta, grain, language)
    if language == "zh":
        trend = (
            "上升"
            if last[meta.name] > first[meta.name]
            else ("下降" if last[meta.name] < first[meta.name] else "持平")
        )
        return (
            f"{meta.label_zh}从{when(first)}的{fmt(first)}{trend}到{when(last)}的{fmt(last)}；"
            f"最高在{when(peak, True)}（{fmt(peak)}），最低在{when(low, True)}（{fmt(low)}），"
            + (f"共{len(compared)}个完整周期。{note}" if note else f"共{len(series)}个周期。")
        )
    trend = (
        "rose"
        if last[meta.name] > first[meta.name]
        else ("fell" if last[meta.name] < first[meta.name] else "stayed flat")
    )
    return (
        f"{meta.label_en} {trend} from {fmt(first)} in {when(first)} to {fmt(last)} in "
        f"{when(last)}; highest in {when(peak, True)} ({fmt(peak)}), lowest in {when(low, True)} "
        f"({fmt(low)}), over {len(compared) if note else len(series)}"
        f"{' whole' if note else ''} periods." + note
    )


def _breakdown(
    rows: list[Row],
    meta: MetricMeta,
    dimensions: tuple[str, ...],
    lexicon: Lexicon,
    language: str,
    has_period: bool,
    ascending: bool,
    top_n: int | None = None,
) -> str:
    data = [r for r in rows if not missing(r[meta.name])]
    if has_period:  # narrate the latest period; the chart shows the rest
        periods = [r[PERIOD] for r in data if not missing(r[PERIOD])]
        latest = max(periods) if periods else None
        data = [r for r in data if r[PERIOD] == latest]
    if not data:
        return "这个范围内没有数据。" if language == "zh" else "There is no data in this range."
    # Largest first; equal values keep the warehouse's row order.
    ranked = sorted(data, key=lambda r: r[meta.name], reverse=True)
    top, bottom = ranked[0], ranked[-1]
    name = lambda r: _row_name(r, dimensions, lexicon, language)  # noqa: E731
    fmt = lambda r: format_value(r[meta.name], meta, language)  # noqa: E731
    if len(ranked) == 1:  # "华东的投诉量为157件", not "最高的是华东，共1组"
        detail = f"{_small_n(top, meta, language)}{_change_sentence(top, meta, language)}"
        if language == "zh":
            return f"{name(top)}的{meta.label_zh}为{fmt(top)}{detail}。"
        return f"{meta.label_en} for {name(top)} was {fmt(top)}{detail}."
    if top_n is not None and 1 < len(ranked) == top_n and not has_period:
        # "the 3 highest": the last of them is not "the lowest" of all groups, so list them.
        listed = ranked[::-1] if ascending else ranked
        opening, closing = ("（", "）") if language == "zh" else (" (", ")")
        items = [
            f"{name(r)}{opening}{fmt(r)}{_small_n(r, meta, language)}{closing}" for r in listed
        ]
        if language == "zh":
            end = "最低" if ascending else "最高"
            return f"{meta.label_zh}{end}的{top_n}组：{'、'.join(items)}。"
        end = "bottom" if ascending else "top"
        return f"{meta.label_en}, {end} {top_n}: {', '.join(items)}."
    if len({r[meta.name] for r in ranked}) == 1:  # no highest or lowest to name
        if language == "zh":
            return f"{meta.label_zh}在这{len(ranked)}组中相同，均为{fmt(top)}。"
        return f"{meta.label_en} is the same in all {len(ranked)} groups: {fmt(top)}."
    ends = [("最高", "highest", top), ("最低", "lowest", bottom)]
    if ascending:  # the question asked for the low end first ("最差", "lowest")
        ends.reverse()
    phrases = []
    for zh_word, en_word, row in ends[: 1 if len(ranked) == 1 else 2]:
        detail = f"{fmt(row)}{_small_n(row, meta, language)}"
        # Groups with the same value share the end: never name one of them as "the" highest.
        tied = [r for r in ranked if r[meta.name] == row[meta.name]]
        if len(tied) > 1 and len(tied) < len(ranked):
            names = [name(r) for r in tied]
            phrases.append(
                f"{zh_word}的是{'、'.join(names)}（并列，各{fmt(row)}）"
                if language == "zh"
                else f"{en_word} for {', '.join(names)} (tied, {fmt(row)} each)"
            )
            continue
        phrases.append(
            f"{zh_word}的是{name(row)}（{detail}）"
            if language == "zh"
            else f"{en_word} for {name(row)} ({detail})"
        )
    if language == "zh":
        text = f"{meta.label_zh}{'，'.join(phrases)}，共{len(ranked)}组。"
    else:
        text = f"{meta.label_en} is {' and '.join(phrases)}, across {len(ranked)} groups."
    small_col = f"{meta.name}__small_n"
    count = sum(bool(r[small_col]) for r in data) if small_col in data[0] else 0
    if count:
        text += (
            f" 其中{count}组样本量不足30，结论仅供参考。"
            if language == "zh"
            else f" {count} of the groups rest on fewer than 30 observations."
        )
    change_col = f"{meta.name}__change"
    changes = [r for r in data if change_col in r and not missing(r[change_col])]
    if changes:
        biggest = max(abs(r[change_col]) for r in changes)
        mover = next(r for r in changes if abs(r[change_col]) == biggest)
        text += (
            f" 变化最大的是{name(mover)}{_change_sentence(mover, meta, language)}。"
            if language == "zh"
            else f" The biggest change is {name(mover)}{_change_sentence(mover, meta, language)}."
        )
    return text


def _signed_change(row: Row, meta: MetricMeta, key: str, language: str) -> str:
    """ "-14.2个百分点" / "+12件，+50.0%": the change with its sign (and the relative change
    when the ranking is by it)."""
    change = float(row[f"{meta.name}__change"])
    text = _sign(change) + format_change(change, meta, language)
    pct = row.get(f"{meta.name}__change_pct")
    if key.endswith("__change_pct") and not missing(pct):
        pct_text = f"{_sign(float(pct))}{abs(float(pct)):.1f}%"
        text = f"{pct_text}{'，' if language == 'zh' else ', '}{text}"
    return text


def _sign(change: float) -> str:
    return "+" if change > 0 else "-" if change < 0 else "±"


def _small_bases(
    rows: list[Row],
    every: bool,
    meta: MetricMeta,
    name: Callable[[Row], str],
    detail: Callable[[Row], str],
    language: str,
) -> str:
    """The groups whose count in the period compared against was too small a base for a
    relative change, with their values (``every``: all groups were, so all were ranked)."""
    base = format_value(MIN_RELATIVE_BASE, meta, language)
    if every:
        if language == "zh":
            return f"各组上期都不足{base}，变化率的基数都很小，请谨慎解读。"
        return (
            f"Every group counted fewer than {base} the period before: read the relative "
            "changes with care."
        )
    if language == "zh":
        items = "；".join(f"{name(r)}{detail(r)}" for r in rows)
        return f"上期不足{base}的组基数太小，不按变化率排名：{items}。"
    items = "; ".join(f"{name(r)} {detail(r)}" for r in rows)
    return f"Not ranked by relative change (fewer than {base} the period before): {items}."


def _change_ranking(
    rows: list[Row],
    meta: MetricMeta,
    dimensions: tuple[str, ...],
    lexicon: Lexicon,
    language: str,
    key: str,
    descending: bool,
    top_n: int | None,
) -> str:
    """A ranking by change: the leader with both values and its change; when no group moved
    the asked way, that is said (the smallest rise is not called a fall); groups without a
    previous value are named as not comparable, never ranked."""
    zh = language == "zh"
    value, previous, change = meta.name, f"{meta.name}__previous", f"{meta.name}__change"
    data = [r for r in rows if not missing(r.get(value)) or not missing(r.get(previous))]
    if not data:
        return "这个范围内没有数据。" if zh else "There is no data in this range."
    comparable = [
        r
        for r in data
        if not missing(r.get(key))
        and not missing(r.get(previous))
        and not missing(r.get(value))
        and not missing(r.get(change))
    ]
    excluded = [r for r in data if r not in comparable]
    name = lambda r: _row_name(r, dimensions, lexicon, language)  # noqa: E731
    fmt = lambda r, c: format_value(r[c], meta, language)  # noqa: E731
    label = _label(meta, language)
    groups = "/".join(lexicon.dimension_label(d, language) for d in dimensions)
    fastest = key.endswith("__change_pct")
    rise = descending
    if zh:
        word = (
            ("增长最快" if rise else "下降最快")
            if fastest
            else ("上升最多" if rise else "下降最多")
        )
    else:
        word = ("rose" if rise else "fell") + (" fastest" if fastest else " the most")
    # A count's relative change from too small a base (2 → 6: +200 %) is not ranked: such groups
    # are named after the ranking with their values (the warehouse sorted them last;
    # stats.MIN_RELATIVE_BASE). When every base is that small, all are ranked and that is said.
    small_base = f"{meta.name}__small_base"
    small = [r for r in comparable if r.get(small_base)]
    all_small = bool(small) and len(small) == len(comparable)
    if not all_small:
        comparable = [r for r in comparable if not r.get(small_base)]
    # Leader first (the warehouse sorted already; equal changes keep its order).
    ranked = sorted(comparable, key=lambda r: float(r[key]), reverse=descending)
    moved = [r for r in ranked if (float(r[change]) > 0 if rise else float(r[change]) < 0)]

    def values(row: Row) -> str:
        if zh:
            verb = "升到" if row[change] > 0 else "降到" if row[change] < 0 else "持平于"
            return f"从{fmt(row, previous)}{verb}{fmt(row, value)}"
        return f"{fmt(row, previous)} → {fmt(row, value)}"

    def detail(row: Row) -> str:
        return (
            f"{values(row)}（{_signed_change(row, meta, key, language)}）"
            f"{_small_n(row, meta, language)}"
            if zh
            else f"{values(row)} ({_signed_change(row, meta, key, language)})"
            f"{_small_n(row, meta, language)}"
        )

    sentences: list[str] = []
    if not ranked:
        sentences.append(
            f"没有可比较的{groups}：对比期没有数据。"
            if zh
            else f"No {groups.lower()} can be compared: the comparison period has no data."
        )
    elif not moved:
        least = ranked[0]
        other = (
            ("上升或持平" if not rise else "下降或持平")
            if zh
            else ("rose or stayed flat" if not rise else "fell or stayed flat")
        )
        if zh:
            sentences.append(
                f"没有{groups}的{label}{'上升' if rise else '下降'}：可比较的{len(ranked)}组全部"
                f"{other}；变化最小的是{name(least)}，{detail(least)}。"
            )
        else:
            sentences.append(
                f"No {groups.lower()} saw {label} {'rise' if rise else 'fall'}: all "
                f"{len(ranked)} comparable groups {other}; the smallest change is "
                f"{name(least)}, {detail(least)}."
            )
    elif top_n is not None and top_n > 1 and len(moved) > 1:
        # "前3": the leader first, each with both values and its change.
        listed = moved[:top_n]
        if zh:
            items = "；".join(f"{name(r)}{detail(r)}" for r in listed)
            sentences.append(f"{label}{word}的{len(listed)}个{groups}：{items}。")
        else:
            items = "; ".join(f"{name(r)} {detail(r)}" for r in listed)
            biggest = "largest rise" if rise else "largest fall"
            sentences.append(f"{label}, top {len(listed)} by {biggest} ({groups}): {items}.")
    else:
        lead = moved[0]
        tied = [r for r in moved if r[key] == lead[key]]
        if len(tied) > 1:
            names = ("、" if zh else ", ").join(name(r) for r in tied)
            sentences.append(
                f"{names}的{label}并列{word}（各{_signed_change(lead, meta, key, language)}）。"
                if zh
                else f"{label} {word} in {names} (tied, "
                f"{_signed_change(lead, meta, key, language)} each)."
            )
        else:
            sentences.append(
                f"{name(lead)}的{label}{word}：{detail(lead)}。"
                if zh
                else f"{label} {word} in {name(lead)}: {detail(lead)}."
            )
    if ranked and moved and top_n is not None and len(moved) < min(top_n, len(ranked)):
        sentences.append(
            f"只有{len(moved)}个{groups}{'上升' if rise else '下降'}。"
            if zh
            else f"Only {len(moved)} {'rose' if rise else 'fell'}."
        )
    elif ranked and moved and top_n is None:
        verb_zh, verb_en = ("上升", "rose") if rise else ("下降", "fell")
        sentences.append(
            f"可比较的{len(ranked)}组中{len(moved)}组{verb_zh}。"
            if zh
            else f"{len(moved)} of the {len(ranked)} comparable groups {verb_en}."
        )
    if small:
        sentences.append(_small_bases(small, all_small, meta, name, detail, language))
    if excluded:
        names = ("、" if zh else ", ").join(name(r) for r in excluded)
        sentences.append(
            f"{names}在对比期或本期没有数据，无法比较，未参与排名。"
            if zh
            else f"Not comparable (no value in one of the two periods), not ranked: {names}."
        )
    return ("" if zh else " ").join(sentences)
