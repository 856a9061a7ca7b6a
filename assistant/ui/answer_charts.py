"""Charts of the answers that are not one metric result: a why answer's waterfall of
contributions, a forecast's history + forecast + interval band, an alert's series with its
expected band and the anomaly marked. Each is drawn from the answer's payload (numbers from
the semantic layer and the monitoring tools, never recomputed here), in the reader's language.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from assistant.answer.table import unit_suffix
from assistant.ui.charts import TEMPLATE
from assistant.ui.i18n import t

WATERFALL_BARS = 6  # biggest contributions shown; the rest are summed into "others"
BAD, GOOD, TOTAL = "#dc2626", "#16a34a", "#64748b"
BAND = "rgba(37, 99, 235, 0.15)"


def answer_figure(payload: dict[str, Any], lexicon: Any, catalog: Any, lang: str) -> Any:
    """The chart for an answer's payload (why / forecast / alerts), or None."""
    if payload.get("why"):
        return why_waterfall(payload["why"], lexicon, catalog, lang)
    if payload.get("forecast"):
        return forecast_chart(payload["forecast"], catalog, lang)
    if payload.get("series") and payload.get("alerts"):
        return alert_chart(payload["series"], catalog, lang)
    return None


def _metric_label(catalog: Any, metric: str, lang: str) -> tuple[str, str]:
    try:
        spec = catalog.metric(metric)
    except Exception:  # a metric the catalog no longer has: its name is still a label
        return metric, ""
    return (spec.label.zh if lang == "zh" else spec.label.en), (spec.unit or "")


def _direction(catalog: Any, metric: str) -> str:
    try:
        return catalog.metric(metric).direction
    except Exception:  # unknown metric: neutral colours as "up is good"
        return "up"


def _axis(label: str, unit: str, lang: str) -> str:
    """A value axis title as the answer's table header reads: "客户满意度（%）", "CSAT (%)"."""
    return label + unit_suffix(unit, lang)


def _signed(value: float, number: str) -> str:
    """A contribution with its sign; one that rounds to zero reads "0.0", not "-0.0"."""
    shown = format(value, "+" + number)
    return shown[1:] if float(shown.replace(",", "")) == 0 else shown


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, height: int = 380) -> Any:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        height=height,
        margin={"l": 50, "r": 20, "t": 50, "b": 60},
        template=TEMPLATE,
        legend={"orientation": "h", "y": -0.2},
        xaxis_title=x_title,
        yaxis_title=y_title,
        separators=".,",
    )
    return fig


def why_waterfall(report: dict[str, Any], lexicon: Any, catalog: Any, lang: str) -> Any:
    """Previous value -> each contribution of the dimension that moved most -> current value.
    The contributions of one dimension add up to the change, so the bars end on the current
    value; cited cases (examples of the themes that grew) are named under the chart."""
    before, now = report.get("value_before"), report.get("value_now")
    top = report.get("top_contributors") or []
    if before is None or now is None or not top:
        return None
    dimension = top[0]["dimension"]
    parts = sorted(report["by_dimension"].get(dimension, []), key=lambda c: -abs(c["contribution"]))
    shown, rest = parts[:WATERFALL_BARS], parts[WATERFALL_BARS:]
    label, unit = _metric_label(catalog, report["metric"], lang)
    good_up = _direction(catalog, report["metric"]) != "down"

    def name(c: dict[str, Any]) -> str:
        try:
            return lexicon.value_label(dimension, c["value"], lang)
        except Exception:  # a code without a label
            return str(c["value"])

    x = [t(lang, "chart_before"), *(name(c) for c in shown)]
    y = [before, *(c["contribution"] for c in shown)]
    measure = ["absolute", *(["relative"] * len(shown))]
    if rest:
        x.append(t(lang, "chart_other"))
        y.append(sum(c["contribution"] for c in rest))
        measure.append("relative")
    x.append(t(lang, "chart_now"))
    y.append(now)
    measure.append("total")
    number = ",.1f" if unit == "%" else ",.2f"
    text = [
        format(v, number) if m != "relative" else _signed(v, number)
        for v, m in zip(y, measure, strict=True)
    ]
    fig = go.Figure(
        go.Waterfall(
            x=x,
            y=y,
            measure=measure,
            text=text,
            textposition="outside",
            # Coloured by the metric's good direction: a rise in complaints is red, in CSAT green.
            increasing={"marker": {"color": GOOD if good_up else BAD}},
            decreasing={"marker": {"color": BAD if good_up else GOOD}},
            totals={"marker": {"color": TOTAL}},
            connector={"line": {"color": "#cbd5e1"}},
            name=t(lang, "chart_contribution"),
        )
    )
    cited = [i for theme in report.get("grown_themes", [])[:2] for i in theme["example_ids"][:3]]
    if cited:
        fig.add_annotation(
            text=("案例：" if lang == "zh" else "Cases: ") + ", ".join(cited),
            xref="paper",
            yref="paper",
            x=0,
            y=-0.22,
            showarrow=False,
            align="left",
        )
    try:
        dim_label = lexicon.dimension_label(dimension, lang)
    except Exception:
        dim_label = dimension
    title = t(lang, "chart_why_title", metric=label, dimension=dim_label)
    lo, hi = min(before, now), max(before, now)
    running, low, high = before, lo, hi
    for v in y[1:-1]:
        running += v
        low, high = min(low, running), max(high, running)
    pad = (high - low) * 0.25 or abs(high) * 0.05 or 1
    fig = _layout(fig, title, dim_label, _axis(label, unit, lang))
    # The bars start at the previous value, not at zero: zoom to where they move.
    fig.update_yaxes(range=[low - pad, high + pad])
    return fig


def forecast_chart(forecast: dict[str, Any], catalog: Any, lang: str) -> Any:
    """Recent actual weeks, the weekly forecast, its 80 % and 95 % bands, and (when the
    question asked for a calendar period such as next month) that period shaded."""
    weeks = forecast.get("weeks") or []
    if not weeks:
        return None
    label, _unit = _metric_label(catalog, forecast["metric"], lang)
    fig = go.Figure()
    xs = [w["week_start"] for w in weeks]
    bands = (("low_95", "high_95", "chart_band95"), ("low_80", "high_80", "chart_band80"))
    for low, high, key in bands:
        fig.add_scatter(
            x=xs + xs[::-1],
            y=[w[high] for w in weeks] + [w[low] for w in weeks][::-1],
            fill="toself",
            fillcolor=BAND,
            line={"width": 0},
            name=t(lang, key),
            hoverinfo="skip",
        )
    history = forecast.get("history") or []
    if history:
        fig.add_scatter(
            x=[h[0] for h in history],
            y=[h[1] for h in history],
            mode="lines+markers",
            name=t(lang, "chart_actual"),
            line={"color": "#0f172a"},
        )
    fig.add_scatter(
        x=xs,
        y=[w["forecast"] for w in weeks],
        mode="lines+markers",
        name=t(lang, "chart_forecast"),
        line={"color": "#2563eb", "dash": "dash"},
    )
    period = forecast.get("period")
    if period:
        fig.add_vrect(
            x0=period[0],
            x1=period[1],
            fillcolor="rgba(249, 115, 22, 0.10)",
            line_width=0,
            annotation_text=t(lang, "chart_period_asked"),
            annotation_position="top left",
        )
    title = t(lang, "chart_forecast_title", metric=label)
    fig = _layout(fig, title, t(lang, "chart_week_of"), label)
    fig.update_xaxes(tickformat="%Y-%m-%d" if lang == "en" else "%m月%d日")
    return fig


def alert_chart(series: dict[str, Any], catalog: Any, lang: str) -> Any:
    """The alert's metric over time, the expected band over its window, the anomaly marked."""
    points = [p for p in series.get("points", []) if p[1] is not None]
    if not points:
        return None
    label, unit = _metric_label(catalog, series["metric"], lang)
    start, end = series["window"]
    fig = go.Figure()
    fig.add_scatter(
        x=[p[0] for p in points],
        y=[p[1] for p in points],
        mode="lines+markers",
        name=t(lang, "chart_actual"),
        line={"color": "#0f172a"},
    )
    low, high = series["band"]
    fig.add_shape(
        type="rect",
        x0=start,
        x1=end,
        y0=low,
        y1=high,
        fillcolor=BAND,
        line_width=0,
        layer="below",
    )
    fig.add_scatter(  # a legend entry for the band drawn above
        x=[start, end],
        y=[series["expected"]] * 2,
        mode="lines",
        line={"color": "#2563eb", "dash": "dot"},
        name=t(lang, "chart_expected_band") + f" {low:,.1f}–{high:,.1f}",
    )
    fig.add_scatter(
        x=[start],
        y=[series["observed"]],
        mode="markers+text",
        marker={"color": BAD, "size": 14, "symbol": "diamond"},
        text=[t(lang, "chart_anomaly")],
        textposition="top center",
        name=t(lang, "chart_anomaly"),
    )
    title = t(lang, "chart_alert_title", metric=label)
    fig = _layout(fig, title, t(lang, "chart_date"), _axis(label, unit, lang))
    fig.update_xaxes(tickformat="%Y-%m-%d" if lang == "en" else "%m月%d日")
    return fig
