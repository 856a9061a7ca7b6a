"""A result as a table people read: labels for codes and metrics, values in the metric's format,
periods as 2026年10月 / October 2026. Shared by the chat UI, the CLI and exports."""

from __future__ import annotations

from typing import Any

import pandas as pd

from assistant.planning.period_text import format_period
from semantic_layer.executor import MetricResult


def labeler(result: MetricResult, lexicon: Any, language: str):
    def label(dimension: str, value: Any) -> str:
        if dimension == "period":
            return format_period(_as_date(value), result.query.time_grain, language)
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
    numbers = [abs(float(v)) for v in values if v is not None and not pd.isna(v)]
    return ("minutes", 60.0) if numbers and max(numbers) < 1 else ("hours", 1.0)


def unit_suffix(unit: str, language: str) -> str:
    """A header's or title's unit: "（分钟）" / " (minutes)"; "" for scores."""
    label = unit_label(unit, language)
    if not label:
        return ""
    return f"（{label}）" if language == "zh" else f" ({label})"


def format_cell(value: float | None, fmt: str) -> str:
    if value is None or pd.isna(value):
        return "–"
    try:
        return format(float(value), fmt)
    except ValueError:
        return f"{value:,.2f}"


def display_table(
    result: MetricResult, lexicon: Any = None, language: str = "en", max_rows: int = 50
) -> pd.DataFrame:
    """The result as a readable table: labelled codes and metrics, helper columns dropped. A
    breakdown nobody asked to order lists the largest first, as its chart does (not by code)."""
    frame = result.data
    query = result.query
    if query.dimensions and not query.order_by and query.time_grain is None:
        first = query.metrics[0] if query.metrics else None
        if first in frame.columns:
            frame = frame.sort_values(first, ascending=False, na_position="last", kind="stable")
    label = labeler(result, lexicon, language)
    keep = [
        c
        for c in frame.columns
        if "__" not in c or c.partition("__")[2] in ("previous", "change_pct")
    ]
    out = frame[keep].head(max_rows).copy()
    rename: dict[str, str] = {}
    for column in out.columns:
        base, _, suffix = column.partition("__")
        meta = result.metrics.get(base)
        if meta is not None:
            name = meta.label_zh if language == "zh" else meta.label_en
            extra = {"previous": ("上期", "previous"), "change_pct": ("变化%", "change %")}
            if suffix == "change_pct":  # a relative change: no unit, no conversion
                rename[column] = f"{name} {extra[suffix][0 if language == 'zh' else 1]}"
                out[column] = [format_cell(v, ",.1f") for v in out[column]]
                continue
            # The value and its previous value share one unit (both columns decide it).
            pair = [c for c in (base, f"{base}__previous") if c in out.columns]
            unit, factor = shown_unit(meta.unit, out[pair].to_numpy().ravel())
            if suffix:
                name = f"{name} {extra[suffix][0 if language == 'zh' else 1]}"
            # A count's header needs no unit (投诉量); a duration, % or amount does.
            rename[column] = name + ("" if unit in COUNT_UNITS else unit_suffix(unit, language))
            fmt = MINUTES_FORMAT if factor != 1.0 else meta.format
            out[column] = [
                format_cell(None if v is None or pd.isna(v) else float(v) * factor, fmt)
                for v in out[column]
            ]
        elif column == "period":
            out[column] = [label(column, v) for v in out[column]]
            rename[column] = "期间" if language == "zh" else "Period"
        elif lexicon is not None:
            out[column] = [label(column, v) for v in out[column]]
            try:
                rename[column] = lexicon.dimension_label(column, language)
            except Exception:
                rename[column] = column
    return out.rename(columns=rename)


def _as_date(value: Any) -> Any:
    """A period value as a date (DuckDB returns dates, other engines timestamps)."""
    try:
        return pd.Timestamp(value).date()
    except (TypeError, ValueError):
        return value


def markdown_table(frame: pd.DataFrame, max_rows: int = 20, language: str = "en") -> str:
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
