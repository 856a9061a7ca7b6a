"""Charts from a declarative spec chosen by the result's shape (never generated code).

single value -> KPI card (with change when compared); period -> line; one dimension -> sorted
bar; two dimensions -> grouped bars (few series) or heatmap; a table is always shown beside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from assistant.answer.table import (
    MINUTES_FORMAT,
    change_order,
    format_cell,
    labeler,
    shown_unit,
    unit_suffix,
)
from assistant.planning.period_text import format_period
from semantic_layer.executor import MetricResult

ChartKind = Literal["kpi", "kpi_grid", "line", "bar", "grouped_bar", "heatmap", "none"]
KPI_GRID_COLUMNS = 3
MAX_GROUPED_SERIES = 5
PALETTE = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04"]
LEADER_COLOR = "#f97316"  # the group a ranking question asked for
MUTED_COLOR = "#94a3b8"  # the rest of the ranking
# plotly_white with the trace defaults of the kinds drawn here only: plotly copies and checks
# the whole template into every figure, and the full one (defaults for ~50 trace types) halves
# the speed of each chart and doubles its JSON.
_WHITE = pio.templates["plotly_white"]
TEMPLATE = go.layout.Template(
    layout=_WHITE.layout,
    data={k: _WHITE.data[k] for k in ("bar", "scatter", "heatmap", "waterfall")},
)


@dataclass(frozen=True)
class ChartSpec:
    """What to draw: the kind and which result columns go where (all names, no code)."""

    kind: ChartKind
    metric: str
    x: str | None = None
    color: str | None = None
    title: str = ""  # the metric's label with the unit it is shown in: "首次响应时长（分钟）"
    unit: str = ""  # the unit the values are shown in (after ``scale``)
    scale: float = 1.0  # factor from the result's values to the shown unit (hours → minutes)
    value_format: str = ",.2f"
    direction: str = "neutral"


def choose_chart(result: MetricResult, language: str = "en") -> ChartSpec:
    """Pick the chart for a result from its shape alone."""
    query = result.query
    metric = query.metrics[0]
    meta = result.metrics.get(metric)
    title = (meta.label_zh if language == "zh" else meta.label_en) if meta else metric
    frame = result.data
    values = frame[metric] if metric in frame.columns else ()
    unit, scale = shown_unit(meta.unit, values) if meta else ("", 1.0)
    common = {
        "metric": metric,
        "title": title + unit_suffix(unit, language),
        "unit": unit,
        "scale": scale,
        "value_format": MINUTES_FORMAT if scale != 1.0 else (meta.format if meta else ",.2f"),
        "direction": meta.direction if meta else "neutral",
    }
    if frame.empty or metric not in frame.columns:
        return ChartSpec(kind="none", **common)
    dims = [d for d in query.dimensions if d in frame.columns]
    has_period = "period" in frame.columns
    if has_period:
        return ChartSpec(kind="line", x="period", color=dims[0] if dims else None, **common)
    if not dims:
        if len(frame) != 1:
            return ChartSpec("none", **common)
        # several numbers (an overview): a card each, as the cockpit shows them
        return ChartSpec(kind="kpi_grid" if len(query.metrics) > 1 else "kpi", **common)
    if len(dims) == 1:
        ranked = change_order(query)
        if (
            ranked is not None and ranked in frame.columns
        ):  # "下降最多的大区": the bars show what was ranked, the change
            return _change_bar(ranked, dims[0], meta, title, common, language)
        return ChartSpec(kind="bar", x=dims[0], **common)
    few = frame[dims[1]].nunique() <= MAX_GROUPED_SERIES
    return ChartSpec(kind="grouped_bar" if few else "heatmap", x=dims[0], color=dims[1], **common)


def _kpi_grid(result: MetricResult, language: str) -> go.Figure:
    """One card per metric of a one-row result: its value in the unit the table shows, and
    the change against the previous period coloured by the metric's good direction."""
    frame, metrics = result.data, result.query.metrics
    columns = KPI_GRID_COLUMNS if len(metrics) > 4 else 2
    rows = -(-len(metrics) // columns)
    fig = go.Figure()
    row = frame.iloc[0]
    for i, name in enumerate(metrics):
        meta = result.metrics.get(name)
        value, previous = row.get(name), row.get(f"{name}__previous")
        unit, scale = shown_unit(meta.unit, [value, previous]) if meta else ("", 1.0)
        label = (meta.label_zh if language == "zh" else meta.label_en) if meta else name
        card = ChartSpec(
            kind="kpi",
            metric=name,
            unit=unit,
            value_format=MINUTES_FORMAT if scale != 1.0 else (meta.format if meta else ",.2f"),
            direction=meta.direction if meta else "neutral",
        )
        compared = previous is not None and pd.notna(previous)
        fig.add_trace(
            go.Indicator(
                mode="number+delta" if compared else "number",
                value=float(value) * scale if pd.notna(value) else None,
                number={"valueformat": card.value_format, "suffix": _suffix(unit)},
                delta=_delta(float(previous) * scale, card) if compared else None,
                title={"text": label + unit_suffix(unit if unit != "%" else "", language)},
                domain={"row": i // columns, "column": i % columns},
            )
        )
    fig.update_layout(grid={"rows": rows, "columns": columns, "pattern": "independent"})
    return _layout(fig, ChartSpec(kind="kpi_grid", metric=metrics[0]), height=170 * rows + 40)


def _change_bar(
    field: str, x: str, meta: Any, title: str, common: dict[str, Any], language: str
) -> ChartSpec:
    """Bars of the change against the previous period: in points for a %, in percent for a
    relative change, else in the metric's shown unit."""
    relative = field.endswith("_pct")
    if relative:
        unit, scale, fmt = "%", 1.0, "+,.1f"
    elif meta is not None and meta.unit == "%":
        unit, scale, fmt = "points", 1.0, "+" + meta.format
    else:
        unit, scale = common["unit"], common["scale"]
        fmt = "+" + (MINUTES_FORMAT if scale != 1.0 else (meta.format if meta else ",.2f"))
    change = "较上期变化" if language == "zh" else " change vs previous period"
    if relative:
        change = "较上期变化率" if language == "zh" else " relative change vs previous period"
    if unit == "points":
        suffix = "（百分点）" if language == "zh" else " (points)"
    else:
        suffix = unit_suffix(unit, language)
    return ChartSpec(
        kind="bar",
        metric=field,
        x=x,
        title=title + change + suffix,
        unit=unit,
        scale=scale,
        value_format=fmt,
        direction=common["direction"],
    )


def _layout(fig: go.Figure, spec: ChartSpec, height: int = 360) -> go.Figure:
    fig.update_layout(
        title={"text": spec.title, "x": 0.01},
        height=height,
        margin={"l": 40, "r": 20, "t": 50, "b": 40},
        template=TEMPLATE,
        colorway=PALETTE,
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def render(
    spec: ChartSpec, result: MetricResult, lexicon: Any = None, language: str = "en"
) -> go.Figure | None:
    """Draw ``spec`` over ``result.data`` (codes shown with their zh/en labels)."""
    if spec.kind == "none":
        return None
    frame = result.data
    label = labeler(result, lexicon, language)
    m = spec.metric
    if spec.scale != 1.0:  # the value and its previous value in the shown unit
        shown = [c for c in (m, f"{m}__previous") if c in frame.columns]
        frame = frame.assign(**{c: frame[c] * spec.scale for c in shown})
    if spec.kind == "kpi":
        row = frame.iloc[0]
        previous = row.get(f"{m}__previous")
        fig = go.Figure(
            go.Indicator(
                mode="number+delta" if previous is not None and pd.notna(previous) else "number",
                value=float(row[m]) if pd.notna(row[m]) else None,
                number={"valueformat": spec.value_format, "suffix": _suffix(spec.unit)},
                delta=_delta(previous, spec) if previous is not None else None,
            )
        )
        return _layout(fig, spec, height=220)
    if spec.kind == "kpi_grid":
        return _kpi_grid(result, language)
    if spec.kind == "line":
        fig = go.Figure()
        x = frame["period"].astype(str).str[:10]
        if spec.color:
            for key, part in frame.groupby(spec.color, sort=True):
                fig.add_scatter(
                    x=part["period"].astype(str).str[:10],
                    y=part[m],
                    mode="lines+markers",
                    name=label(spec.color, key),
                )
        else:
            fig.add_scatter(x=x, y=frame[m], mode="lines+markers", name=spec.title)
        _period_ticks(fig, frame["period"], result.query.time_grain, language)
        return _layout(fig, spec)
    if spec.kind == "bar":
        ordered = frame.sort_values(m, ascending=True)
        # A ranking ("which channel is slowest") shows every group with the one asked for
        # highlighted: the first row of the result, as the query ordered it.
        ranked = bool(result.query.order_by) and result.query.order_by[0].field == m
        # Groups tied with the first share the highlight.
        leaders = set(frame.index[frame[m] == frame[m].iloc[0]]) if ranked else set()
        colors = [
            LEADER_COLOR if i in leaders else (MUTED_COLOR if ranked else PALETTE[0])
            for i in ordered.index
        ]
        text = [format_cell(v, spec.value_format) for v in ordered[m]]
        # a count's relative change from too small a base was not ranked: hatched, and said
        small_base = f"{m.removesuffix('__change_pct')}__small_base"
        small = ordered[small_base].tolist() if small_base in ordered else [False] * len(ordered)
        note = " · 基数太小" if language == "zh" else " · base too small"
        fig = go.Figure(
            go.Bar(
                x=ordered[m],
                y=[label(spec.x or "", v) for v in ordered[spec.x]],
                orientation="h",
                marker_color=colors,
                marker_pattern_shape=["/" if s else "" for s in small],
                text=[t + note if s else t for t, s in zip(text, small, strict=True)],
                textposition="auto",
            )
        )
        return _layout(fig, spec, height=max(260, 40 + 32 * len(ordered)))
    assert spec.x and spec.color
    if spec.kind == "grouped_bar":
        fig = go.Figure()
        for key, part in frame.groupby(spec.color, sort=True):
            fig.add_bar(
                x=[label(spec.x, v) for v in part[spec.x]], y=part[m], name=label(spec.color, key)
            )
        fig.update_layout(barmode="group")
        return _layout(fig, spec)
    pivot = frame.pivot_table(index=spec.x, columns=spec.color, values=m, aggfunc="first")
    fig = go.Figure(
        go.Heatmap(
            z=pivot.to_numpy(),
            x=[label(spec.color, c) for c in pivot.columns],
            y=[label(spec.x, i) for i in pivot.index],
            colorscale="Blues",
            texttemplate="%{z:" + spec.value_format + "}",
        )
    )
    return _layout(fig, spec, height=max(300, 60 + 30 * len(pivot.index)))


# Calendar grains whose periods read better as 2026年第3季度 / Q3 2026 than as a date axis.
_NAMED_GRAINS = ("month", "quarter", "year")
MAX_NAMED_TICKS = 24


def _period_ticks(fig: go.Figure, periods: pd.Series, grain: str | None, language: str) -> None:
    """One tick per month, quarter or year, named as the table names it (a quarterly trend
    otherwise shows month ticks: Jan, Feb, Mar …)."""
    unique = sorted(set(periods))
    if grain not in _NAMED_GRAINS or not unique or len(unique) > MAX_NAMED_TICKS:
        return
    fig.update_xaxes(
        tickvals=[str(p)[:10] for p in unique],
        ticktext=[format_period(p, grain, language) for p in unique],
    )


def _suffix(unit: str) -> str:
    return "%" if unit == "%" else ""


def _delta(previous: Any, spec: ChartSpec) -> dict[str, Any]:
    good_up = spec.direction != "down"
    return {
        "reference": float(previous),
        "valueformat": spec.value_format,
        "increasing": {"color": "#16a34a" if good_up else "#dc2626"},
        "decreasing": {"color": "#dc2626" if good_up else "#16a34a"},
    }
