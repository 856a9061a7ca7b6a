"""Notification tables in the operations store (``tools.audit.OpsStore``).

``sp_delivery``: every message sent or attempted — what (subject, masked body), to whom
(owner, channel), when, status (sent | failed | suppressed), attempts and the last error.
``sp_alert_state``: one row per alert episode, open -> acknowledged -> resolved, with the
owner level reached by escalation. ``sp_alert_event``: every state change and who made it
(the audit trail the cockpit's acknowledge/assign shares).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tools.audit import OpsStore, ops_metadata, redact

DELIVERY = sa.Table(
    "sp_delivery",
    ops_metadata,
    sa.Column("delivery_id", sa.String(32), primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("topic", sa.String(64)),  # e.g. the alert episode key
    sa.Column("event", sa.String(16)),  # opened | escalated | resolved | test
    sa.Column("owner", sa.String(100)),
    sa.Column("channel", sa.String(100), nullable=False),
    sa.Column("recipients", sa.Text),
    sa.Column("subject", sa.Text),
    sa.Column("body", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error", sa.Text),
)

ALERT_STATE = sa.Table(
    "sp_alert_state",
    ops_metadata,
    sa.Column("episode_key", sa.String(32), primary_key=True),
    sa.Column("rule", sa.String(100), nullable=False),
    sa.Column("scope_json", sa.Text, nullable=False),
    sa.Column("metric", sa.String(100)),
    sa.Column("severity", sa.String(16)),
    sa.Column("period_start", sa.Date),
    sa.Column("headline", sa.Text),
    sa.Column("state", sa.String(16), nullable=False),  # open | acknowledged | resolved
    sa.Column("owner", sa.String(100)),  # the owner currently responsible
    sa.Column("level", sa.Integer, nullable=False),  # 0 first owner, +1 per escalation
    sa.Column("opened_at", sa.DateTime, nullable=False),
    sa.Column("notified_at", sa.DateTime),  # last announcement to the current owner
    sa.Column("acknowledged_at", sa.DateTime),
    sa.Column("acknowledged_by", sa.String(100)),
    sa.Column("resolved_at", sa.DateTime),
)

ALERT_EVENT = sa.Table(
    "sp_alert_event",
    ops_metadata,
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("episode_key", sa.String(32), nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(100)),
    sa.Column("detail", sa.Text),
)


class NotifyStore:
    """Reads and writes of the notification tables (each write one short transaction)."""

    def __init__(self, store: OpsStore) -> None:
        self.store = store
        store.run(lambda: ops_metadata.create_all(store.engine, checkfirst=True))

    def _write(self, *statements: Any) -> None:
        def write() -> None:
            with self.store.engine.begin() as conn:
                for statement in statements:
                    conn.execute(statement)

        with self.store.lock:
            self.store.run(write)

    def _read(self, query: Any) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            with self.store.engine.connect() as conn:
                return [dict(row._mapping) for row in conn.execute(query)]

        with self.store.lock:
            return self.store.run(read)

    def record_delivery(self, at: datetime, **values: Any) -> None:
        values["body"] = redact(values.get("body"))
        values["subject"] = redact(values.get("subject"))
        self._write(DELIVERY.insert().values(delivery_id=uuid.uuid4().hex, at=at, **values))

    def deliveries(self, topic: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(DELIVERY).order_by(DELIVERY.c.at, DELIVERY.c.channel)
        if topic is not None:
            query = query.where(DELIVERY.c.topic == topic)
        return self._read(query)

    def state(self, key: str) -> dict[str, Any] | None:
        rows = self._read(sa.select(ALERT_STATE).where(ALERT_STATE.c.episode_key == key))
        return rows[0] if rows else None

    def states(self, *states: str) -> list[dict[str, Any]]:
        query = sa.select(ALERT_STATE).order_by(ALERT_STATE.c.opened_at)
        if states:
            query = query.where(ALERT_STATE.c.state.in_(states))
        return self._read(query)

    def last_opened(self, rule: str, scope_json: str) -> datetime | None:
        """When an episode of this rule and scope was last opened (for the cool-down)."""
        query = sa.select(sa.func.max(ALERT_STATE.c.opened_at)).where(
            ALERT_STATE.c.rule == rule, ALERT_STATE.c.scope_json == scope_json
        )
        rows = self._read(query)
        return next(iter(rows[0].values())) if rows else None

    def open_episode(self, row: dict[str, Any], at: datetime, detail: str) -> None:
        self._write(
            ALERT_STATE.insert().values(**row),
            ALERT_EVENT.insert().values(
                at=at, episode_key=row["episode_key"], event="opened", detail=detail
            ),
        )

    def update(
        self, key: str, event: str, at: datetime, actor: str | None = None, **values: Any
    ) -> None:
        """Change an episode's state row and record the event (one transaction)."""
        self._write(
            ALERT_STATE.update().where(ALERT_STATE.c.episode_key == key).values(**values),
            ALERT_EVENT.insert().values(
                at=at,
                episode_key=key,
                event=event,
                actor=actor,
                detail=json.dumps(values, default=str, ensure_ascii=False),
            ),
        )

    def events(self, key: str) -> list[dict[str, Any]]:
        query = (
            sa.select(ALERT_EVENT)
            .where(ALERT_EVENT.c.episode_key == key)
            .order_by(ALERT_EVENT.c.at)
        )
        return self._read(query)
