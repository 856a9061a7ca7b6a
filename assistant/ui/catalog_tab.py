"""Metric catalog tab (analysts): browse definitions, reload after an edit, run the evals."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

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
    lines.append(formula_markdown(ctx.api.catalog, name))
    return "\n".join(lines)


def _expr_text(expr: Any) -> str:
    duration = getattr(expr, "duration", None)
    if duration is not None:  # a duration between two timestamps
        return f"{duration.end} - {duration.start} in {duration.unit}"
    return str(expr)


def _measure_text(catalog: Any, ref: str) -> str:
    """``tickets.sla_breached`` as what it aggregates: count(*) over tickets where ..."""
    model, measure = catalog.measure(ref)
    expr = _expr_text(measure.expr) if measure.expr is not None else "*"
    what = f"{measure.agg}({expr})"
    if measure.percentile is not None:
        what = f"percentile {measure.percentile:g} of {expr}"
    where = " AND ".join(
        f"{f.field} {f.op} {f.ref if f.ref else ', '.join(str(v) for v in f.values)}"
        for f in measure.filters
    )
    return f"`{what}` FROM `{model.table}`" + (f" WHERE `{where}`" if where else "")


OPERATORS = {"add": "+", "subtract": "-", "multiply": "×", "divide": "/"}


def _formula_text(formula: Any) -> str:
    """A derived metric's arithmetic: (nps_promoter_share - nps_detractor_share)."""

    def operand(arg: Any) -> str:
        if hasattr(arg, "op"):
            return _formula_text(arg)
        return str(getattr(arg, "metric", None) or getattr(arg, "value", arg))

    left, right = formula.args
    return f"({operand(left)} {OPERATORS[formula.op]} {operand(right)})"


def formula_markdown(catalog: Any, name: str) -> str:
    """The metric's formula (numerator, denominator, their filters, time attribution) and the
    SQL it compiles to for last month, both from the semantic layer."""
    from semantic_layer.compiler import compile_query
    from semantic_layer.periods import last_full_month
    from semantic_layer.query import MetricQuery

    metric = catalog.metric(name)
    lines = ["\n#### 公式 / Formula"]
    if metric.type == "ratio":
        lines.append(f"- 分子 numerator: {_measure_text(catalog, metric.numerator.measure)}")
        lines.append(f"- 分母 denominator: {_measure_text(catalog, metric.denominator.measure)}")
        if metric.multiplier != 1:
            lines.append(f"- × {metric.multiplier:g}")
    elif getattr(metric, "measure", None):
        lines.append(f"- {_measure_text(catalog, metric.measure)}")
    elif metric.formula is not None:
        lines.append(f"- `{_formula_text(metric.formula)}`")
    for component in catalog.components(metric):
        attribution = component.time_dimension or "period end (snapshot)"
        lines.append(
            f"- 时间归属 attribution: `{component.model}.{component.measure}` by `{attribution}`"
        )
    try:
        period = last_full_month(date.today())
        query = MetricQuery(metrics=(name,), time_range=period)
        sql = compile_query(query, catalog).sql
    except Exception as exc:  # noqa: BLE001 - the definition still shows; say why no SQL
        sql = f"-- cannot compile: {exc}"
    lines.append(f"\n#### 编译后的 SQL / Compiled SQL ({period.start} – {period.end})")
    lines.append(f"```sql\n{sql}\n```")
    return "\n".join(lines)


def eval_report(result: dict[str, Any]) -> str:
    """The eval run as readable Markdown: the report file it wrote, else its numbers."""
    path = result.get("report_md")
    if path and Path(path).is_file():
        return Path(path).read_text(encoding="utf-8")
    lines = []
    for suite, body in result.items():
        if isinstance(body, dict) and "accuracy" in body:
            lines.append(f"- **{suite}**: accuracy {body['accuracy']}")
    return "\n".join(lines) or f"```json\n{json.dumps(result, default=str, indent=2)}\n```"


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
    report = gr.Markdown(visible=False, elem_id="sp-catalog-report")

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
        """Progress while the suite runs (minutes), then its Markdown report, not raw JSON."""
        _, role = ctx.identity(request)
        if role not in CATALOG_ADMIN_ROLES:
            yield t(lang_value, "analyst_only"), gr.update(visible=False)
            return
        if ctx.eval_runner is None:
            yield t(lang_value, "evals_none"), gr.update(visible=False)
            return
        yield "⏳ " + t(lang_value, "evals_running"), gr.update(visible=False)
        result = ctx.eval_runner()
        yield result.get("summary") or "", gr.update(value=eval_report(result), visible=True)

    run_evals.click(on_evals, [lang_radio], [status, report], api_visibility="undocumented")
    lang_radio.change(
        lambda lv: metrics_frame(ctx, lv), lang_radio, table, api_visibility="undocumented"
    )
