"""Cockpit (驾驶舱): headline certified KPIs with change vs the previous period, a trend, a
breakdown to drill down by (region → product line → team → agent, channel and category on the
side; assistant/ui/drill.py), and alerts, each of which opens its "why" analysis. Everything
follows the drill scope and the viewer's language; every number runs with the viewer's role."""

from __future__ import annotations

import dataclasses
import html
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import gradio as gr
import pandas as pd

from assistant import trace
from assistant.alerts import why_plan
from assistant.answer.narrate import format_change, format_value
from assistant.answer.table import unit_suffix
from assistant.errors import AccessDenied
from assistant.headline import HEADLINE_METRICS
from assistant.ui.alert_actions import build_alert_actions
from assistant.ui.charts import choose_chart, render
from assistant.ui.context import UIContext
from assistant.ui.drill import (
    CRUMB_JS,
    DRILL_DONE_JS,
    MEMBERS_JS,
    DrillScope,
    breadcrumb_html,
    breadcrumb_text,
    members_html,
    scope_target,
    start_scope,
)
from assistant.ui.export import build_export
from assistant.ui.i18n import Translator, t
from assistant.ui.image_export import build_png_export
from assistant.ui.live_panel import build_live_panel
from semantic_layer.executor import MetricResult
from semantic_layer.periods import last_full_month, month_start, quarter_start
from semantic_layer.query import MetricQuery, TimeRange

log = logging.getLogger(__name__)


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


def _monthly(metrics: tuple[str, ...], end: date, scope: DrillScope) -> MetricQuery:
    """The metrics by month over the 12 months before ``end`` (``end``'s own month too when
    it is not a month start): the sparklines' query, and the trend's for one metric."""
    return MetricQuery(
        metrics=metrics,
        time_grain="month",
        time_range=TimeRange(start=month_start(end, -12), end=end),
        filters=scope.filters(),
    )


def _series_result(
    ctx: UIContext, metrics: tuple[str, ...], role, end: date, scope: DrillScope
) -> MetricResult | None:
    """The metrics' last 12 months to ``end`` (the sparklines); None when it fails."""
    try:
        return ctx.results.query(_monthly(metrics, end, scope), role)
    except Exception as exc:  # the cards still show their values
        log.warning("cockpit sparklines %s: %s", ",".join(metrics), exc)
        return None


def _series(
    ctx: UIContext, metrics: tuple[str, ...], role, end: date, scope: DrillScope
) -> pd.DataFrame:
    """The metrics' last 12 months to ``end`` (for the sparklines); empty when it fails."""
    result = _series_result(ctx, metrics, role, end, scope)
    return result.data if result is not None else pd.DataFrame()


def _values(
    ctx: UIContext, metrics: tuple[str, ...], role, start: date, end: date, scope: DrillScope
) -> MetricResult:
    query = MetricQuery(
        metrics=metrics,
        time_range=TimeRange(start=start, end=end),
        filters=scope.filters(),
        compare_to="previous_period",
    )
    return ctx.results.query(query, role)


@dataclass(frozen=True)
class KpiCard:
    """One headline card: what the page draws and the cockpit's PNG redraws."""

    title: str  # the metric's label and its badge ("客户满意度 ✅")
    value: str
    delta: str  # change vs the previous period ("▼ 0.1个百分点 较上期")
    tone: str = "neutral"  # the change's colour: good | bad | neutral
    goal: str = ""  # target and status ("目标 75.0% · 预警")
    status: str = "none"  # ok | warning | breach | none
    spark: tuple[float, ...] = ()  # the 12 months before, oldest first

    @property
    def accent(self) -> str:
        """The status colour (the card's left border, its target line and sparkline)."""
        return _COLORS[_STATUS_TONE[self.status]] if self.status != "none" else NO_STATUS

    @property
    def change_color(self) -> str:
        return _COLORS[self.tone]


def kpi_card_values(
    ctx: UIContext,
    role: str | None,
    start: date,
    end: date,
    scope: DrillScope,
    lang: str,
    series: Future[MetricResult | None] | None = None,
) -> tuple[KpiCard, ...]:
    """One card per headline metric within the drill ``scope``: value in its unit, target and
    status colour, change vs the previous period coloured by the metric's good direction, and
    a 12-month sparkline. All six metrics run in one query (and their sparklines in another,
    beside it: ``series``, the pending ``_series_result`` of the six, when the caller started
    it); when that fails, each metric alone, so one broken metric shows on its card."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        if series is None:
            series = pool.submit(_series_result, ctx, HEADLINE_METRICS, role, end, scope)
        try:
            result = _values(ctx, HEADLINE_METRICS, role, start, end, scope)
            done = series.result()
            frame = done.data if done is not None else pd.DataFrame()
            return tuple(
                _card_of(ctx, name, result, frame, scope, lang) for name in HEADLINE_METRICS
            )
        except Exception:
            return tuple(_kpi_card(ctx, role, n, start, end, scope, lang) for n in HEADLINE_METRICS)


def cards_html(cards: tuple[KpiCard, ...], period_text: str) -> str:
    return (
        f"<div class='sp-period'>{html.escape(period_text)}</div>"
        f"<div class='sp-kpis' id='sp-kpis' style='display:flex;flex-wrap:wrap;gap:10px'>"
        f"{''.join(_card(c) for c in cards)}</div>"
    )


def kpi_cards(
    ctx: UIContext,
    role: str | None,
    start: date,
    end: date,
    scope: DrillScope,
    lang: str,
    period: str = "month",
) -> str:
    """The cards of ``kpi_card_values`` as the page shows them, under the period's name."""
    cards = kpi_card_values(ctx, role, start, end, scope, lang)
    return cards_html(cards, period_label(period, start, end, lang))


def _kpi_card(
    ctx: UIContext,
    role: str | None,
    name: str,
    start: date,
    end: date,
    scope: DrillScope,
    lang: str,
) -> KpiCard:
    """One metric's card from its own queries (the fallback when the shared query fails)."""
    try:
        result = _values(ctx, (name,), role, start, end, scope)
    except Exception as exc:  # one broken metric must not blank the cockpit
        log.warning("cockpit %s: %s", name, exc)
        text = exc.text(lang) if isinstance(exc, AccessDenied) else str(exc)
        return KpiCard(name, "–", text[:80])
    return _card_of(ctx, name, result, _series(ctx, (name,), role, end, scope), scope, lang)


def _card_of(
    ctx: UIContext,
    name: str,
    result: MetricResult,
    series: pd.DataFrame,
    scope: DrillScope,
    lang: str,
) -> KpiCard:
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
    span = (result.query.time_range.start, result.query.time_range.end)
    target = None if missing else scope_target(ctx.targets, name, scope, span)
    status, goal = "none", ""
    sample = row.get(f"{name}__n")
    if target is not None and bool(row.get(f"{name}__small_n", False)):
        # An agent's 100 % from 3 surveys is noise, not "on target": no status colour.
        goal = (
            f"{t(lang, 'kpi_target', target=format_value(target.target, meta, lang))} · "
            f"{t(lang, 'kpi_small_n', n=int(sample))}"
        )
        tone = "neutral"
    elif target is not None:
        status = target.status(float(value), meta.direction)
        goal = (
            f"{t(lang, 'kpi_target', target=format_value(target.target, meta, lang))} · "
            f"{t(lang, f'kpi_status_{status}')}"
        )
    badge = "✅" if meta.certified else "⚠️"
    points = [float(v) for v in series[name] if not pd.isna(v)] if name in series else []
    return KpiCard(f"{label} {badge}", shown, delta, tone, goal, status, tuple(points))


_COLORS = {"good": "#16a34a", "bad": "#dc2626", "neutral": "#6b7280", "warn": "#d97706"}
_STATUS_TONE = {"ok": "good", "warning": "warn", "breach": "bad", "none": "neutral"}
NO_STATUS = "#e5e7eb"  # a card without a target: a grey border


def _card(card: KpiCard) -> str:
    status, border = card.status, card.accent
    spark = sparkline(list(card.spark), _STATUS_TONE[status])
    return (
        f"<div class='sp-kpi sp-status-{status}' data-status='{status}' "
        f"style='border:1px solid {NO_STATUS};border-left:6px solid {border};border-radius:10px;"
        "padding:12px 16px;min-width:170px;flex:1'>"
        f"<div style='font-size:0.85em;color:#6b7280'>{html.escape(card.title)}</div>"
        f"<div class='sp-kpi-value' style='font-size:1.7em;font-weight:600;"
        f"color:{border if status == 'breach' else 'inherit'}'>{html.escape(card.value)}</div>"
        f"<div class='sp-kpi-target' style='color:{border};font-size:0.85em'>"
        f"{html.escape(card.goal)}</div>"
        f"<div class='sp-kpi-delta' style='color:{card.change_color};font-size:0.85em'>"
        f"{html.escape(card.delta)}</div>{spark}</div>"
    )


def _figure(
    ctx: UIContext, query: MetricQuery, role: str | None, lang: str
) -> tuple[Any, MetricResult | None, str]:
    """The chart of ``query`` (None when it fails or has no data), its result and the unit its
    values are shown in (hours under one hour read as minutes, as in the cards)."""
    try:
        result = ctx.results.query(query, role)
    except Exception as exc:
        log.warning("cockpit chart: %s", exc)
        return None, None, ""
    return _drawn(ctx, result, lang)


def _drawn(ctx: UIContext, result: MetricResult, lang: str) -> tuple[Any, MetricResult, str]:
    """``_figure`` of a result already at hand."""
    with trace.span("cockpit.figure"):
        spec = choose_chart(result, lang)
        return render(spec, result, ctx.api.assistant.lexicon, lang), result, spec.unit


def _titled(fig: Any, title: str, x_title: str, y_title: str) -> Any:
    """Chart title and axis titles in the viewer's language (the shared renderer titles only
    the metric)."""
    if fig is not None:
        fig.update_layout(title={"text": title}, xaxis_title=x_title, yaxis_title=y_title)
    return fig


def _metric_label(ctx: UIContext, metric: str, lang: str) -> str:
    spec = ctx.api.catalog.metric(metric)
    return spec.label.zh if lang == "zh" else spec.label.en


def _scoped(alerts: list[dict[str, Any]], scope: DrillScope | None) -> list[tuple[int, dict]]:
    """(index in the role's list, alert) of the alerts inside the drill scope."""
    return [
        (i, a) for i, a in enumerate(alerts) if scope is None or scope.admits(a.get("scope", {}))
    ]


def alerts_markdown(
    ctx: UIContext, role: str | None, lang: str, scope: DrillScope | None = None
) -> str:
    """The role's current alerts inside the drill scope, in ``lang``."""
    try:
        alerts = ctx.api.current_alerts(role)
    except AccessDenied as exc:
        return f"⚠️ {exc.text(lang)}"
    except Exception as exc:
        return f"⚠️ {exc}"
    if alerts is None:
        return t(lang, "no_alert_source")
    shown = _scoped(alerts, scope)
    if not shown:
        return t(lang, "no_alerts")
    lines = []
    for i, alert in shown[:20]:
        i += 1
        text = alert.get(f"text_{lang}")
        if text:  # "[Critical] SLA breach rate (Channel=Email), ...: observed ..."
            lines.append(f"{i}. {text}")
            continue
        severity = alert.get("severity", "")
        title = alert.get(f"title_{lang}") or alert.get("title") or alert.get("message") or alert
        lines.append(f"{i}. **{severity}** {title}")
    return "\n".join(lines)


def alert_choices(
    ctx: UIContext, role: str | None, lang: str, scope: DrillScope | None = None
) -> list[tuple[str, int]]:
    """(label, index) of the alerts the role sees inside the scope, for the "why?" picker."""
    try:
        alerts = ctx.api.current_alerts(role) or []
    except Exception:  # the alerts panel shows the problem
        return []
    return [
        (f"{i + 1}. [{a.get('severity', '')}] {a.get(f'title_{lang}') or a.get('metric')}", i)
        for i, a in _scoped(alerts, scope)[:20]
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


@dataclass(frozen=True)
class CockpitView:
    """Everything the cockpit shows for one drill scope, in the order of the tab's outputs."""

    scope: DrillScope
    members: tuple[tuple[str, str], ...]  # (chart label, code) of the breakdown's members
    breakdown: str | None
    breadcrumb: str
    cards: str
    trend: Any
    drill_plot: Any
    member_list: str
    alerts: str
    alert_choices: list[tuple[str, int]]
    # What the cards and breadcrumb say, for the cockpit's PNG (the page shows the HTML above).
    card_values: tuple[KpiCard, ...] = ()
    period_text: str = ""
    breadcrumb_text: str = ""


def cockpit(
    ctx: UIContext,
    role: str | None,
    period: str,
    trend_metric: str,
    lang: str,
    scope: DrillScope | None = None,
    breakdown: str | None = None,
) -> CockpitView:
    """The cockpit inside ``scope`` (the role's starting scope when None): cards, the trend,
    ``trend_metric`` broken down by ``breakdown`` (the scope's next level when None or not
    available there) with its clickable members, and the alerts inside the scope."""
    scope = scope or start_scope(role)
    start, end = period_range(period, ctx.api.today)
    options = scope.breakdowns()
    breakdown = breakdown if breakdown in options else (options[0] if options else None)
    lexicon = ctx.api.assistant.lexicon
    label = _metric_label(ctx, trend_metric, lang)
    period_text = period_label(period, start, end, lang)
    # the cards (this period and the previous one), the monthly series behind their
    # sparklines and the breakdown are independent queries: all run at once. The trend is the
    # trend metric's column of that monthly series (the same query for one metric returns the
    # same rows and values), so it costs no query of its own.
    with ThreadPoolExecutor(max_workers=3) as pool:
        series = pool.submit(_series_result, ctx, HEADLINE_METRICS, role, end, scope)
        cards = pool.submit(kpi_card_values, ctx, role, start, end, scope, lang, series)
        by_future = None
        if breakdown is not None:
            by = MetricQuery(
                metrics=(trend_metric,),
                dimensions=(breakdown,),
                time_range=TimeRange(start=start, end=end),
                filters=scope.filters(),
            )
            by_future = pool.submit(_figure, ctx, by, role, lang)
        with trace.span("cockpit.alerts"):
            alerts = alerts_markdown(ctx, role, lang, scope)
            choices = alert_choices(ctx, role, lang, scope)
        with trace.span("cockpit.wait_series"):
            done = series.result()
        with trace.span("cockpit.trend_fig"):
            trend, _, unit = _trend(ctx, trend_metric, done, role, end, scope, lang)
        axis = label + unit_suffix(unit, lang)  # e.g. 客户满意度（%）
        trend = _titled(trend, t(lang, "chart_trend", metric=label), t(lang, "axis_month"), axis)
        drill_plot, members, member_list = None, (), ""
        if by_future is not None:
            with trace.span("cockpit.wait_breakdown"):
                drill_plot, result, unit = by_future.result()
            axis = label + unit_suffix(unit, lang)
            dimension = lexicon.dimension_label(breakdown, lang)
            drill_plot = _titled(
                drill_plot, t(lang, "chart_by", metric=label, dimension=dimension), axis, dimension
            )
            members, member_list = _members(result, breakdown, lexicon, lang)
        with trace.span("cockpit.wait_cards"):
            cards.result()
        return CockpitView(
            scope=scope,
            members=members,
            breakdown=breakdown,
            breadcrumb=breadcrumb_html(scope, lexicon, lang),
            cards=cards_html(cards.result(), period_text),
            trend=trend,
            drill_plot=drill_plot,
            member_list=member_list,
            alerts=alerts,
            alert_choices=choices,
            card_values=cards.result(),
            period_text=period_text,
            breadcrumb_text=breadcrumb_text(scope, lexicon, lang),
        )


def _trend(
    ctx: UIContext,
    metric: str,
    series: MetricResult | None,
    role: str | None,
    end: date,
    scope: DrillScope,
    lang: str,
) -> tuple[Any, MetricResult | None, str]:
    """``_figure`` of ``metric`` by month over the series' 12 months: drawn from ``series``
    (the headline metrics' monthly result) when it holds the metric, else from its own query."""
    query = _monthly((metric,), end, scope)
    if series is None or metric not in series.query.metrics or metric not in series.table:
        return _figure(ctx, query, role, lang)
    columns = [c for c in series.table.names if c == "period" or c.split("__")[0] == metric]
    alone = dataclasses.replace(
        series,
        query=query,
        table=series.table.select(columns),
        metrics={metric: series.metrics[metric]},
    )
    return _drawn(ctx, alone, lang)


def _members(
    result: MetricResult | None, dimension: str, lexicon: Any, lang: str
) -> tuple[tuple[tuple[str, str], ...], str]:
    """(label, code) of the breakdown's members, largest value first, and their list."""
    if result is None or dimension not in result.data:
        return (), members_html([], dimension, lexicon, lang)
    metric = result.query.metrics[0]
    meta = result.metrics[metric]
    frame = result.data.dropna(subset=[dimension]).sort_values(metric, ascending=False)
    rows = [
        (
            lexicon.value_label(dimension, str(code), lang),
            str(code),
            format_value(value, meta, lang),
        )
        for code, value in zip(frame[dimension], frame[metric], strict=True)
    ]
    return tuple((lbl, code) for lbl, code, _ in rows), members_html(rows, dimension, lexicon, lang)


def breakdown_choices(ctx: UIContext, scope: DrillScope, lang: str) -> list[tuple[str, str]]:
    lexicon = ctx.api.assistant.lexicon
    return [(lexicon.dimension_label(d, lang), d) for d in scope.breakdowns()]


def build_cockpit_tab(ctx: UIContext, tr: Translator, lang_radio: gr.Radio, tab: gr.Tab) -> None:
    lang = tr.lang
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
    scope_state = gr.State(None)  # DrillScope; None until the tab first opens
    members_state = gr.State(())
    with gr.Row(equal_height=True):
        breadcrumb = gr.HTML(elem_id="sp-breadcrumb", js_on_load=CRUMB_JS, scale=4)
        back = tr.add(
            gr.Button(tr.text("drill_back"), size="sm", scale=0, elem_id="sp-drill-back"),
            "drill_back",
            "value",
        )
    cards = gr.HTML(elem_id="sp-cockpit-cards")
    trend_plot = gr.Plot(show_label=False, elem_id="sp-cockpit-trend")
    breakdown = tr.add(
        gr.Radio([], value=None, label=tr.text("drill_by"), elem_id="sp-drill-by"), "drill_by"
    )
    with gr.Row():
        drill_plot = gr.Plot(show_label=False, elem_id="sp-drill-plot", scale=3)
        member_list = gr.HTML(elem_id="sp-drill-members", js_on_load=MEMBERS_JS, scale=2)
    tr.heading("alerts")
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

    outputs = [
        scope_state,
        members_state,
        breadcrumb,
        back,
        breakdown,
        cards,
        trend_plot,
        drill_plot,
        member_list,
        alerts,
        alert_pick,
        why_out,  # cleared with the pick: the list it came from was re-rendered
    ]

    def show(view: CockpitView, lang_value: str) -> list[Any]:
        return [
            view.scope,
            view.members,
            view.breadcrumb,
            gr.update(interactive=view.scope.can_go_back),
            gr.update(choices=breakdown_choices(ctx, view.scope, lang_value), value=view.breakdown),
            view.cards,
            view.trend,
            view.drill_plot,
            view.member_list,
            view.alerts,
            gr.update(choices=view.alert_choices, value=None),
            "",
        ]

    def run(request, period_value, metric, lang_value, scope, by=None) -> list[Any]:
        _, role = ctx.identity(request)
        with trace.span("handler.cockpit", depth=len(scope.steps) if scope else -1):
            view = cockpit(ctx, role, period_value, metric, lang_value, scope, by)
            return show(view, lang_value)

    def on_refresh(period_value, metric, lang_value, scope, by, request: gr.Request):
        return run(request, period_value, metric, lang_value, scope, by)

    def on_member(
        period_value, metric, lang_value, scope, members, by, evt: gr.EventData, request: gr.Request
    ):
        data = evt._data or {}
        if scope is None or by is None:
            return [gr.skip()] * len(outputs)
        code = data.get("code")
        if code is None:  # a bar of the chart: its label
            code = next((c for lbl, c in members if lbl == data.get("label")), None)
        # only a member the role's own breakdown listed can be drilled into
        if code not in {c for _, c in members}:
            return [gr.skip()] * len(outputs)
        return run(request, period_value, metric, lang_value, scope.down(by, code))

    def on_crumb(period_value, metric, lang_value, scope, evt: gr.EventData, request: gr.Request):
        depth = (evt._data or {}).get("depth")
        if scope is None or not isinstance(depth, int):
            return [gr.skip()] * len(outputs)
        return run(request, period_value, metric, lang_value, scope.up_to(depth))

    def on_back(period_value, metric, lang_value, scope, request: gr.Request):
        if scope is None:
            return [gr.skip()] * len(outputs)
        return run(request, period_value, metric, lang_value, scope.back())

    def on_language(period_value, metric, lang_value, scope, by, cards_html, request: gr.Request):
        # re-render what is on screen in the new language (nothing before the tab opened)
        if not cards_html:
            return [gr.skip()] * len(outputs)
        return run(request, period_value, metric, lang_value, scope, by)

    def relabel(lang_value: str):
        def name(m: str) -> str:
            label = ctx.api.catalog.metric(m).label
            return label.zh if lang_value == "zh" else label.en

        return (
            gr.update(
                choices=[(t(lang_value, f"period_{p}"), p) for p in ("month", "quarter", "30d")]
            ),
            gr.update(choices=[(name(m), m) for m in HEADLINE_METRICS]),
        )

    common = [period, trend_metric, lang_radio, scope_state]
    hidden = {"api_visibility": "undocumented"}
    lang_radio.change(relabel, lang_radio, [period, trend_metric], **hidden).then(
        on_language, [*common, breakdown, cards], outputs, **hidden
    )
    for trigger in (refresh.click, period.change, trend_metric.change):
        trigger(on_refresh, [*common, breakdown], outputs, **hidden)
    opened = tab.select(on_refresh, [*common, breakdown], outputs, **hidden)
    # a drill step shows its wait by dimming the panels (drill.CRUMB_JS), not Gradio's progress
    quiet = {**hidden, "show_progress": "hidden"}
    for drilled in (
        breakdown.input(on_refresh, [*common, breakdown], outputs, **quiet),
        member_list.click(on_member, [*common, members_state, breakdown], outputs, **quiet),
        breadcrumb.click(on_crumb, common, outputs, **quiet),
        back.click(on_back, common, outputs, **quiet),
    ):
        drilled.then(None, js=DRILL_DONE_JS, **hidden)

    def on_why(index, lang_value, request: gr.Request):
        user, role = ctx.identity(request)
        return explain_alert(ctx, role, user, index, lang_value)

    why.click(on_why, [alert_pick, lang_radio], why_out, **hidden)
    # today's live view, alert acknowledge/assign, export, data quality (their own modules);
    # the panels below the cockpit fill once it is drawn, not beside it: on two cores their
    # queries running at the same time made the cockpit's first load take twice as long
    after_open = _AfterCockpit(opened)
    build_live_panel(ctx, tr, lang_radio, after_open)
    build_alert_actions(ctx, tr, lang_radio, after_open)
    build_export(
        ctx, tr, lang_radio, period, scope_state, trend_metric, HEADLINE_METRICS, period_range
    )
    build_png_export(ctx, tr, lang_radio, period, scope_state, trend_metric, breakdown)

    from assistant.ui.quality_panel import build_quality_panel  # imports this module's sparkline

    build_quality_panel(ctx, tr, lang_radio, [after_open.select, refresh.click])


class _AfterCockpit:
    """Stands for the cockpit tab to the panels under it: their ``select`` handlers run after
    the cockpit's own (a ``then`` of its event)."""

    def __init__(self, opened: Any) -> None:
        self.select = opened.then
