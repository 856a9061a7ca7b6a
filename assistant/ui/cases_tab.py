"""Similar-cases tab (agents): paste a complaint, filter, see ranked resolved cases."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from assistant.api import INDEX_MISSING, AccessDenied
from assistant.ui.context import UIContext
from assistant.ui.i18n import Translator, t


def _codes(ctx: UIContext, name: str, lang: str) -> list[tuple[str, str]]:
    code_list = ctx.api.catalog.code_lists.get(name)
    if code_list is None:
        return []
    return [(c.label.zh if lang == "zh" else c.label.en, c.code) for c in code_list.codes]


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
        date_from = tr.add(gr.Textbox(label=tr.text("date_from"), max_lines=1), "date_from")
        date_to = tr.add(gr.Textbox(label=tr.text("date_to"), max_lines=1), "date_to")
    search = tr.add(
        gr.Button(tr.text("search"), variant="primary", elem_id="sp-case-search"), "search", "value"
    )
    status = gr.Markdown(elem_id="sp-case-status")
    table = gr.Dataframe(interactive=False, wrap=True, elem_id="sp-case-table")

    def on_search(text, product, region_code, resolved_only, start, end, lang, request: gr.Request):
        from tools.errors import CaseIndexError, CaseSearchError

        try:
            _, role = ctx.identity(request)
            hits = ctx.api.search_cases(
                text or "",
                role,
                k=10,
                product_line=product or None,
                region=region_code or None,
                resolved_only=bool(resolved_only),
                date_from=(start or "").strip() or None,
                date_to=(end or "").strip() or None,
            )
        except CaseIndexError:
            return f"⚠️ {INDEX_MISSING[lang]}", pd.DataFrame()
        except (CaseSearchError, AccessDenied, ValueError) as exc:
            return f"⚠️ {exc}", pd.DataFrame()
        if not hits:
            return t(lang, "no_cases"), pd.DataFrame()
        columns = t(lang, "case_cols").split("|")
        rows = [
            [
                h["rank"],
                h["case_id"],
                round(h["similarity"], 3),
                h["metadata"].get("region", ""),
                h["metadata"].get("product_line", ""),
                h["metadata"].get("status", ""),
                h.get("root_cause") or "",
                h.get("resolution") or "",
                h["text"][:300],
            ]
            for h in hits
        ]
        return f"{len(hits)} ✓", pd.DataFrame(rows, columns=columns)

    def relabel(lang_value: str):
        any_ = (t(lang_value, "any"), "")
        return (
            gr.update(choices=[any_, *_codes(ctx, "product_line", lang_value)]),
            gr.update(choices=[any_, *_codes(ctx, "region", lang_value)]),
        )

    lang_radio.change(relabel, lang_radio, [product_line, region], api_visibility="undocumented")
    search.click(
        on_search,
        [complaint, product_line, region, resolved, date_from, date_to, lang_radio],
        [status, table],
        api_visibility="undocumented",
    )
    from assistant.ui.assist_panel import build_assist_panel  # agent assist (issue 19)

    build_assist_panel(ctx, complaint, lang_radio, [product_line, region])
