"""Changes to a follow-up task from the UI or the API: its status (open -> done, or reopened)
and its owner. Who may change which task is decided by the caller (the role's scope); the
caller also audits the change."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tools.audit import OpsStore, ops_metadata
from tools.errors import ServicePilotError
from tools.rules.engine import TASKS

TASK_STATUSES = ("open", "done")


class TaskError(ServicePilotError):
    """Unknown task, status or an empty owner."""

    exit_code = 2


def get_task(store: OpsStore, task_id: str) -> dict[str, Any]:
    store.run(lambda: ops_metadata.create_all(store.engine, checkfirst=True))

    def read() -> list[dict[str, Any]]:
        with store.engine.connect() as conn:
            query = sa.select(TASKS).where(TASKS.c.task_id == task_id)
            return [dict(r._mapping) for r in conn.execute(query)]

    with store.lock:
        rows = store.run(read)
    if not rows:
        raise TaskError(f"No task '{task_id}'. List the tasks with `servicepilot tasks list`.")
    return rows[0]


def update_task(
    store: OpsStore, task_id: str, *, status: str | None = None, owner: str | None = None
) -> dict[str, Any]:
    """Set the task's status and/or owner; returns the task as stored afterwards."""
    values: dict[str, Any] = {}
    if status is not None:
        if status not in TASK_STATUSES:
            raise TaskError(f"Unknown task status '{status}'. Valid: {', '.join(TASK_STATUSES)}.")
        values["status"] = status
    if owner is not None:
        if not owner.strip():
            raise TaskError("Name the task's new owner (e.g. agent:A0012 or team:east_a).")
        values["owner"] = owner.strip()
    get_task(store, task_id)  # unknown id -> TaskError
    if values:

        def write() -> None:
            with store.engine.begin() as conn:
                conn.execute(TASKS.update().where(TASKS.c.task_id == task_id).values(**values))

        with store.lock:
            store.run(write)
    return get_task(store, task_id)
