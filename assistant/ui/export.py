"""Export the cockpit's data: an Excel workbook (one sheet per part: KPIs with previous period
and target, the trend, by region, by channel, today's live view, alerts) or one CSV in long
form. The numbers are the certified ones the cockpit shows, run again as the signed-in role;
labels and headers in the viewer's language. Images (the cockpit, any chart as PNG) are made
on the server: ``assistant.ui.image_export``."""

from __future__ import annotations

import logging
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from assistant.errors import AccessDenied
from assistant.operations import alerts_with_state
from assistant.ui.context import UIContext
from assistant.ui.drill import DrillScope, scope_target, start_scope
from assistant.ui.i18n import Translator, t
from assistant.ui.live_panel import code_label
from semantic_layer.periods import month_start
from semantic_layer.query import MetricQuery, TimeRange

log = logging.getLogger(__name__)


def _label(ctx: UIContext, metric: str, lang: str) -> str:
    label = ctx.api.catalog.metric(metric).label
    return label.zh if lang == "zh" else label.en


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def cockpit_frames(
    ctx: UIContext,
    role: str | None,
    start: date,
    end: date,
    scope: DrillScope | None,
    trend_metric: str,
    metrics: tuple[str, ...],
    lang: str,
) -> dict[str, pd.DataFrame]:
    """The cockpit's tables by sheet name (in ``lang``) for the drill ``scope`` it shows (None:
    where the role's drill starts), as ``role`` may see them."""
    scope = scope or start_scope(role)
    filters = scope.filters()
    period = f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"
    kpis = []
    for name in metrics:
        query = MetricQuery(
            metrics=(name,),
            time_range=TimeRange(start=start, end=end),
            filters=filters,
            compare_to="previous_period",
        )
        result = ctx.api.query_metrics(query, role)
        row = result.data.iloc[0] if len(result.data) else pd.Series(dtype=object)
        target = scope_target(ctx.targets, name, scope, (start, end))
        kpis.append(
            {
                t(lang, "col_metric"): _label(ctx, name, lang),
                t(lang, "col_period"): period,
                t(lang, "col_value"): _number(row.get(name)),
                t(lang, "col_previous"): _number(row.get(f"{name}__previous")),
                t(lang, "col_change"): _number(row.get(f"{name}__change")),
                t(lang, "col_unit"): result.metrics[name].unit,
                t(lang, "kpi_target", target="").strip(): target.target if target else None,
            }
        )
    frames = {t(lang, "sheet_kpis"): pd.DataFrame(kpis)}
    trend = ctx.api.query_metrics(
        MetricQuery(
            metrics=(trend_metric,),
            time_grain="month",
            time_range=TimeRange(start=month_start(end, -12), end=end),
            filters=filters,
        ),
        role,
    ).data
    metric_label = _label(ctx, trend_metric, lang)
    frames[t(lang, "sheet_trend")] = pd.DataFrame(
        {
            t(lang, "col_period"): [f"{pd.Timestamp(p):%Y-%m}" for p in trend["period"]],
            metric_label: [_number(v) for v in trend[trend_metric]],
        }
    )
    for dimension, sheet in (("region", "sheet_by_region"), ("channel", "sheet_by_channel")):
        data = ctx.api.query_metrics(
            MetricQuery(
                metrics=(trend_metric,),
                dimensions=(dimension,),
                time_range=TimeRange(start=start, end=end),
                filters=filters,
            ),
            role,
        ).data
        frames[t(lang, sheet)] = pd.DataFrame(
            {
                t(lang, f"col_{dimension}"): [
                    code_label(ctx.api.catalog, dimension, c, lang) for c in data[dimension]
                ],
                metric_label: [_number(v) for v in data[trend_metric]],
            }
        )
    frames[t(lang, "sheet_live")] = _live_frame(ctx, role, lang)
    frames[t(lang, "sheet_alerts")] = _alerts_frame(ctx, role, lang)
    return frames


def _live_frame(ctx: UIContext, role: str | None, lang: str) -> pd.DataFrame:
    view = ctx.api.live_view(role)
    item, value = t(lang, "col_item"), t(lang, "col_value")
    rows = [
        (t(lang, "live_clock", now=f"{view.now:%Y-%m-%d %H:%M}") if view.now else "–", None),
        (t(lang, "live_tickets_today"), view.tickets_today),
        (t(lang, "live_usual_short"), view.usual_today),
        (t(lang, "live_resolved_today"), view.resolved_today),
        (t(lang, "live_frt") + " (h)", view.first_response_median_h),
        (t(lang, "live_sla_tile"), view.sla_due_count),
        *((f"{t(lang, 'live_backlog')} {t(lang, f'age_{k}')}", n) for k, n in view.backlog),
        *((f"{t(lang, 'col_ticket')} {d.ticket_id}", d.minutes_left) for d in view.sla_due),
    ]
    return pd.DataFrame(rows, columns=[item, value])


def _alerts_frame(ctx: UIContext, role: str | None, lang: str) -> pd.DataFrame:
    try:
        alerts = alerts_with_state(ctx.api, role)
    except AccessDenied:
        alerts = []
    return pd.DataFrame(
        [
            (
                a.get(f"text_{lang}") or a.get("rule"),
                t(lang, f"alert_state_{a['state']}"),
                a.get("assignee"),
                a.get("acknowledged_by"),
            )
            for a in alerts
        ],
        columns=[t(lang, k) for k in ("col_alert", "col_state", "col_owner", "col_ack_by")],
    )


def write_excel(frames: dict[str, pd.DataFrame], path: Path) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet, frame in frames.items():
            frame.to_excel(writer, sheet_name=sheet[:31], index=False)
    return path


def write_csv(frames: dict[str, pd.DataFrame], path: Path, lang: str) -> Path:
    """One CSV in long form: table, the row's label columns joined, column, value (UTF-8 with
    a byte-order mark, so Excel opens Chinese text correctly)."""
    rows = []
    for sheet, frame in frames.items():
        if frame.empty:
            continue
        key = frame.columns[0]
        for record in frame.to_dict("records"):
            for column, value in record.items():
                if column == key:
                    continue
                rows.append((sheet, record[key], column, value))
    columns = [t(lang, k) for k in ("col_table", "col_item", "col_dimension", "col_value")]
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def export_file(ctx: UIContext, role: str | None, kind: str, lang: str, **cockpit: Any) -> Path:
    frames = cockpit_frames(ctx, role, lang=lang, **cockpit)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path(tempfile.mkdtemp(prefix="sp-export-"))
    if kind == "xlsx":
        return write_excel(frames, folder / f"servicepilot-cockpit-{stamp}.xlsx")
    return write_csv(frames, folder / f"servicepilot-cockpit-{stamp}.csv", lang)


def build_export(
    ctx: UIContext,
    tr: Translator,
    lang_radio: gr.Radio,
    period: gr.Component,
    scope_state: gr.State,
    trend_metric: gr.Component,
    metrics: tuple[str, ...],
    period_range: Any,
) -> None:
    """Export buttons for the cockpit's current choices; ``period_range(period, today)`` is
    the cockpit's own period arithmetic."""
    with gr.Row():
        excel = tr.add(
            gr.Button(tr.text("export_excel"), size="sm", elem_id="sp-export-xlsx"),
            "export_excel",
            "value",
        )
        csv = tr.add(
            gr.Button(tr.text("export_csv"), size="sm", elem_id="sp-export-csv"),
            "export_csv",
            "value",
        )
        hint = tr.add(gr.Markdown(tr.text("export_hint"), elem_id="sp-export-hint"), "export_hint",
                      "value")  # fmt: skip
    out = tr.add(
        gr.File(label=tr.text("export_file"), interactive=False, elem_id="sp-export-file",
                visible=False),
        "export_file",
    )  # fmt: skip
    del hint

    def run(kind: str):  # noqa: ANN202 - a Gradio handler
        def handler(period_value, scope, metric, lang_value, request: gr.Request):
            _, role = ctx.identity(request)
            start, end = period_range(period_value, ctx.api.today)
            try:
                path = export_file(
                    ctx,
                    role,
                    kind,
                    lang_value,
                    start=start,
                    end=end,
                    scope=scope,
                    trend_metric=metric,
                    metrics=metrics,
                )
            except AccessDenied as exc:
                gr.Warning(exc.text(lang_value))
                return gr.update(visible=False)
            return gr.update(value=str(path), visible=True)

        return handler

    inputs = [period, scope_state, trend_metric, lang_radio]
    excel.click(run("xlsx"), inputs, out, api_visibility="undocumented")
    csv.click(run("csv"), inputs, out, api_visibility="undocumented")
