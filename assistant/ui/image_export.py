"""Images made on the server: the cockpit as one PNG (title, breadcrumb, period, every KPI card,
the trend and the breakdown) and any chart as PNG (the cockpit's, the chat answers'), drawn by
``tools.chart_image`` with Pillow and Noto Sans CJK, in the viewer's language, as the viewer's
role. No browser, no kaleido.

Nothing is computed twice: the cockpit image is drawn from the ``CockpitView`` the page itself
is rendered from (``cockpit_tab.cockpit``, same queries through the shared result cache): its
cards from the view's ``KpiCard`` records the page's card HTML is made of (the very value,
target, change text and status colours), its charts from the Plotly figures the page shows
(the same values, labels, texts and colours).
"""

from __future__ import annotations

import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from assistant.authorize import require_metrics
from assistant.errors import AccessDenied
from assistant.roles import get_role
from assistant.ui.charts import PALETTE as PAGE_PALETTE
from assistant.ui.context import UIContext
from assistant.ui.i18n import Translator, t
from tools.chart_image import (
    MUTED,
    Area,
    Band,
    Bar,
    BarChart,
    Card,
    CardGrid,
    LineChart,
    Mark,
    Page,
    Series,
    render_png,
)

# The Plotly mode bar is hidden: its tooltips and its snapshot toast are English whatever the
# UI language (Gradio passes no Plotly config, so no locale), and charts export from the server
# instead ("导出图片" under the cockpit, the PNG link under each chat chart).
MODEBAR_CSS = ".js-plotly-plot .plotly .modebar-container { display: none !important; }\n"


# ---- the cockpit's cards -----------------------------------------------------------------


def _badge_text(title: str, lang: str) -> str:
    """A card title without its badge emoji (no emoji font draws them): certified is the norm
    and goes; not certified is said in words."""
    title = title.replace("\ufe0f", "").strip()
    if title.endswith("✅"):
        return title[:-1].rstrip()
    if title.endswith("⚠"):
        return title[:-1].rstrip() + t(lang, "png_not_certified")
    return title


def image_cards(cards: tuple[Any, ...], lang: str) -> tuple[Card, ...]:
    """The cockpit's ``KpiCard``s as ``chart_image`` cards: the same texts and colours."""
    return tuple(
        Card(
            title=_badge_text(c.title, lang),
            value=c.value,
            lines=((c.goal, c.accent if c.status != "none" else MUTED), (c.delta, c.change_color)),
            accent=c.accent,
            value_color=c.accent if c.status == "breach" else "#111827",
            spark=c.spark,
            spark_color=c.accent if c.status != "none" else MUTED,
        )
        for c in cards
    )


# ---- Plotly figures as chart_image charts -----------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _x_text(value: Any, axis: Any) -> str:
    """An x value as the axis labels it: its tick text, its tick format, or the date."""
    raw = str(value)[:10]
    if axis.tickvals is not None and axis.ticktext is not None:
        names = {str(v)[:10]: str(n) for v, n in zip(axis.tickvals, axis.ticktext, strict=False)}
        if raw in names:
            return names[raw]
    if axis.tickformat:
        try:
            return pd.Timestamp(raw).strftime(axis.tickformat)
        except (ValueError, TypeError):
            return raw
    return raw


def _color(value: Any, alpha: bool = False) -> str:
    """A Plotly colour as Pillow reads it: "rgba(37, 99, 235, 0.15)" → "#2563eb26" (or, with
    ``alpha`` False, that colour over white: "#dee8fc")."""
    text = _text(value).strip()
    match = re.fullmatch(r"rgba?\(([^)]*)\)", text)
    if not match:
        return text
    parts = [float(p) for p in match.group(1).split(",")]
    r, g, b = (int(round(v)) for v in parts[:3])
    a = parts[3] if len(parts) > 3 else 1.0
    if alpha:
        return f"#{r:02x}{g:02x}{b:02x}{int(round(a * 255)):02x}"
    r, g, b = (int(round(255 - (255 - v) * a)) for v in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


def _note(fig: Any) -> str:
    """The figure's notes placed on the paper (a why chart's cited cases)."""
    return " ".join(
        _text(a.text) for a in fig.layout.annotations or () if a.xref == "paper" and a.text
    )


def figure_chart(fig: Any) -> LineChart | BarChart | None:
    """The chart of a Plotly figure drawn here (bars; a why waterfall; lines with bands, a
    forecast interval and a marked point), or None for kinds not drawn on the server (a
    heatmap, grouped bars, a single number)."""
    if fig is None or not fig.data:
        return None
    layout = fig.layout
    title = _text(layout.title.text)
    x_title, y_title = _text(layout.xaxis.title.text), _text(layout.yaxis.title.text)
    kinds = {trace.type for trace in fig.data}
    if kinds == {"bar"} and len(fig.data) == 1:
        return _bar_chart(fig.data[0], title, x_title, y_title)
    if kinds == {"waterfall"} and len(fig.data) == 1:
        return _waterfall_chart(fig, title, x_title, y_title)
    if kinds == {"scatter"}:
        return _line_chart(fig, title, y_title)
    return None


def _waterfall_chart(fig: Any, title: str, x_title: str, y_title: str) -> BarChart:
    """Previous value, each contribution as a step from where the last ended, the current
    value: the page's bars top to bottom, with the page's texts and colours."""
    trace = fig.data[0]
    colors = {
        "up": _color(trace.increasing.marker.color),
        "down": _color(trace.decreasing.marker.color),
        "total": _color(trace.totals.marker.color),
    }
    bars, running = [], 0.0
    for label, v, measure, text in zip(trace.x, trace.y, trace.measure, trace.text, strict=False):
        if measure == "relative":
            bars.append(
                Bar(str(label), running + v, _text(text), colors["up" if v >= 0 else "down"],
                    base=running)
            )  # fmt: skip
            running += v
        else:  # "absolute" starts the walk; a "total" is where it has got to
            running = float(v) if measure == "absolute" else running
            bars.append(Bar(str(label), running, _text(text), colors["total"]))
    return BarChart(
        title=title,
        bars=tuple(bars),
        value_label=y_title,
        category_label=x_title,
        from_zero=False,
        note=_note(fig),
    )


def _bar_chart(bar: Any, title: str, x_title: str, y_title: str) -> BarChart:
    horizontal = bar.orientation == "h"
    labels, values = (bar.y, bar.x) if horizontal else (bar.x, bar.y)
    value_label, category_label = (x_title, y_title) if horizontal else (y_title, x_title)
    texts = list(bar.text) if isinstance(bar.text, (list, tuple)) else [None] * len(values)
    color = bar.marker.color
    colors = list(color) if isinstance(color, (list, tuple)) else [color or ""] * len(values)
    bars = [
        Bar(
            label=str(label),
            value=None if v is None or pd.isna(v) else float(v),
            text=_text(text) or ("–" if v is None or pd.isna(v) else f"{float(v):,.2f}"),
            color=str(c or ""),
        )
        for label, v, text, c in zip(labels, values, texts, colors, strict=False)
    ]
    if horizontal:  # Plotly draws the first category at the bottom: the page's top is the last
        bars.reverse()
    return BarChart(
        title=title, bars=tuple(bars), value_label=value_label, category_label=category_label
    )


def _line_chart(fig: Any, title: str, y_title: str) -> LineChart:
    axis = fig.layout.xaxis
    keys = sorted({str(x)[:10] for trace in fig.data for x in trace.x})
    position = {k: i for i, k in enumerate(keys)}
    colorway = list(fig.layout.colorway or ()) or list(PAGE_PALETTE)
    series, mark, areas = [], None, []
    for trace in fig.data:
        if trace.fill == "toself":  # an interval: the upper bound forward, the lower back
            xs, ys = [str(x)[:10] for x in trace.x], list(trace.y)
            half = len(xs) // 2
            high = dict(zip(xs[:half], ys[:half], strict=False))
            low = dict(zip(xs[half:], ys[half:], strict=False))
            areas.append(
                Area(
                    low=tuple(_float(low.get(k)) for k in keys),
                    high=tuple(_float(high.get(k)) for k in keys),
                    label=_text(trace.name),
                    color=_color(trace.fillcolor, alpha=True) or "#2563eb26",
                )
            )
            continue
        points = {str(x)[:10]: y for x, y in zip(trace.x, trace.y, strict=False)}
        mode = trace.mode or "lines"
        if "lines" not in mode and len(points) == 1:  # a marked point (an alert's anomaly)
            ((x, y),) = points.items()
            mark = Mark(position[x], float(y), _text(trace.name))
            continue
        series.append(
            Series(
                name=_text(trace.name),
                values=_joined(keys, points),
                color=_color(trace.line.color) or colorway[len(series) % len(colorway)],
                dashed=trace.line.dash not in (None, "solid"),
            )
        )
    band = None
    for shape in fig.layout.shapes or ():
        inside = [i for i, k in enumerate(keys) if str(shape.x0)[:10] <= k <= str(shape.x1)[:10]]
        if shape.type != "rect" or not inside:
            continue
        full = "domain" in _text(shape.yref) or shape.yref == "paper"  # a period, full height
        label = next(
            (_text(a.text) for a in fig.layout.annotations or () if a.xref != "paper"), ""
        )  # add_vrect's annotation: "所问期间"
        band = Band(
            inside[0],
            inside[-1],
            None if full else float(shape.y0),
            None if full else float(shape.y1),
            label=label if full else "",
            color=_color(shape.fillcolor) or "#dbeafe",
        )
    return LineChart(
        areas=tuple(areas),
        title=title,
        x_labels=tuple(_x_text(k, axis) for k in keys),
        series=tuple(series),
        y_label=y_title,
        band=band,
        mark=mark,
    )


def _joined(keys: list[str], points: dict[str, Any]) -> tuple[float | None, ...]:
    """A trace's values at every x of the chart: Plotly joins a trace's own points across the
    x values only other traces have (an alert's expected line from the window's start to its
    end), so those get the joining line's height; a value the trace gives as missing stays a
    gap, and nothing is drawn beyond the trace's first and last x."""
    own = [i for i, k in enumerate(keys) if k in points]
    values: list[float | None] = [_float(points.get(k)) for k in keys]
    for a, b in zip(own, own[1:], strict=False):
        va, vb = values[a], values[b]
        if b - a > 1 and va is not None and vb is not None:
            for i in range(a + 1, b):
                values[i] = va + (vb - va) * (i - a) / (b - a)
    return tuple(values)


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# ---- files ------------------------------------------------------------------------------


def _file(stem: str, data: bytes) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(tempfile.mkdtemp(prefix="sp-png-")) / f"{stem}-{stamp}.png"
    path.write_bytes(data)
    return path


def chart_png(fig: Any, lang: str) -> Path | None:
    """A chart as a PNG file named in ``lang``, or None when the kind is not drawn here."""
    chart = figure_chart(fig)
    if chart is None:
        return None
    return _file(t(lang, "png_chart_file"), render_png(chart))


def cockpit_page(view: Any, lang: str) -> Page:
    """The cockpit image of a ``CockpitView``: what the page shows, top to bottom."""
    period, cards, crumb = (
        view.period_text,
        image_cards(view.card_values, lang),
        view.breadcrumb_text,
    )
    lines = tuple(
        line
        for line in (
            f"{t(lang, 'png_scope')}: {crumb}" if crumb else "",
            f"{t(lang, 'period')}: {period}" if period else "",
        )
        if line
    )
    charts = tuple(c for c in (figure_chart(view.trend), figure_chart(view.drill_plot)) if c)
    return Page(
        title=t(lang, "png_cockpit_title"),
        lines=lines,
        rows=((CardGrid(cards=cards, columns=3),), charts),
        width=1200,
        footer=t(lang, "png_footer", when=datetime.now().strftime("%Y-%m-%d %H:%M")),
    )


def cockpit_png(
    ctx: UIContext,
    role: str | None,
    part: str,
    period: str,
    trend_metric: str,
    lang: str,
    scope: Any = None,
    breakdown: str | None = None,
) -> Path:
    """``part`` ("cockpit", "trend" or "breakdown") of the cockpit the role sees at ``scope``
    as a PNG file. Raises ``AccessDenied`` for a role without the cockpit (the agent)."""
    from assistant.ui.cockpit_tab import cockpit  # the module that builds this one's button

    policy = get_role(role)
    require_metrics(policy)
    if "cockpit" not in policy.tabs():
        raise AccessDenied(
            f"The role '{policy.label.en}' has no cockpit.", f"角色“{policy.label.zh}”没有驾驶舱。"
        )
    view = cockpit(ctx, role, period, trend_metric, lang, scope, breakdown)
    if part == "cockpit":
        return _file(t(lang, "png_cockpit_file"), render_png(cockpit_page(view, lang)))
    chart = figure_chart(view.trend if part == "trend" else view.drill_plot)
    if chart is None:
        raise ValueError(t(lang, "png_no_chart"))
    return _file(t(lang, f"png_{part}_file"), render_png(chart))


def build_png_export(
    ctx: UIContext,
    tr: Translator,
    lang_radio: gr.Radio,
    period: gr.Component,
    scope_state: gr.State,
    trend_metric: gr.Component,
    breakdown: gr.Component,
) -> None:
    """The cockpit's PNG buttons (the whole cockpit, the trend, the breakdown) and their file."""
    with gr.Row():
        buttons = {
            part: tr.add(
                gr.Button(tr.text(f"export_png_{part}"), size="sm", elem_id=f"sp-png-{part}"),
                f"export_png_{part}",
                "value",
            )
            for part in ("cockpit", "trend", "breakdown")
        }
    out = tr.add(
        gr.File(label=tr.text("export_png_file"), interactive=False, elem_id="sp-png-file",
                visible=False),
        "export_png_file",
    )  # fmt: skip

    def run(part: str):  # noqa: ANN202 - a Gradio handler
        def handler(period_value, scope, metric, by, lang_value, request: gr.Request):
            _, role = ctx.identity(request)
            try:
                path = cockpit_png(ctx, role, part, period_value, metric, lang_value, scope, by)
            except (AccessDenied, ValueError) as exc:
                gr.Warning(exc.text(lang_value) if isinstance(exc, AccessDenied) else str(exc))
                return gr.update(visible=False)
            return gr.update(value=str(path), visible=True)

        return handler

    inputs = [period, scope_state, trend_metric, breakdown, lang_radio]
    for part, button in buttons.items():
        button.click(run(part), inputs, out, api_visibility="undocumented")
