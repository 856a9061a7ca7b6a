"""Cockpit (驾驶舱): headline certified KPIs with change vs the previous period, a trend,
breakdowns by region and channel, and alerts, each of which opens its "why" analysis. Every
number runs with the viewer's role."""

from __future__ import annotations

import html
import logging
from datetime import date, timedelta
from typing import Any

import gradio as gr
import pandas as pd

from assistant.alerts import why_plan
from assistant.answer.narrate import format_change, format_value
from assistant.errors import AccessDenied
from assistant.roles import get_role
from assistant.ui.charts import choose_chart, render
from assistant.ui.context import UIContext
from assistant.ui.i18n import Translator, t
from semantic_layer.periods import last_full_month, month_start, quarter_start
from semantic_layer.query import Filter, MetricQuery, TimeRange

log = logging.getLogger(__name__)
HEADLINE_METRICS = (
    "csat",
    "first_response_time_median",
    "sla_compliance",
    "complaint_volume",
    "backlog",
    "nps",
)


def period_range(period: str, today: date) -> tuple[date, date]:
    """[start, end) of the cockpit's period: the last full quarter, the last 30 days or (by
    default) the last full month."""
    if period == "quarter":
        end = quarter_start(today)
        return month_start(end, -3), end
    if period == "30d":
        return today - timedelta(days=30), today
    month = last_full_month(today)
    return month.start, month.end


def region_choices(ctx: UIContext, role: str | None, lang: str) -> list[tuple[str, str]]:
    """The region picker's (label, code) pairs: only the role's own regions when its rows are
    limited to some (no "all regions" then), else every region after "all regions"."""
    allowed = get_role(role).row_filters.get("region")
    codes = ctx.api.catalog.code_lists["region"].codes
    pairs = [
        (c.label.zh if lang == "zh" else c.label.en, c.code)
        for c in codes
        if allowed is None or c.code in allowed
    ]
    return pairs if allowed is not None else [(t(lang, "all_regions"), ""), *pairs]


def _filters(region: str | None) -> tuple[Filter, ...]:
    return (Filter(field="region", op="=", values=(region,)),) if region else ()


def period_label(period: str, start: date, end: date, lang: str) -> str:
    """ "2026年10月" / "October 2026", "2026年第3季度" / "Q3 2026", or the first and last day."""
    if period == "month":
        return t(
            lang,
            "period_label_month",
            year=start.year,
            month=start.month,
            month_name=start.strftime("%B"),
        )
    if period == "quarter":
        return t(lang, "period_label_quarter", year=start.year, quarter=(start.month - 1) // 3 + 1)
    return t(lang, "period_label_days", start=start, last=end - timedelta(days=1))


def _rounds_to_zero(text: str) -> bool:
    """True when a change as shown ("0.0个百分点", "0件") has no non-zero digit."""
    return not any(ch in "123456789" for ch in text)


def sparkline(values: list[float], tone: str) -> str:
    """An inline SVG polyline of ``values`` (oldest first); empty below two points."""
    points = [v for v in values if v is not None and not pd.isna(v)]
    if len(points) < 2:
        return ""
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    width, height = 120, 28
    step = width / (len(points) - 1)
    coords = " ".join(
        f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in enumerate(points)
    )
    return (
        f"<svg class='sp-spark' width='{width}' height='{height}' viewBox='0 0 {width} {height}'>"
        f"<polyline fill='none' stroke='{_COLORS[tone]}' stroke-width='1.5' points='{coords}'/>"
        "</svg>"
    )


def _series(ctx: UIContext, name: str, role, end: date, region: str | None) -> list[float]:
    """The metric's last 12 full months to ``end`` (for the sparkline); [] when it fails."""
    query = MetricQuery(
        metrics=(name,),
        time_grain="month",
        time_range=TimeRange(start=month_start(end, -12), end=end),
        filters=_filters(region),
    )
    try:
        frame = ctx.api.query_metrics(query, role).data
    except Exception as exc:  # the card still shows its value
        log.warning("cockpit sparkline %s: %s", name, exc)
        return []
    return [float(v) for v in frame[name]] if name in frame else []


def kpi_cards(
    ctx: UIContext,
    role: str | None,
    start: date,
    end: date,
    region: str | None,
    lang: str,
    period: str = "month",
) -> str:
    """One card per headline metric: value in its unit, target and status colour, change vs
    the previous period coloured by the metric's good direction, and a 12-month sparkline."""
    cards = []
    for name in HEADLINE_METRICS:
        query = MetricQuery(
            metrics=(name,),
            time_range=TimeRange(start=start, end=end),
            filters=_filters(region),
            compare_to="previous_period",
        )
        try:
            result = ctx.api.query_metrics(query, role)
        except Exception as exc:  # one broken metric must not blank the cockpit
            log.warning("cockpit %s: %s", name, exc)
            cards.append(_card(name, "–", str(exc)[:80], "neutral"))
            continue
        meta = result.metrics[name]
        label = meta.label_zh if lang == "zh" else meta.label_en
        row = result.data.iloc[0] if len(result.data) else pd.Series(dtype=object)
        value, change = row.get(name), row.get(f"{name}__change")
        missing = value is None or pd.isna(value)
        shown = format_value(None if missing else float(value), meta, lang)
        delta, tone = "", "neutral"
        if change is not None and not pd.isna(change):
            amount = format_change(float(change), meta, lang)
            if _rounds_to_zero(amount):
                delta = f"＝ {amount} {t(lang, 'vs_prev')}"
            else:
                arrow = "▲" if change > 0 else "▼"
                delta = f"{arrow} {amount} {t(lang, 'vs_prev')}"
                if meta.direction in ("up", "down"):
                    tone = "good" if (change > 0) == (meta.direction == "up") else "bad"
        target = ctx.targets.find(name, region) if ctx.targets and not missing else None
        status, goal = "none", ""
        if target is not None:
            status = target.status(float(value), meta.direction)
            goal = (
                f"{t(lang, 'kpi_target', target=format_value(target.target, meta, lang))} · "
                f"{t(lang, f'kpi_status_{status}')}"
            )
        badge = "✅" if meta.certified else "⚠️"
        spark = sparkline(_series(ctx, name, role, end, region), _STATUS_TONE[status])
        cards.append(_card(f"{label} {badge}", shown, delta, tone, goal, status, spark))
    label = period_label(period, start, end, lang)
    return (
        f"<div class='sp-period'>{html.escape(label)}</div>"
        f"<div class='sp-kpis' id='sp-kpis' style='display:flex;flex-wrap:wrap;gap:10px'>"
        f"{''.join(cards)}</div>"
    )


_COLORS = {"good": "#16a34a", "bad": "#dc2626", "neutral": "#6b7280", "warn": "#d97706"}
_STATUS_TONE = {"ok": "good", "warning": "warn", "breach": "bad", "none": "neutral"}


def _card(
    title: str,
    value: str,
    delta: str,
    tone: str,
    goal: str = "",
    status: str = "none",
    spark: str = "",
) -> str:
    border = _COLORS[_STATUS_TONE[status]] if status != "none" else "#e5e7eb"
    return (
        f"<div class='sp-kpi sp-status-{status}' data-status='{status}' "
        f"style='border:1px solid #e5e7eb;border-left:6px solid {border};border-radius:10px;"
        "padding:12px 16px;min-width:170px;flex:1'>"
        f"<div style='font-size:0.85em;color:#6b7280'>{html.escape(title)}</div>"
        f"<div class='sp-kpi-value' style='font-size:1.7em;font-weight:600;"
        f"color:{border if status == 'breach' else 'inherit'}'>{html.escape(value)}</div>"
        f"<div class='sp-kpi-target' style='color:{border};font-size:0.85em'>"
        f"{html.escape(goal)}</div>"
        f"<div class='sp-kpi-delta' style='color:{_COLORS[tone]};font-size:0.85em'>"
        f"{html.escape(delta)}</div>{spark}</div>"
    )


def _figure(ctx: UIContext, query: MetricQuery, role: str | None, lang: str) -> Any:
    try:
        result = ctx.api.query_metrics(query, role)
    except Exception as exc:
        log.warning("cockpit chart: %s", exc)
        return None
    return render(choose_chart(result, lang), result, ctx.api.assistant.lexicon, lang)


def alerts_markdown(ctx: UIContext, role: str | None, lang: str) -> str:
    try:
        alerts = ctx.api.current_alerts(role)
    except AccessDenied as exc:
        return f"⚠️ {exc.text(lang)}"
    except Exception as exc:
        return f"⚠️ {exc}"
    if alerts is None:
        return t(lang, "no_alert_source")
    if not alerts:
        return t(lang, "no_alerts")
    lines = []
    for i, alert in enumerate(alerts[:20], 1):
        text = alert.get(f"text_{lang}")
        if text:  # "[Critical] SLA breach rate (Channel=Email), ...: observed ..."
            lines.append(f"{i}. {text}")
            continue
        severity = alert.get("severity", "")
        title = alert.get(f"title_{lang}") or alert.get("title") or alert.get("message") or alert
        lines.append(f"{i}. **{severity}** {title}")
    return "\n".join(lines)


def alert_choices(ctx: UIContext, role: str | None, lang: str) -> list[tuple[str, int]]:
    """(label, index) of the alerts the role sees, for the "why?" picker."""
    try:
        alerts = ctx.api.current_alerts(role) or []
    except Exception:  # the alerts panel shows the problem
        return []
    return [
        (f"{i + 1}. [{a.get('severity', '')}] {a.get(f'title_{lang}') or a.get('metric')}", i)
        for i, a in enumerate(alerts[:20])
        if a.get("why")
    ]


def explain_alert(ctx: UIContext, role: str | None, user: str, index: int | None, lang: str) -> str:
    """The root-cause ("why") analysis of the role's ``index``-th alert, as markdown: the same
    RootCause plan the chat's "why?" button runs, audited like a chat answer."""
    if index is None:
        return t(lang, "alert_pick_first")
    try:
        alerts = ctx.api.current_alerts(role) or []
    except Exception as exc:
        return f"⚠️ {exc}"
    if not 0 <= int(index) < len(alerts):
        return t(lang, "alert_pick_first")
    alert = alerts[int(index)]
    title = alert.get(f"title_{lang}") or alert.get("metric", "")
    plan = why_plan(alert["why"], title, lang)
    state = ctx.api.new_state(role, user=user)
    question = t(lang, "alert_why_q", title=title)
    try:
        answer = ctx.api.choose(plan, question=question, state=state)
    except Exception as exc:  # show the problem, keep the cockpit usable
        log.warning("alert why: %s", exc)
        return f"⚠️ {exc}"
    return answer.text.replace("~", "\\~").replace("\n", "\n\n")  # "a~b … c~d" strikes through


def cockpit(
    ctx: UIContext, role: str | None, period: str, region: str, trend_metric: str, lang: str
) -> list[Any]:
    start, end = period_range(period, ctx.api.today)
    region = region or None
    cards = kpi_cards(ctx, role, start, end, region, lang, period)
    trend_start = date(end.year - 1, end.month, 1)
    trend = MetricQuery(
        metrics=(trend_metric,),
        time_grain="month",
        time_range=TimeRange(start=trend_start, end=end),
        filters=_filters(region),
    )
    by = []
    for dimension in ("region", "channel"):
        query = MetricQuery(
            metrics=(trend_metric,),
            dimensions=(dimension,),
            time_range=TimeRange(start=start, end=end),
            filters=_filters(region),
        )
        by.append(_figure(ctx, query, role, lang))
    return [
        cards,
        _figure(ctx, trend, role, lang),
        *by,
        alerts_markdown(ctx, role, lang),
        gr.update(choices=alert_choices(ctx, role, lang), value=None),
    ]


def build_cockpit_tab(ctx: UIContext, tr: Translator, lang_radio: gr.Radio, tab: gr.Tab) -> None:
    lang = tr.lang
    regions = ctx.api.catalog.code_lists["region"].codes
    with gr.Row():
        period = tr.add(
            gr.Radio(
                [
                    (t(lang, "period_month"), "month"),
                    (t(lang, "period_quarter"), "quarter"),
                    (t(lang, "period_30d"), "30d"),
                ],
                value="month",
                label=tr.text("period"),
                elem_id="sp-cockpit-period",
            ),
            "period",
        )
        region = tr.add(
            gr.Dropdown(
                [(t(lang, "all_regions"), "")]
                + [(c.label.zh if lang == "zh" else c.label.en, c.code) for c in regions],
                value="",
                label=tr.text("region"),
                elem_id="sp-cockpit-region",
            ),
            "region",
        )
        trend_metric = tr.add(
            gr.Dropdown(
                [
                    (
                        ctx.api.catalog.metric(m).label.zh
                        if lang == "zh"
                        else ctx.api.catalog.metric(m).label.en,
                        m,
                    )
                    for m in HEADLINE_METRICS
                ],
                value="csat",
                label=tr.text("trend_metric"),
            ),
            "trend_metric",
        )
        refresh = tr.add(
            gr.Button(tr.text("refresh"), variant="primary", elem_id="sp-cockpit-refresh"),
            "refresh",
            "value",
        )
    cards = gr.HTML(elem_id="sp-cockpit-cards")
    trend_plot = gr.Plot(show_label=False, elem_id="sp-cockpit-trend")
    with gr.Row():
        region_plot = gr.Plot(show_label=False, elem_id="sp-cockpit-region-plot")
        channel_plot = gr.Plot(show_label=False, elem_id="sp-cockpit-channel-plot")
    tr.add(gr.Markdown(f"### {tr.text('alerts')}"), "alerts", "value")
    alerts = gr.Markdown(elem_id="sp-cockpit-alerts")
    with gr.Row():
        alert_pick = tr.add(
            gr.Dropdown(
                [], value=None, label=tr.text("alert_pick"), scale=4, elem_id="sp-alert-pick"
            ),
            "alert_pick",
        )
        why = tr.add(
            gr.Button(tr.text("alert_why"), scale=1, elem_id="sp-alert-why"), "alert_why", "value"
        )
    why_out = gr.Markdown(elem_id="sp-alert-why-result")

    def on_refresh(period_value, region_value, metric, lang_value, request: gr.Request):
        _, role = ctx.identity(request)
        return cockpit(ctx, role, period_value, region_value, metric, lang_value)

    def relabel(lang_value: str, request: gr.Request):
        _, role = ctx.identity(request)

        def name(m: str) -> str:
            label = ctx.api.catalog.metric(m).label
            return label.zh if lang_value == "zh" else label.en

        return (
            gr.update(
                choices=[(t(lang_value, f"period_{p}"), p) for p in ("month", "quarter", "30d")]
            ),
            gr.update(choices=region_choices(ctx, role, lang_value)),  # value kept (same codes)
            gr.update(choices=[(name(m), m) for m in HEADLINE_METRICS]),
        )

    lang_radio.change(
        relabel, lang_radio, [period, region, trend_metric], api_visibility="undocumented"
    )
    inputs = [period, region, trend_metric, lang_radio]
    outputs = [cards, trend_plot, region_plot, channel_plot, alerts, alert_pick]

    def on_open(region_value: str, lang_value: str, request: gr.Request):
        _, role = ctx.identity(request)
        choices = region_choices(ctx, role, lang_value)
        codes = [code for _, code in choices]
        # a limited role has no "all regions": show its first own region instead
        return gr.update(choices=choices, value=region_value if region_value in codes else codes[0])

    tab.select(on_open, [region, lang_radio], region, api_visibility="undocumented")
    for trigger in (refresh.click, tab.select, period.change, region.change, trend_metric.change):
        trigger(on_refresh, inputs, outputs, api_visibility="undocumented")

    def on_why(index, lang_value, request: gr.Request):
        user, role = ctx.identity(request)
        return explain_alert(ctx, role, user, index, lang_value)

    why.click(on_why, [alert_pick, lang_radio], why_out, api_visibility="undocumented")
