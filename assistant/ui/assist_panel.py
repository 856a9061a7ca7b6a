"""Agent-assist panel of the cases tab: the suggested resolution for the pasted complaint (root
cause, steps with case ids, expected time, warnings, articles, a reply draft to copy) and the
customer 360 view by customer or ticket id."""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.answer.cases import INDEX_BUSY
from assistant.api import INDEX_MISSING, AccessDenied
from assistant.ui.context import UIContext

TEXT = {
    "suggest": ("建议处理方案", "Suggest a resolution"),
    "reply": ("回复草稿（可复制）", "Reply draft (copy it)"),
    "customer_id": ("客户或工单编号", "Customer or ticket id"),
    "customer_ph": ("如 C00000001 或 T000012345", "e.g. C00000001 or T000012345"),
    "show_customer": ("客户 360", "Customer 360"),
    "cause": ("可能的根因", "Likely root cause"),
    "steps": ("解决步骤（来自相似案例）", "Steps that resolved similar cases"),
    "time": ("预计处理时长", "Expected time to resolve"),
    "warnings": ("注意", "Warnings"),
    "articles": ("知识库", "Knowledge base"),
    "none": ("没有找到相似的已解决案例。", "No similar resolved cases found."),
    "profile": ("客户档案", "Customer"),
    "value": ("价值", "Value"),
    "risk": ("流失风险", "Churn risk"),
    "tags": ("标签", "Tags"),
    "tickets": ("工单时间线", "Tickets"),
    "orders": ("订单", "Orders"),
    "surveys": ("满意度回访", "Surveys"),
    "tasks": ("待办任务", "Open tasks"),
}


def _t(lang: str, key: str) -> str:
    zh, en = TEXT[key]
    return zh if lang == "zh" else en


def _ids(ids: list[str], n: int = 4) -> str:
    more = f" +{len(ids) - n}" if len(ids) > n else ""
    return ", ".join(f"`{i}`" for i in ids[:n]) + more


def suggestion_markdown(s: dict[str, Any], lang: str) -> str:
    """The suggestion as Markdown for the panel (the reply draft goes to its own box)."""
    if not s["cases"]:
        return _t(lang, "none")
    out = [f"**{_t(lang, 'cause')}**"]
    out += [
        f"- {c['label']} — {c['confidence']:.0%} ({_ids(c['case_ids'])})" for c in s["root_causes"]
    ]
    out.append(f"\n**{_t(lang, 'steps')}**")
    out += [
        f"{i}. {step['text']} ({_ids(step['case_ids'])})"
        for i, step in enumerate(s["steps"], start=1)
    ]
    hours = s["expected_hours"]
    if hours["median"] is not None:
        unit = "小时" if lang == "zh" else "h"
        out.append(
            f"\n**{_t(lang, 'time')}**: {hours['median']} {unit} (p50), {hours['p80']} {unit} (p80)"
        )
    if s["warnings"]:
        out.append(f"\n**{_t(lang, 'warnings')}**")
        out += [f"- ⚠️ {w}" for w in s["warnings"]]
    if s["articles"]:
        out.append(f"\n**{_t(lang, 'articles')}**")
        out += [f"- {a['heading']} (`{a['chunk_id']}`)" for a in s["articles"]]
    return "\n".join(out)


RISK = {"low": "低", "medium": "中", "high": "高", "churned": "已流失"}


def code_labeler(catalog: Any, lang: str) -> Any:
    """(code list, code) -> the code's label in ``lang`` (the code itself when unknown)."""

    def label(name: str, code: Any) -> str:
        code_list = catalog.code_lists.get(name) if catalog is not None else None
        for c in code_list.codes if code_list else ():
            if c.code == code:
                return c.label.zh if lang == "zh" else c.label.en
        return "-" if code is None else str(code)

    return label


def _ticket_lines(t: dict[str, Any], lb: Any) -> list[str]:
    return [
        f"### {t['ticket_id']} · {lb('ticket_type', t['ticket_type'])}/"
        f"{lb('category', t['category'])} · {lb('status', t['status'])}",
        f"{t['created_at']} · {lb('channel', t['channel'])} · {lb('region', t['region'])}",
        f"> {(t['description'] or t['subject'] or '').replace(chr(10), ' ')}",
        *([f"✅ {t['resolution']}"] if t.get("resolution") else []),
    ]


def customer_markdown(p: dict[str, Any], lang: str, catalog: Any = None) -> str:
    """The customer 360 view as Markdown, codes shown as labels."""
    zh = lang == "zh"
    lb = code_labeler(catalog, lang)
    prof, value, risk = p["profile"], p["value"], p["churn_risk"]
    rfm = value["rfm"]
    lines = [
        *(_ticket_lines(p["ticket"], lb) if p.get("ticket") else []),
        f"### {_t(lang, 'profile')} {p['customer_id']}",
        f"{lb('segment', prof['segment'])} · {lb('region', prof['region'])} · {prof['city']} · "
        f"{prof['signup_date']}"
        + (f" · churned {prof['churned_at']}" if prof["churned_at"] else ""),
        f"**{_t(lang, 'value')}**: {value['orders']} · ¥{value['lifetime_amount']:,.0f}"
        + (f" · RFM R{rfm['r']} F{rfm['f']} M{rfm['m']}" if rfm else ""),
        f"**{_t(lang, 'tags')}**: "
        + (", ".join(t["zh"] if zh else t["en"] for t in p["tags"]) or "-"),
        f"**{_t(lang, 'risk')}**: {RISK[risk['level']] if zh else risk['level']} "
        f"({risk['score']})" + (f" — {'; '.join(risk['factors'])}" if risk["factors"] else ""),
        f"\n**{_t(lang, 'tickets')}** ({p['summary']['tickets']}, "
        f"CSAT {p['summary']['mean_csat'] or '-'})",
    ]
    lines += [
        f"- {t['created_at'][:10]} `{t['ticket_id']}` {lb('ticket_type', t['ticket_type'])}/"
        f"{lb('category', t['category'])} · {lb('status', t['status'])} — "
        f"{(t['subject'] or '')[:60]}"
        for t in p["tickets"][:20]
    ]
    if p["orders"]:
        lines.append(f"\n**{_t(lang, 'orders')}**")
        lines += [
            f"- {o['ordered_at'][:10]} {o['product']} ¥{o['amount']:,.0f}" for o in p["orders"][:10]
        ]
    if p["surveys"]:
        lines.append(f"\n**{_t(lang, 'surveys')}**")
        lines += [
            f"- {s['responded_at'][:10]} `{s['ticket_id']}` CSAT {s['csat'] or '-'} "
            f"NPS {'-' if s['nps'] is None else s['nps']}"
            + (f" — {s['comment']}" if s["comment"] else "")
            for s in p["surveys"][:10]
        ]
    if p["open_tasks"]:
        lines.append(f"\n**{_t(lang, 'tasks')}**")
        lines += [
            f"- {task['due_at']} {task['reason_zh'] if zh else task['reason_en']}"
            for task in p["open_tasks"]
        ]
    return "\n".join(lines)


def build_assist_panel(
    ctx: UIContext, complaint: gr.Textbox, lang_radio: gr.Radio, pickers: list[Any]
) -> None:
    """The panel under the search results; ``pickers`` are the tab's product-line and region
    dropdowns (the suggestion honours them)."""
    lang = getattr(lang_radio, "value", None) or "zh"
    with gr.Row():
        suggest = gr.Button(_t(lang, "suggest"), variant="secondary", elem_id="sp-suggest")
        customer_id = gr.Textbox(
            label=_t(lang, "customer_id"),
            placeholder=_t(lang, "customer_ph"),
            max_lines=1,
            elem_id="sp-customer-id",
        )
        show = gr.Button(_t(lang, "show_customer"), elem_id="sp-customer-show")
    with gr.Row():
        with gr.Column(scale=3):
            advice = gr.Markdown(elem_id="sp-suggestion")
            reply = gr.Textbox(
                label=_t(lang, "reply"),
                lines=6,
                interactive=True,
                buttons=["copy"],
                elem_id="sp-reply",
            )
        with gr.Column(scale=2):
            profile = gr.Markdown(elem_id="sp-customer")

    def on_suggest(text, product, region, lang, request: gr.Request):
        from tools.errors import CaseIndexBusy, CaseIndexError, CaseSearchError

        try:
            _, role = ctx.identity(request)
            s = ctx.api.suggest_resolution(
                text or "", role, product_line=product or None, region=region or None
            )
        except CaseIndexBusy:
            return f"⚠️ {INDEX_BUSY[lang]}", ""
        except CaseIndexError:
            return f"⚠️ {INDEX_MISSING[lang]}", ""
        except AccessDenied as exc:
            return f"⚠️ {exc.text(lang)}", ""
        except (CaseSearchError, ValueError, PermissionError) as exc:
            return f"⚠️ {exc}", ""
        return suggestion_markdown(s, lang), s["reply"] if s["cases"] else ""

    def on_customer(value, lang, request: gr.Request):
        from tools.errors import ServicePilotError

        try:
            _, role = ctx.identity(request)
            profile = ctx.api.customer_profile(value or "", role)
            return customer_markdown(profile, lang, ctx.api.catalog)
        except AccessDenied as exc:
            return f"⚠️ {exc.text(lang)}"
        except (ServicePilotError, PermissionError) as exc:
            return f"⚠️ {exc}"

    def relabel(lang_value: str):
        return (
            gr.update(value=_t(lang_value, "suggest")),
            gr.update(
                label=_t(lang_value, "customer_id"), placeholder=_t(lang_value, "customer_ph")
            ),
            gr.update(value=_t(lang_value, "show_customer")),
            gr.update(label=_t(lang_value, "reply")),
        )

    lang_radio.change(
        relabel, lang_radio, [suggest, customer_id, show, reply], api_visibility="undocumented"
    )
    suggest.click(
        on_suggest,
        [complaint, *pickers, lang_radio],
        [advice, reply],
        api_visibility="undocumented",
    )
    show.click(on_customer, [customer_id, lang_radio], profile, api_visibility="undocumented")
    customer_id.submit(
        on_customer, [customer_id, lang_radio], profile, api_visibility="undocumented"
    )
