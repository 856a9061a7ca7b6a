"""The cockpit's "today, live" section (tools.monitoring.live): tickets so far against the
usual for this weekday and hour, open backlog by age, the SLA queue with countdowns, first
response so far and agents' load, with how fresh the data is; refreshed every minute while
the cockpit is open. Every number comes from ``api.live_view`` as the signed-in role."""

from __future__ import annotations

import html
import logging
from datetime import timedelta
from typing import Any

import gradio as gr
import pandas as pd

from assistant import trace
from assistant.answer.narrate import format_value
from assistant.errors import AccessDenied
from assistant.ui.context import UIContext
from assistant.ui.i18n import Translator, t
from semantic_layer.catalog import Catalog
from semantic_layer.executor import MetricMeta
from tools.monitoring.live import LiveView

log = logging.getLogger(__name__)


def ago_text(age: timedelta, lang: str) -> str:
    """ "2 分钟前" / "2 min ago" (seconds under a minute, days from one day)."""
    seconds = int(age.total_seconds())
    for key, size in (("ago_days", 86_400), ("ago_hours", 3_600), ("ago_minutes", 60)):
        if seconds >= size:
            return t(lang, key, n=seconds // size)
    return t(lang, "ago_seconds", n=seconds)


def code_label(catalog: Catalog, code_list: str, code: str | None, lang: str) -> str:
    if code is None:
        return "–"
    codes = catalog.code_lists.get(code_list)
    for c in codes.codes if codes is not None else ():
        if c.code == code:
            return c.label.zh if lang == "zh" else c.label.en
    return code


def countdown(minutes: int, lang: str) -> str:
    """ "剩余 1小时15分" / "1 h 15 min left"; under an hour "剩余 40分钟" / "40 min left"."""
    if minutes < 60:
        return t(lang, "live_countdown_min", m=max(minutes, 0))
    return t(lang, "live_countdown", h=minutes // 60, m=minutes % 60)


def _tile(key: str, title: str, value: str, note: str = "", tone: str = "#111827") -> str:
    return (
        f"<div class='sp-live-tile' id='sp-live-tile-{key}' style='border:1px solid #e5e7eb;"
        "border-radius:10px;padding:10px 14px;min-width:160px;flex:1'>"
        f"<div style='font-size:0.85em;color:#6b7280'>{html.escape(title)}</div>"
        f"<div class='sp-live-value' style='font-size:1.6em;font-weight:600;color:{tone}'>"
        f"{html.escape(value)}</div>"
        f"<div style='font-size:0.8em;color:#6b7280'>{html.escape(note)}</div></div>"
    )


def live_html(view: LiveView, catalog: Catalog, lang: str) -> str:
    """The live tiles and the backlog-by-age bar as HTML (the numbers as ``data-`` attributes
    too, for the browser test)."""
    if view.now is None:
        return f"<div id='sp-live-summary'>{html.escape(t(lang, 'live_no_data'))}</div>"
    updated = t(lang, "live_updated", ago=ago_text(view.age or timedelta(0), lang))
    clock = t(lang, "live_clock", now=f"{view.now:%Y-%m-%d %H:%M}")
    if view.usual_today is None:
        usual = t(lang, "live_no_usual")
    else:
        usual = t(
            lang,
            "live_usual",
            usual=f"{view.usual_today:,.0f}",
            days=view.usual_days,
            weekday=t(lang, f"weekday_{view.now.weekday()}"),
            time=f"{view.now:%H:%M}",
        )
    frt_meta = MetricMeta.of(catalog.metric("first_response_time_median"), catalog)
    frt = (
        format_value(view.first_response_median_h, frt_meta, lang)
        if view.first_response_median_h is not None
        else t(lang, "live_frt_none")
    )
    sla_tone = "#dc2626" if view.sla_due_count else "#111827"
    tiles = [
        _tile("tickets", t(lang, "live_tickets_today"), f"{view.tickets_today:,}", usual),
        _tile("resolved", t(lang, "live_resolved_today"), f"{view.resolved_today:,}"),
        _tile("frt", t(lang, "live_frt"), frt),
        _tile(
            "sla",
            t(lang, "live_sla_tile"),
            f"{view.sla_due_count:,}",
            t(lang, "live_overdue", n=f"{view.overdue_open:,}"),
            sla_tone,
        ),
    ]
    total = view.backlog_total or 1
    colors = {"lt_4h": "#16a34a", "4h_24h": "#65a30d", "1d_3d": "#d97706", "gt_3d": "#dc2626"}
    legend = " ".join(
        f"<span class='sp-age' data-bucket='{key}' data-count='{n}' style='margin-right:12px'>"
        f"<span style='display:inline-block;width:10px;height:10px;border-radius:2px;"
        f"background:{colors[key]}'></span> {html.escape(t(lang, f'age_{key}'))} "
        f"<b>{n:,}</b></span>"
        for key, n in view.backlog
    )
    bars = "".join(
        f"<div style='flex:{n / total};background:{colors[key]};height:10px'></div>"
        for key, n in view.backlog
        if n
    )
    return (
        f"<div id='sp-live-summary' data-tickets='{view.tickets_today}' "
        f"data-sla='{view.sla_due_count}' data-backlog='{view.backlog_total}'>"
        f"<div id='sp-live-updated' style='color:#6b7280;margin-bottom:6px'>"
        f"{html.escape(updated)} · {html.escape(clock)}</div>"
        f"<div style='display:flex;flex-wrap:wrap;gap:10px'>{''.join(tiles)}</div>"
        f"<div style='margin-top:10px;font-size:0.9em'>{html.escape(t(lang, 'live_backlog'))}"
        f" ({view.backlog_total:,})</div>"
        f"<div id='sp-live-backlog' style='font-size:0.9em;margin:4px 0'>{legend}</div>"
        f"<div style='display:flex;border-radius:4px;overflow:hidden'>{bars}</div></div>"
    )


def sla_frame(view: LiveView, catalog: Catalog, lang: str) -> pd.DataFrame:
    """The SLA queue, soonest first, with a countdown, in the viewer's language."""
    columns = [
        t(lang, k)
        for k in ("col_ticket", "col_region", "col_priority", "col_agent", "col_due", "col_left")
    ]
    rows = [
        (
            d.ticket_id,
            code_label(catalog, "region", d.region, lang),
            code_label(catalog, "priority", d.priority, lang),
            d.agent_name or "–",
            f"{d.sla_due_at:%m-%d %H:%M}",
            countdown(d.minutes_left, lang),
        )
        for d in view.sla_due
    ]
    return pd.DataFrame(rows, columns=columns)


def agents_frame(view: LiveView, lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        list(view.agent_load), columns=[t(lang, "col_agent"), t(lang, "live_agent_load")]
    )


def render_live(ctx: UIContext, role: str | None, lang: str) -> list[Any]:
    """[summary html, SLA caption, SLA table, agents table] for the role (a refusal or a
    failure is shown in the summary, never raised)."""
    empty = pd.DataFrame()
    try:
        view = ctx.api.live_view(role)
    except AccessDenied as exc:
        return [f"⚠️ {html.escape(exc.text(lang))}", "", empty, empty]
    except Exception as exc:  # keep the cockpit usable; the log has the detail
        log.warning("live view: %s", exc)
        return [f"⚠️ {html.escape(str(exc)[:200])}", "", empty, empty]
    catalog = ctx.api.catalog
    caption = (
        t(lang, "live_sla_due", n=view.sla_due_count)
        if view.sla_due_count
        else t(lang, "live_sla_none")
    )
    return [
        live_html(view, catalog, lang),
        f"**{caption}**",
        sla_frame(view, catalog, lang),
        agents_frame(view, lang),
    ]


def build_live_panel(ctx: UIContext, tr: Translator, lang_radio: gr.Radio, tab: gr.Tab) -> None:
    """The section, its timer (``live_refresh_s``, 60 s by default; running while the cockpit
    tab is open) and refresh."""
    with gr.Accordion(tr.text("live_title"), open=True, elem_id="sp-live") as section:
        tr.add(section, "live_title")
        summary = gr.HTML(elem_id="sp-live-html")
        caption = gr.Markdown(elem_id="sp-live-sla-caption")
        with gr.Row():
            sla = gr.Dataframe(interactive=False, elem_id="sp-live-sla", scale=3)
            agents = gr.Dataframe(interactive=False, elem_id="sp-live-agents", scale=2)
    timer = gr.Timer(ctx.api.app.settings.live_refresh_s, active=False)
    outputs = [summary, caption, sla, agents]

    def refresh(lang_value: str, request: gr.Request) -> list[Any]:
        _, role = ctx.identity(request)
        with trace.span("handler.live"):
            return render_live(ctx, role, lang_value)

    def start(lang_value: str, request: gr.Request) -> list[Any]:
        return [*refresh(lang_value, request), gr.Timer(active=True)]

    # Progress on the summary line only: the page re-reads every progress target's data on
    # each status message of any later event (see progress.py), and the two tables are the
    # panel's bulk. The minute's refresh shows none: the old figures stay until the new come.
    listen = {"api_visibility": "undocumented", "show_progress_on": [summary]}
    tab.select(start, lang_radio, [*outputs, timer], **listen)
    timer.tick(refresh, lang_radio, outputs, show_progress="hidden", **listen)
    lang_radio.change(refresh, lang_radio, outputs, **listen)
