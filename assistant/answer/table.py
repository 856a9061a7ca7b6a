"""A result as a table people read: labels for codes and metrics, values in the metric's format,
periods as 2026年10月 / October 2026. Shared by the chat UI, the CLI and exports."""

from __future__ import annotations

from typing import Any

from assistant.planning.period_text import format_period
from semantic_layer.executor import MetricResult
from semantic_layer.result_table import as_date, missing


def labeler(result: MetricResult, lexicon: Any, language: str):
    def label(dimension: str, value: Any) -> str:
        if dimension == "period":
            return format_period(as_date(value), result.query.time_grain, language)
        if lexicon is None:
            return str(value)
        try:
            return lexicon.value_label(dimension, str(value), language)
        except Exception:  # unknown dimension in the lexicon: show the code
            return str(value)

    return label


# A metric's unit code → how a value is written after the number in zh and in en.
UNITS = {
    "hours": ("小时", " hours"),
    "minutes": ("分钟", " minutes"),
    "CNY": ("元", " CNY"),
    "%": ("%", "%"),
    "tickets": ("单", " tickets"),
    "complaints": ("件", " complaints"),
    "orders": ("单", " orders"),
    "responses": ("份", " responses"),
    "per 1,000 orders": ("件/千单", " per 1,000 orders"),
}

COUNT_UNITS = frozenset({"tickets", "complaints", "orders", "responses"})


def unit_label(unit: str, language: str) -> str:
    """A metric's unit as a header or chart axis shows it: "件" / "complaints", "%" ("" for
    scores)."""
    if unit in ("score", "points", ""):
        return ""
    zh_unit, en_unit = UNITS.get(unit, (unit, unit))
    return (zh_unit if language == "zh" else en_unit).strip()


MINUTES_FORMAT = ",.1f"  # minutes as the answer's text writes them ("8.7分钟")


def shown_unit(unit: str, values: Any) -> tuple[str, float]:
    """The unit a column of values is shown in and the factor that converts them: durations in
    hours that all lie under one hour read as minutes (0.15 → 8.7), as the answer's text says
    them ("8.7分钟"), so text, table and chart show the same number."""
    if unit != "hours":
        return unit, 1.0
    numbers = [abs(float(v)) for v in values if not missing(v)]
    return ("minutes", 60.0) if numbers and max(numbers) < 1 else ("hours", 1.0)


def unit_suffix(unit: str, language: str) -> str:
    """A header's or title's unit: "（分钟）" / " (minutes)"; "" for scores."""
    label = unit_label(unit, language)
    if not label:
        return ""
    return f"（{label}）" if language == "zh" else f" ({label})"


def format_cell(value: float | None, fmt: str) -> str:
    if missing(value):
        return "–"
    try:
        return format(float(value), fmt)
    except ValueError:
        return f"{value:,.2f}"


Columns = list[tuple[str, str, list[Any] | None]]


def change_order(query: Any) -> str | None:
    """The change column a ranking by change is ordered by ("下降最多的大区": "csat__change",
    "增长最快": "…__change_pct"), or None when the query is not ranked by its metric's change."""
    if not query.order_by or not query.metrics:
        return None
    field, metric = query.order_by[0].field, query.metrics[0]
    return field if field in (f"{metric}__change", f"{metric}__change_pct") else None


def display_columns(
    result: MetricResult, lexicon: Any = None, language: str = "en", max_rows: int = 50
) -> tuple[list[int], Columns]:
    """The readable table's rows and columns: (the result rows shown, in order; per column its
    header, the result column it shows, and its shown values, None where the values are the
    result's own). Labelled codes and metrics, helper columns dropped. A breakdown nobody asked
    to order lists the largest first, as its chart does (not by code); equal values and
    missing ones (last) keep their order. One row of several metrics (an overview) is shown
    a row per metric."""
    order, columns = _result_columns(result, lexicon, language, max_rows)
    if _one_row_of_metrics(result):
        return _by_metric(columns, language)
    return order, columns


def _one_row_of_metrics(result: MetricResult) -> bool:
    """Several numbers of one scope and period (an overview): a row per metric reads better
    than a column per number (eighteen for six metrics against the period before)."""
    query = result.query
    return (
        len(query.metrics) > 1
        and not query.dimensions
        and query.time_grain is None
        and len(result.table) == 1
    )


def _by_metric(columns: Columns, language: str) -> tuple[list[int], Columns]:
    """The one row's columns turned: a row per metric (named by its value column's header,
    with the unit), its value, previous value and changes where the result has them."""
    zh = language == "zh"
    parts = {"": ("数值", "Value"), "previous": ("上期", "Previous")}
    parts |= {"change": ("变化", "Change"), "change_pct": ("变化%", "Change %")}
    cells: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for header, source, values in columns:
        base, _, suffix = source.partition("__")
        if suffix in parts:
            cells.setdefault(base, {})[suffix] = values[0] if values else None
            if not suffix:
                names[base] = header
    shown = [part for part in parts if any(part in c for c in cells.values())]
    out: Columns = [("指标" if zh else "Metric", "", [names.get(m, m) for m in cells])]
    for part in shown:
        header = parts[part][0 if zh else 1]
        out.append((header, "", [c.get(part, "–") for c in cells.values()]))
    return list(range(len(cells))), out


def _result_columns(
    result: MetricResult, lexicon: Any, language: str, max_rows: int
) -> tuple[list[int], Columns]:
    """``display_columns`` before an overview's row is turned."""
    table = result.table
    query = result.query
    order = list(range(len(table)))
    if query.dimensions and not query.order_by and query.time_grain is None:
        first = query.metrics[0] if query.metrics else None
        if first in table:
            values = table.column(first)
            known = [i for i in order if not missing(values[i])]
            known.sort(key=lambda i: values[i], reverse=True)
            order = known + [i for i in order if missing(values[i])]
    order = order[:max_rows]
    label = labeler(result, lexicon, language)
    # A ranking by the change in the metric's own unit ("下降最多", -7.5 points) shows that
    # change beside the relative one, so the order can be read off the table.
    ranked_change = change_order(query)
    keep = [
        c
        for c in table.names
        if "__" not in c or c.partition("__")[2] in ("previous", "change_pct") or c == ranked_change
    ]

    def shown(column: str) -> list[Any]:
        values = table.column(column)
        return [values[i] for i in order]

    out: list[tuple[str, str, list[Any] | None]] = []
    for column in keep:
        base, _, suffix = column.partition("__")
        meta = result.metrics.get(base)
        if meta is not None:
            name = meta.label_zh if language == "zh" else meta.label_en
            extra = {
                "previous": ("上期", "previous"),
                "change": ("变化", "change"),
                "change_pct": ("变化%", "change %"),
            }
            if suffix == "change_pct":  # a relative change: no unit, no conversion
                header = f"{name} {extra[suffix][0 if language == 'zh' else 1]}"
                out.append((header, column, [format_cell(v, ",.1f") for v in shown(column)]))
                continue
            # The value and its previous value share one unit (both columns decide it).
            pair = [c for c in (base, f"{base}__previous") if c in keep]
            unit, factor = shown_unit(meta.unit, [v for c in pair for v in shown(c)])
            if suffix:
                name = f"{name} {extra[suffix][0 if language == 'zh' else 1]}"
            # A count's header needs no unit (投诉量); a duration, % or amount does.
            if suffix == "change" and unit == "%":  # a change of a % is in points
                header = name + ("（百分点）" if language == "zh" else " (points)")
            else:
                header = name + ("" if unit in COUNT_UNITS else unit_suffix(unit, language))
            fmt = MINUTES_FORMAT if factor != 1.0 else meta.format
            cells = [
                format_cell(None if missing(v) else float(v) * factor, fmt) for v in shown(column)
            ]
            out.append((header, column, cells))
        elif column == "period":
            header = "期间" if language == "zh" else "Period"
            out.append((header, column, [label(column, v) for v in shown(column)]))
        elif lexicon is not None:
            try:
                header = lexicon.dimension_label(column, language)
            except Exception:
                header = column
            out.append((header, column, [label(column, v) for v in shown(column)]))
        else:
            out.append((column, column, None))
    return order, out


def display_table(
    result: MetricResult, lexicon: Any = None, language: str = "en", max_rows: int = 50
) -> Any:
    """The result as a readable pandas DataFrame (``display_columns``; its index holds the
    result rows shown)."""
    import pandas as pd

    order, columns = display_columns(result, lexicon, language, max_rows)
    frame = result.data
    index = order if order != list(range(len(order))) else None
    data = {}
    for i, (_, source, values) in enumerate(columns):
        data[i] = frame[source].take(order).to_numpy() if values is None else values
    out = pd.DataFrame(data, index=index)
    out.columns = [header for header, _, _ in columns]
    return out


def text_table(
    result: MetricResult, lexicon: Any = None, language: str = "en", max_rows: int = 50
) -> str:
    """The readable table as plain text, as ``display_table(...).to_string(index=False)``
    writes it: every column right-aligned to its widest cell, one space between. Cells pandas
    would write otherwise (not text, empty, with outer spaces) are left to pandas."""
    _, columns = display_columns(result, lexicon, language, max_rows)
    cells = [[header, *(values or [None])] for header, _, values in columns]
    if not columns or any(
        not isinstance(c, str) or not c or c != c.strip() for col in cells for c in col
    ):
        return display_table(result, lexicon, language, max_rows).to_string(index=False)
    widths = [max(len(c) for c in col) for col in cells]
    aligned = [[c.rjust(w) for c in col] for col, w in zip(cells, widths, strict=True)]
    return "\n".join(" ".join(line) for line in zip(*aligned, strict=True))


def markdown_table(frame: Any, max_rows: int = 20, language: str = "en") -> str:
    if frame.empty:
        return ""
    head = frame.head(max_rows)
    lines = ["| " + " | ".join(str(c) for c in head.columns) + " |"]
    lines.append("|" + "---|" * len(head.columns))
    for row in head.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    if len(frame) > max_rows:
        more = len(frame) - max_rows
        lines.append(f"\n… 另有 {more} 行" if language == "zh" else f"\n… {more} more rows")
    return "\n".join(lines)
