"""Operational actions of the cockpit and its tools, role-aware and audited: acknowledge or
assign an alert (the notifier's episode store, so escalation stops), list follow-up tasks and
change their status or owner.

Who may act: a role sees the alerts and tasks of its own rows only (``current_alerts`` and
``scope_visible``); acknowledging, assigning and reassigning need ``Role.manages()``
(managers and executives, not agents or analysts); anyone who sees a task may mark it done.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from assistant.errors import AccessDenied, AssistantError
from assistant.roles import Role, get_role, scope_visible
from tools.audit import OpsStore
from tools.notify.actions import acknowledge_alert, alert_episode_key, assign_alert
from tools.notify.store import NotifyStore
from tools.rules.engine import list_tasks
from tools.rules.task_actions import TaskError, get_task, update_task

if TYPE_CHECKING:
    from assistant.api import ServicePilotAPI


class NotFound(AssistantError, LookupError):
    """The alert or task is not among those the caller may see."""

    exit_code = 2

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh

    def text(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


def _ops(api: ServicePilotAPI) -> OpsStore:
    audit = api.app.audit
    if audit is None:
        raise AssistantError(
            "This application has no operations store (audit is off); alert and task actions "
            "need one: start it with `servicepilot serve`."
        )
    return audit.store


def _require_manager(role: Role, what_en: str, what_zh: str) -> None:
    if not role.manages():
        raise AccessDenied(
            f"The role '{role.label.en}' may not {what_en}.",
            f"角色“{role.label.zh}”不能{what_zh}。",
        )


def _audit(api: ServicePilotAPI, operation: str, args: dict, user: str | None, role: str | None):
    api.record_operation(
        operation, args, user=user, role=role, started=time.perf_counter(), summary="ok"
    )


# -- alerts ---------------------------------------------------------------------------------


def alerts_with_state(api: ServicePilotAPI, role: str | None) -> list[dict[str, Any]]:
    """The role's current alerts, each with ``episode`` (key), ``state`` and ``assignee``
    from the episode store (``open`` and the rule's owner before anyone acted)."""
    alerts = api.current_alerts(role) or []
    store = NotifyStore(_ops(api)) if api.app.audit is not None else None
    out = []
    for alert in alerts:
        key = alert_episode_key(alert)
        row = store.state(key) if store is not None else None
        out.append(
            {
                **alert,
                "episode": key,
                "state": row["state"] if row else "open",
                "assignee": (row["owner"] if row else None) or alert.get("owner"),
                "acknowledged_by": row["acknowledged_by"] if row else None,
            }
        )
    return out


def act_on_alert(
    api: ServicePilotAPI,
    role: str | None,
    user: str | None,
    episode: str,
    action: Literal["acknowledge", "assign"],
    owner: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Acknowledge or assign the role's alert ``episode``; returns the episode row."""
    role_obj = get_role(role)
    _require_manager(role_obj, "acknowledge or assign alerts", "确认或指派预警")
    match = [a for a in api.current_alerts(role) or [] if alert_episode_key(a) == episode]
    if not match:
        raise NotFound(
            f"No current alert '{episode}' in your view; refresh the cockpit.",
            f"你可见的当前预警中没有“{episode}”，请刷新驾驶舱。",
        )
    store = NotifyStore(_ops(api))
    actor = user or role or "unknown"
    when = now or datetime.now()
    if action == "acknowledge":
        row = acknowledge_alert(store, match[0], actor, when)
    else:
        row = assign_alert(store, match[0], owner or "", actor, when)
    _audit(api, f"alert_{action}", {"episode": episode, "owner": owner}, user, role)
    return row


# -- follow-up tasks ------------------------------------------------------------------------


def role_tasks(
    api: ServicePilotAPI, role: str | None, *, include_done: bool = False
) -> list[dict[str, Any]]:
    """Follow-up tasks of the role's rows (its regions), by due time."""
    role_obj = get_role(role)
    rows = list_tasks(_ops(api), status=None if include_done else "open")
    return [r for r in rows if scope_visible(role_obj, {"region": r["region"]})]


def change_task(
    api: ServicePilotAPI,
    role: str | None,
    user: str | None,
    task_id: str,
    *,
    status: str | None = None,
    owner: str | None = None,
) -> dict[str, Any]:
    """Mark a task done (or open again) and/or give it a new owner (managers only)."""
    role_obj = get_role(role)
    store = _ops(api)
    try:
        task = get_task(store, task_id)
    except TaskError:  # an unknown id reads as "not among yours", like another region's
        task = None
    if task is None or not scope_visible(role_obj, {"region": task["region"]}):
        raise NotFound(
            f"No task '{task_id}' among the tasks you may see.",
            f"你可见的任务中没有“{task_id}”。",
        )
    if owner is not None:
        _require_manager(role_obj, "reassign tasks", "改派任务")
    row = update_task(store, task_id, status=status, owner=owner)
    _audit(api, "task_update", {"task": task_id, "status": status, "owner": owner}, user, role)
    return row
