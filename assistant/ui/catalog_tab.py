"""Metric catalog tab (analysts): browse definitions, reload after an edit, run the evals."""

from __future__ import annotations

import json

import gradio as gr
import pandas as pd

from assistant.ui.context import CATALOG_ADMIN_ROLES, UIContext
from assistant.ui.i18n import Translator, t
from semantic_layer.errors import SpecError


def metrics_frame(ctx: UIContext, lang: str) -> pd.DataFrame:
    rows = [
        [
            m["name"],
            m["label_zh"] if lang == "zh" else m["label_en"],
            m["type"],
            m["unit"],
            "✅" if m["certified"] else "—",
            m["owner"],
            ", ".join(m["synonyms"][:6]),
        ]
        for m in ctx.api.list_metrics()
    ]
    return pd.DataFrame(rows, columns=t(lang, "catalog_cols").split("|"))


def metric_markdown(ctx: UIContext, name: str | None) -> str:
    if not name:
        return ""
    d = ctx.api.describe_metric(name)
    badge = "✅ certified 已认证" if d.get("certified") else "⚠️ not certified 未认证"
    lines = [
        f"### {d['label']['zh']} / {d['label']['en']} (`{d['name']}`)",
        f"{badge} · owner 负责人 **{d['owner']}** · v{d.get('version', 1)} · {d['type']} · "
        f"unit {d['unit']} · good direction {d['direction']} · time "
        f"{', '.join(d['time_attribution'])}",
        f"\n**中文**：{d['description']['zh']}",
        f"\n**English**: {d['description']['en']}",
    ]
    if d.get("synonyms"):
        lines.append(f"\n**Synonyms 同义词**: {', '.join(d['synonyms'])}")
    if d.get("notes"):
        lines.append(f"\n**Notes**: {d['notes']}")
    return "\n".join(lines)


def format_issues(exc: SpecError, lang: str) -> str:
    head = t(lang, "reload_bad", n=len(exc.issues))
    body = "\n".join(f"- `{issue}`" for issue in exc.issues[:100])
    return f"❌ {head}\n\n{body}"


def build_catalog_tab(ctx: UIContext, tr: Translator, lang_radio: gr.Radio) -> None:
    lang = tr.lang
    table = gr.Dataframe(
        metrics_frame(ctx, lang), interactive=False, wrap=True, elem_id="sp-catalog-table"
    )
    names = [m.name for m in ctx.api.catalog.spec.metrics]
    chooser = tr.add(
        gr.Dropdown(
            names,
            value=names[0] if names else None,
            label=tr.text("metric"),
            elem_id="sp-catalog-metric",
        ),
        "metric",
    )
    details = gr.Markdown(
        metric_markdown(ctx, names[0] if names else None), elem_id="sp-catalog-details"
    )
    with gr.Row():
        reload = tr.add(
            gr.Button(tr.text("reload"), elem_id="sp-catalog-reload"), "reload", "value"
        )
        run_evals = tr.add(
            gr.Button(tr.text("run_evals"), elem_id="sp-catalog-evals"), "run_evals", "value"
        )
    status = gr.Markdown(elem_id="sp-catalog-status")
    report = gr.JSON(visible=False, elem_id="sp-catalog-report")

    chooser.change(
        lambda n: metric_markdown(ctx, n), chooser, details, api_visibility="undocumented"
    )

    def on_reload(lang_value: str, current: str | None, request: gr.Request):
        _, role = ctx.identity(request)
        if role not in CATALOG_ADMIN_ROLES:
            return gr.update(), gr.update(), gr.update(), t(lang_value, "analyst_only")
        try:
            catalog = ctx.catalog_loader()
        except SpecError as exc:
            return gr.update(), gr.update(), gr.update(), format_issues(exc, lang_value)
        ctx.api.replace_catalog(catalog)
        names = [m.name for m in catalog.spec.metrics]
        keep = current if current in names else (names[0] if names else None)
        return (
            metrics_frame(ctx, lang_value),
            gr.update(choices=names, value=keep),
            metric_markdown(ctx, keep),
            "✅ " + t(lang_value, "reload_ok", n=len(names)),
        )

    reload.click(
        on_reload,
        [lang_radio, chooser],
        [table, chooser, details, status],
        api_visibility="undocumented",
    )

    def on_evals(lang_value: str, request: gr.Request):
        _, role = ctx.identity(request)
        if role not in CATALOG_ADMIN_ROLES:
            return t(lang_value, "analyst_only"), gr.update(visible=False)
        if ctx.eval_runner is None:
            return t(lang_value, "evals_none"), gr.update(visible=False)
        result = ctx.eval_runner()
        summary = result.get("summary") or ""
        return summary, gr.update(value=json.loads(json.dumps(result, default=str)), visible=True)

    run_evals.click(on_evals, [lang_radio], [status, report], api_visibility="undocumented")
    lang_radio.change(
        lambda lv: metrics_frame(ctx, lv), lang_radio, table, api_visibility="undocumented"
    )
