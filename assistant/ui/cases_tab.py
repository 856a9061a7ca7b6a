"""Similar-cases tab (agents): paste a complaint, filter, see ranked cases, open one.

Codes (region, product line, status, category, root cause) are shown by their labels from the
semantic layer's code lists (the one definition); the score column is the fused score the
ranking uses. Selecting a row opens the whole case: full text, resolution (copyable) and every
stored field."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import gradio as gr
import pandas as pd

from assistant.answer.cases import INDEX_BUSY
from assistant.api import INDEX_MISSING, AccessDenied
from assistant.ui.context import UIContext
from assistant.ui.i18n import Translator, t
from assistant.ui.progress import progress_targets

# Case metadata fields shown by label, and the code list that labels them.
LABELLED = {
    "region": "region",
    "product_line": "product_line",
    "status": "status",
    "category": "category",
    "channel": "channel",
    "ticket_type": "ticket_type",
    "root_cause": "root_cause",
    "language": "language",
}
SNIPPET = 120  # characters of text/resolution in the table; the case view shows all


def _codes(ctx: UIContext, name: str, lang: str) -> list[tuple[str, str]]:
    code_list = ctx.api.catalog.code_lists.get(name)
    if code_list is None:
        return []
    return [(c.label.zh if lang == "zh" else c.label.en, c.code) for c in code_list.codes]


def code_label(ctx: UIContext, field: str, value: Any, lang: str) -> str:
    """The label of ``value`` for case field ``field`` (the value itself when it has none, e.g.
    an imported root-cause code outside the list)."""
    if value is None or value == "":
        return ""
    code_list = ctx.api.catalog.code_lists.get(LABELLED.get(field, ""))
    for code in code_list.codes if code_list else ():
        if code.code == value:
            return code.label.zh if lang == "zh" else code.label.en
    return str(value)


def _snippet(text: str | None) -> str:
    text = (text or "").replace("\n", " / ")
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


def _day(value: Any) -> str | None:
    """A date picker's value (string, datetime or timestamp) as YYYY-MM-DD, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value).date().isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    text = str(value).strip()
    return text[:10] or None


def result_table(ctx: UIContext, hits: list[dict[str, Any]], lang: str) -> pd.DataFrame:
    """The results table: labels instead of codes, the ranking score, short texts."""
    rows = [
        [
            h["rank"],
            h["case_id"],
            round(h["score"], 4),
            code_label(ctx, "region", h["metadata"].get("region"), lang),
            code_label(ctx, "product_line", h["metadata"].get("product_line"), lang),
            code_label(ctx, "status", h["metadata"].get("status"), lang),
            code_label(ctx, "root_cause", h.get("root_cause"), lang),
            _snippet(h.get("resolution")),
            _snippet(h["text"]),
        ]
        for h in hits
    ]
    return pd.DataFrame(rows, columns=t(lang, "case_cols").split("|"))


def case_view(ctx: UIContext, hit: dict[str, Any], lang: str) -> str:
    """The whole case as Markdown: every stored field by label, then the full (masked) text.
    The text is customer-written data, so it is fenced, never rendered as Markdown."""
    meta = hit["metadata"]
    lines = [
        f"### {t(lang, 'case')} {hit['case_id']}",
        f"- {t(lang, 'case_rank_score')}: {hit['rank']} · {hit['score']:.4f} "
        f"(cos {hit['similarity']:.3f})",
    ]
    likely_of = {x["category"] for x in hit.get("likely") or ()}
    field = (hit.get("likely") or [{}])[0].get("field")
    if hit.get("category_boost") and field and meta.get(field) in likely_of:
        likely = ", ".join(
            f"{code_label(ctx, x['field'], x['category'], lang)} ({x['probability']:.0%})"
            for x in hit["likely"]
        )
        lines.append(f"- {t(lang, 'case_likely')}: {likely} · +{hit['category_boost']:.4f}")
    for key in sorted(meta):
        if key in ("created_day", "resolved", "source"):
            continue
        lines.append(f"- {key}: {code_label(ctx, key, meta[key], lang)}")
    if hit.get("duplicates"):
        lines.append(f"- {t(lang, 'case_duplicates')}: {', '.join(hit['duplicates'])}")
    body = hit["text"].replace("```", "'''")
    lines += ["", f"**{t(lang, 'case_text')}**", "", "```text", body, "```"]
    return "\n".join(lines)


def build_cases_tab(ctx: UIContext, tr: Translator, lang_radio: gr.Radio) -> None:
    lang = tr.lang
    complaint = tr.add(
        gr.Textbox(
            label=tr.text("complaint"),
            placeholder=tr.text("complaint_ph"),
            lines=4,
            elem_id="sp-complaint",
        ),
        "complaint",
    )
    tr.add(complaint, "complaint_ph", "placeholder")
    with gr.Row():
        product_line = tr.add(
            gr.Dropdown(
                [(t(lang, "any"), "")] + _codes(ctx, "product_line", lang),
                value="",
                label=tr.text("product_line"),
                elem_id="sp-case-product",
            ),
            "product_line",
        )
        region = tr.add(
            gr.Dropdown(
                [(t(lang, "any"), "")] + _codes(ctx, "region", lang),
                value="",
                label=tr.text("region"),
                elem_id="sp-case-region",
            ),
            "region",
        )
        resolved = tr.add(gr.Checkbox(value=True, label=tr.text("resolved_only")), "resolved_only")
        date_from = tr.add(
            gr.DateTime(
                include_time=False, type="string", label=tr.text("date_from"), elem_id="sp-from"
            ),
            "date_from",
        )
        date_to = tr.add(
            gr.DateTime(
                include_time=False, type="string", label=tr.text("date_to"), elem_id="sp-to"
            ),
            "date_to",
        )
    search = tr.add(
        gr.Button(tr.text("search"), variant="primary", elem_id="sp-case-search"), "search", "value"
    )
    status = gr.Markdown(elem_id="sp-case-status")
    table = gr.Dataframe(interactive=False, wrap=True, elem_id="sp-case-table")
    hits_state = gr.State([])
    with gr.Column(visible=False, elem_id="sp-case-open") as opened:
        detail = gr.Markdown(elem_id="sp-case-detail")
        resolution = tr.add(
            gr.Textbox(
                label=tr.text("case_resolution"),
                lines=3,
                interactive=False,
                buttons=["copy"],
                elem_id="sp-case-resolution",
            ),
            "case_resolution",
        )

    def on_search(text, product, region_code, resolved_only, start, end, lang, request: gr.Request):
        from tools.errors import CaseIndexBusy, CaseIndexError, CaseSearchError

        closed = gr.update(visible=False)
        try:
            _, role = ctx.identity(request)
            hits = ctx.api.search_cases(
                text or "",
                role,
                k=10,
                product_line=product or None,
                region=region_code or None,
                resolved_only=bool(resolved_only),
                date_from=_day(start),
                date_to=_day(end),
            )
        except CaseIndexBusy:
            return f"⚠️ {INDEX_BUSY[lang]}", pd.DataFrame(), [], closed
        except CaseIndexError:
            return f"⚠️ {INDEX_MISSING[lang]}", pd.DataFrame(), [], closed
        except (CaseSearchError, AccessDenied, ValueError) as exc:
            return f"⚠️ {exc}", pd.DataFrame(), [], closed
        if not hits:
            return t(lang, "no_cases"), pd.DataFrame(), [], closed
        note = f"{len(hits)} ✓ · {t(lang, 'case_open_hint')}"
        return note, result_table(ctx, hits, lang), hits, closed

    def on_select(hits, lang, evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        if not hits or row is None or not 0 <= int(row) < len(hits):
            return gr.update(visible=False), "", ""
        hit = hits[int(row)]
        return gr.update(visible=True), case_view(ctx, hit, lang), hit.get("resolution") or ""

    def relabel(lang_value: str, hits):
        any_ = (t(lang_value, "any"), "")
        return (
            gr.update(choices=[any_, *_codes(ctx, "product_line", lang_value)]),
            gr.update(choices=[any_, *_codes(ctx, "region", lang_value)]),
            result_table(ctx, hits, lang_value) if hits else gr.update(),
        )

    lang_radio.change(
        relabel,
        [lang_radio, hits_state],
        [product_line, region, table],
        api_visibility="undocumented",
    )
    search.click(
        on_search,
        [complaint, product_line, region, resolved, date_from, date_to, lang_radio],
        [status, table, hits_state, opened],
        api_visibility="undocumented",
        show_progress_on=progress_targets([status, table, hits_state, opened]),
    )
    table.select(
        on_select,
        [hits_state, lang_radio],
        [opened, detail, resolution],
        api_visibility="undocumented",
        show_progress_on=[detail, resolution],
    )
    from assistant.ui.assist_panel import build_assist_panel  # agent assist (issue 19)

    build_assist_panel(ctx, complaint, lang_radio, [product_line, region])
