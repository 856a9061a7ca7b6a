"""The follow-up tasks tab (tools/rules: call-backs, escalations, supervisor reviews): the
role's tasks by due time, mark done or reopen (anyone who sees the task), reassign (roles
that manage). Changes go through assistant.operations (role-scoped, audited)."""

from __future__ import annotations

import html
import logging
from typing import Any

import gradio as gr
import pandas as pd

from assistant.errors import AccessDenied
from assistant.operations import change_task, role_tasks
from assistant.roles import get_role
from assistant.ui.context import UIContext
from assistant.ui.i18n import Translator, t
from assistant.ui.live_panel import code_label
from assistant.ui.progress import progress_targets
from tools.errors import ServicePilotError

log = logging.getLogger(__name__)
SHOWN = 200


def _kind(kind: str, lang: str) -> str:
    try:
        return t(lang, f"task_kind_{kind}")
    except KeyError:  # a kind from an analyst's own rule file
        return kind


def tasks_table(ctx: UIContext, tasks: list[dict[str, Any]], lang: str) -> pd.DataFrame:
    rows = [
        (
            f"{r['due_at']:%Y-%m-%d %H:%M}",
            _kind(r["kind"], lang),
            t(lang, f"task_status_{r['status']}"),
            r["owner"],
            r["ticket_id"] or "–",
            r["customer_id"] or "–",
            code_label(ctx.api.catalog, "region", r["region"], lang),
            r["reason_zh"] if lang == "zh" else r["reason_en"],
        )
        for r in tasks[:SHOWN]
    ]
    keys = (
        "col_task_due",
        "col_kind",
        "col_state",
        "col_owner",
        "col_ticket",
        "col_customer",
        "col_region",
        "col_reason",
    )
    return pd.DataFrame(rows, columns=[t(lang, k) for k in keys])


def render_tasks(ctx: UIContext, role: str | None, include_done: bool, lang: str) -> list[Any]:
    """[table, picker update, reassign row visibility, message]."""
    try:
        tasks = role_tasks(ctx.api, role, include_done=include_done)
    except Exception as exc:  # keep the tab usable
        log.warning("tasks: %s", exc)
        return [pd.DataFrame(), gr.update(choices=[]), gr.update(visible=False),
                f"⚠️ {html.escape(str(exc)[:200])}"]  # fmt: skip
    choices = [
        (
            f"{r['due_at']:%m-%d %H:%M} · {_kind(r['kind'], lang)} · {r['ticket_id']} · "
            f"{t(lang, 'task_status_' + r['status'])}",
            r["task_id"],
        )
        for r in tasks[:SHOWN]
    ]
    note = "" if tasks else t(lang, "tasks_none")
    return [
        tasks_table(ctx, tasks, lang),
        gr.update(choices=choices, value=None),
        gr.update(visible=get_role(role).manages()),
        note,
    ]


def run_task_change(
    ctx: UIContext,
    role: str | None,
    user: str,
    task_id: str | None,
    lang: str,
    *,
    status: str | None = None,
    owner: str | None = None,
) -> str:
    if not task_id:
        return t(lang, "task_pick")
    try:
        row = change_task(ctx.api, role, user, task_id, status=status, owner=owner)
    except AccessDenied as exc:
        return f"⚠️ {exc.text(lang)}"
    except ServicePilotError as exc:
        return f"⚠️ {exc.text(lang) if hasattr(exc, 'text') else exc}"
    return "✅ " + t(
        lang,
        "task_updated",
        task=row["ticket_id"] or task_id,
        status=t(lang, f"task_status_{row['status']}"),
        owner=row["owner"],
    )


def build_tasks_tab(ctx: UIContext, tr: Translator, lang_radio: gr.Radio, tab: gr.Tab) -> None:
    include_done = tr.add(
        gr.Checkbox(False, label=tr.text("tasks_show_done"), elem_id="sp-tasks-done"),
        "tasks_show_done",
    )
    table = gr.Dataframe(interactive=False, elem_id="sp-tasks")
    with gr.Row():
        pick = tr.add(
            gr.Dropdown([], value=None, label=tr.text("task_pick"), scale=4,
                        elem_id="sp-task-pick"),
            "task_pick",
        )  # fmt: skip
        done = tr.add(
            gr.Button(tr.text("task_done"), scale=1, elem_id="sp-task-done"), "task_done", "value"
        )
        reopen = tr.add(
            gr.Button(tr.text("task_reopen"), scale=1, elem_id="sp-task-reopen"),
            "task_reopen",
            "value",
        )
    with gr.Row(visible=False) as reassign_row:
        owner = tr.add(
            gr.Textbox(label=tr.text("task_owner"), scale=4, elem_id="sp-task-owner"),
            "task_owner",
        )
        reassign = tr.add(
            gr.Button(tr.text("task_reassign"), scale=1, elem_id="sp-task-reassign"),
            "task_reassign",
            "value",
        )
    message = gr.Markdown(elem_id="sp-task-result")
    outputs = [table, pick, reassign_row, message]

    def show(with_done: bool, lang_value: str, request: gr.Request) -> list[Any]:
        _, role = ctx.identity(request)
        return render_tasks(ctx, role, with_done, lang_value)

    def changer(**change: str | None):  # noqa: ANN202 - a Gradio handler
        def handler(task_id, owner_text, with_done, lang_value, request: gr.Request):
            user, role = ctx.identity(request)
            if "owner" in change:
                change["owner"] = owner_text
            done_text = run_task_change(ctx, role, user, task_id, lang_value, **change)
            return [*render_tasks(ctx, role, with_done, lang_value)[:3], done_text]

        return handler

    inputs = [include_done, lang_radio]
    listen = {"api_visibility": "undocumented", "show_progress_on": progress_targets(outputs)}
    tab.select(show, inputs, outputs, **listen)
    include_done.change(show, inputs, outputs, **listen)
    lang_radio.change(show, inputs, outputs, **listen)
    act_inputs = [pick, owner, include_done, lang_radio]
    done.click(changer(status="done"), act_inputs, outputs, **listen)
    reopen.click(changer(status="open"), act_inputs, outputs, **listen)
    reassign.click(changer(owner=None), act_inputs, outputs, **listen)
