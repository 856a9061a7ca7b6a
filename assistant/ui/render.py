"""Answers as chat messages: text + table, chart, and a collapsible "how was this computed"."""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.answer.sources import sources_line
from assistant.answer.table import display_table, markdown_table
from assistant.messages import computed_as_of_lines, owner_label, warning_text
from assistant.planning.plans import AlertReview, MetricPlan
from assistant.service import Answer
from assistant.ui.answer_charts import answer_figure
from assistant.ui.charts import choose_chart, render
from assistant.ui.i18n import t
from assistant.ui.image_export import chart_png
from semantic_layer.executor import MetricResult


def answer_messages(
    answer: Answer, lexicon: Any, lang: str, catalog: Any = None
) -> list[dict[str, Any]]:
    """Chat messages for one answer: the text, its chart (a ``gr.Plot`` message: a metric
    result's chart, else the why / forecast / alerts chart of the payload) with the chart as a
    PNG file under it where the server draws that kind, "how was this computed" and the SQL,
    each folded."""
    # Notices come first: which planner read the question, a fallback and why.
    parts = [*(f"ℹ️ _{notice}_\n" for notice in answer.notices), answer.text]
    if isinstance(answer.plan, MetricPlan):
        reading = answer.plan.interpretation
        parts.append(f"\n_{reading}_")
        # A fresh reading names its assumptions; one retold in another language does not.
        parts.extend(f"\n_· {a}_" for a in answer.plan.assumptions if a not in reading)
    elif isinstance(answer.plan, AlertReview):
        parts.append(f"\n_{answer.plan.interpretation}_")
    result = answer.result
    figure = None
    if result is not None and not result.data.empty:
        spec = choose_chart(result, answer.language)
        figure = render(spec, result, lexicon, answer.language)
        if spec.kind != "kpi" or len(result.data.columns) > 1:
            parts.append(
                "\n\n"
                + markdown_table(
                    display_table(result, lexicon, answer.language), language=answer.language
                )
            )
    elif answer.payload and catalog is not None:
        figure = answer_figure(answer.payload, lexicon, catalog, answer.language)
    # "2026-09-14~2026-10-11 … 2026-06-29~2026-09-13": two tildes strike the text between
    # them through in Markdown.
    content = "\n".join(parts).replace("~", "\\~")
    messages: list[dict[str, Any]] = [{"role": "assistant", "content": content}]
    if figure is not None:
        messages.append({"role": "assistant", "content": gr.Plot(figure, show_label=False)})
        png = chart_png(figure, answer.language)  # the chart as PNG, drawn on the server
        if png is not None:
            messages.append({"role": "assistant", "content": gr.File(str(png))})
    if result is not None:
        messages.append(
            {
                "role": "assistant",
                "content": provenance_markdown(result, lang, with_sql=False, catalog=catalog),
                "metadata": {"title": t(lang, "how_computed"), "status": "done"},
            }
        )
    sql = sql_markdown(answer, lang)
    if sql:
        messages.append(
            {
                "role": "assistant",
                "content": sql,
                "metadata": {"title": t(lang, "show_sql"), "status": "done"},
            }
        )
    return messages


def sql_markdown(answer: Answer, lang: str) -> str:
    """The SQL behind an answer (a metric result's, or each query of a why analysis)."""
    result = answer.result
    if result is not None:
        return (
            f"**{t(lang, 'sql')}** ({result.dialect}, {result.elapsed_ms:.0f} ms):\n\n"
            f"```sql\n{result.sql}\n```"
        )
    statements = (answer.payload.get("why") or {}).get("sql") or []
    return "\n\n".join(f"```sql\n{s}\n```" for s in statements)


def _metric_label(result: MetricResult, name: str, lang: str) -> str:
    meta = result.metrics.get(name)
    return name if meta is None else (meta.label_zh if lang == "zh" else meta.label_en)


def _attribution(columns: str, lang: str) -> str:
    """The time a metric is attributed by: its column(s), or the state at the period's end."""
    return t(lang, "attributed_period_end") if columns == "period end" else columns


def provenance_markdown(
    result: MetricResult, lang: str, with_sql: bool = True, catalog: Any = None
) -> str:
    lines: list[str] = []
    for meta in result.metrics.values():
        badge = t(lang, "certified") if meta.certified else t(lang, "not_certified")
        label = meta.label_zh if lang == "zh" else meta.label_en
        description = meta.description_zh if lang == "zh" else meta.description_en
        lines.append(
            f"**{label}** (`{meta.name}`) {badge} · {t(lang, 'owner')} "
            f"{owner_label(meta.owner, lang)} · {t(lang, 'version')} {meta.version} · "
            f"{t(lang, 'time_attr')}: {_attribution(meta.time_attribution, lang)}"
            f"\n\n{description}\n"
        )
    if result.sample_sizes:
        sizes = ", ".join(
            t(
                lang,
                "sample_size_line",
                metric=_metric_label(result, s.metric, lang),
                n=s.total_n,
                least=s.min_n,
                small=t(lang, "sample_size_small", rows=s.small_rows) if s.small_rows else "",
            )
            for s in result.sample_sizes.values()
        )
        lines.append(f"**{t(lang, 'sample_sizes')}**: {sizes}\n")
    if result.data_freshness:
        lines.append(f"**{t(lang, 'freshness')}**: {result.data_freshness:%Y-%m-%d %H:%M}\n")
    if catalog is not None:  # customer segments: the date they were computed as of
        lines += [f"{line}\n" for line in computed_as_of_lines(result, catalog, lang)]
    by_source = sources_line(result, lang)
    if by_source:
        lines.append(by_source + "\n")
    for warning in result.warnings:
        lines.append(f"⚠️ {warning_text(warning, lang)}\n")
    if with_sql:
        lines.append(f"**{t(lang, 'sql')}** ({result.dialect}, {result.elapsed_ms:.0f} ms):\n")
        lines.append(f"```sql\n{result.sql}\n```")
    return "\n".join(lines)
