"""The cockpit's "handle alerts" section: each alert the role sees with its state, owner and
who acknowledged it, and (for roles that manage: managers, executives) acknowledge / assign
to an owner — stored in the notifier's episode store and audited (assistant.operations)."""

from __future__ import annotations

import html
import logging
from typing import Any

import gradio as gr
import pandas as pd

from assistant import trace
from assistant.errors import AccessDenied
from assistant.operations import act_on_alert, alerts_with_state
from assistant.roles import get_role
from assistant.ui.context import UIContext
from assistant.ui.i18n import STRINGS, Translator, t
from assistant.ui.progress import progress_targets
from tools.errors import ServicePilotError

log = logging.getLogger(__name__)


def _title(alert: dict[str, Any], lang: str) -> str:
    return str(alert.get(f"title_{lang}") or alert.get("metric") or alert.get("rule"))


def _severity(severity: Any, lang: str) -> str:
    """ "【红色预警】" / "[Critical alert] " in the reader's language; a code we have no words
    for stays as it is."""
    key = f"notify_severity_{severity}"
    word = t(lang, key) if key in STRINGS else str(severity or "")
    if not word:
        return ""
    return f"【{word}】" if lang == "zh" else f"[{word}] "


def alert_table(alerts: list[dict[str, Any]], lang: str) -> pd.DataFrame:
    rows = [
        (
            _severity(a.get("severity"), lang) + _title(a, lang),
            t(lang, f"alert_state_{a['state']}"),
            a.get("assignee") or "–",
            a.get("acknowledged_by") or "–",
        )
        for a in alerts
    ]
    columns = [t(lang, k) for k in ("col_alert", "col_state", "col_owner", "col_ack_by")]
    return pd.DataFrame(rows, columns=columns)


def render_alert_actions(
    ctx: UIContext, role: str | None, lang: str, keep: str | None = None
) -> list[Any]:
    """[table, picker update, actions row visibility, message]; the picker keeps the alert
    ``keep`` while it is listed (acknowledged, then assigned, without picking it again)."""
    try:
        alerts = alerts_with_state(ctx.api, role)
    except AccessDenied as exc:
        return [pd.DataFrame(), gr.update(choices=[], value=None), gr.update(visible=False),
                f"⚠️ {exc.text(lang)}"]  # fmt: skip
    except Exception as exc:
        log.warning("alert actions: %s", exc)
        return [pd.DataFrame(), gr.update(choices=[], value=None), gr.update(visible=False),
                f"⚠️ {html.escape(str(exc)[:200])}"]  # fmt: skip
    choices = [
        (f"{i + 1}. {_title(a, lang)} · {t(lang, 'alert_state_' + a['state'])}", a["episode"])
        for i, a in enumerate(alerts[:20])
    ]
    manages = get_role(role).manages()
    picked = keep if keep in {episode for _, episode in choices} else None
    return [
        alert_table(alerts[:20], lang),
        gr.update(choices=choices, value=picked),
        gr.update(visible=manages),
        "",
    ]


def run_alert_action(
    ctx: UIContext,
    role: str | None,
    user: str,
    episode: str | None,
    action: str,
    owner: str,
    lang: str,
) -> str:
    """Do the action; the outcome (or why not) as one line in the viewer's language."""
    if not episode:
        return t(lang, "alert_pick_first")
    try:
        row = act_on_alert(ctx.api, role, user, episode, action, owner=owner)  # type: ignore[arg-type]
    except AccessDenied as exc:
        return f"⚠️ {exc.text(lang)}"
    except ServicePilotError as exc:
        text = exc.text(lang) if hasattr(exc, "text") else str(exc)
        return f"⚠️ {text}"
    title = row.get("metric") or episode
    for alert in alerts_with_state(ctx.api, role):
        if alert["episode"] == episode:
            title = _title(alert, lang)
    return "✅ " + t(lang, f"alert_done_{action}", title=title, owner=row.get("owner") or "")


def build_alert_actions(ctx: UIContext, tr: Translator, lang_radio: gr.Radio, tab: gr.Tab) -> None:
    with gr.Accordion(tr.text("alert_actions"), open=True, elem_id="sp-alert-actions") as box:
        tr.add(box, "alert_actions")
        table = gr.Dataframe(interactive=False, elem_id="sp-alert-states")
        with gr.Row(visible=False) as actions:
            pick = tr.add(
                gr.Dropdown([], value=None, label=tr.text("alert_target"), scale=3,
                            elem_id="sp-alert-act-pick"),
                "alert_target",
            )  # fmt: skip
            owner = tr.add(
                gr.Textbox(label=tr.text("alert_owner"), scale=2, elem_id="sp-alert-owner"),
                "alert_owner",
            )
            ack = tr.add(
                gr.Button(tr.text("alert_ack"), scale=1, elem_id="sp-alert-ack"),
                "alert_ack",
                "value",
            )
            assign = tr.add(
                gr.Button(tr.text("alert_assign"), scale=1, elem_id="sp-alert-assign"),
                "alert_assign",
                "value",
            )
        message = gr.Markdown(elem_id="sp-alert-act-result")
    outputs = [table, pick, actions, message]

    def show(lang_value: str, episode: str | None, request: gr.Request) -> list[Any]:
        _, role = ctx.identity(request)
        with trace.span("handler.alert_actions"):
            return render_alert_actions(ctx, role, lang_value, keep=episode)

    def act(action: str):  # noqa: ANN202 - a Gradio handler
        def handler(episode, owner_text, lang_value, request: gr.Request) -> list[Any]:
            user, role = ctx.identity(request)
            done = run_alert_action(ctx, role, user, episode, action, owner_text, lang_value)
            return [*render_alert_actions(ctx, role, lang_value, keep=episode)[:3], done]

        return handler

    listen = {"api_visibility": "undocumented", "show_progress_on": progress_targets(outputs)}
    tab.select(show, [lang_radio, pick], outputs, **listen)
    lang_radio.change(show, [lang_radio, pick], outputs, **listen)
    inputs = [pick, owner, lang_radio]
    ack.click(act("acknowledge"), inputs, outputs, **listen)
    assign.click(act("assign"), inputs, outputs, **listen)
