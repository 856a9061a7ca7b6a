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
            if suffix:
                zh, en = extra[suffix]
                name = f"{name} {zh if language == 'zh' else en}"
            rename[column] = name
            out[column] = [
                format_cell(v, meta.format if not suffix else ",.1f") for v in out[column]
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
