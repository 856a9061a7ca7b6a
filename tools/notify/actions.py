"""Acknowledge or assign an alert from the cockpit, in the same episode store the notifier and
``servicepilot alerts ack`` use (``sp_alert_state``, audited in ``sp_alert_event``).

An alert the cockpit shows may not have an episode row yet (``alerts notify`` has not run since
it appeared): the first action records it, as opened from the cockpit, so an acknowledgement
made before the first notification still stops every announcement and escalation of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tools.errors import ServicePilotError
from tools.notify.routing import acknowledge, episode_key_for, scope_json
from tools.notify.store import NotifyStore


class AlertActionError(ServicePilotError):
    """An acknowledge/assign that cannot be done (resolved episode, empty owner)."""

    exit_code = 2


def alert_episode_key(alert: Mapping[str, Any]) -> str:
    """The episode key of a cockpit alert dict (``Alert.to_dict``)."""
    return episode_key_for(alert["rule"], alert.get("scope") or {}, str(alert["period_start"]))


def ensure_episode(store: NotifyStore, alert: Mapping[str, Any], now: datetime) -> dict:
    """The alert's episode row, recorded first when no notifier run has seen it."""
    key = alert_episode_key(alert)
    state = store.state(key)
    if state is not None:
        return state
    row = {
        "episode_key": key,
        "rule": alert["rule"],
        "scope_json": scope_json(alert.get("scope") or {}),
        "metric": alert.get("metric"),
        "severity": alert.get("severity"),
        "period_start": datetime.fromisoformat(str(alert["period_start"])).date(),
        "headline": alert.get("text_en") or alert.get("headline") or alert["rule"],
        "state": "open",
        "owner": alert.get("owner"),
        "level": 0,
        "opened_at": now,
        "notified_at": None,
    }
    store.open_episode(row, now, "opened from the cockpit")
    return store.state(key) or row


def acknowledge_alert(
    store: NotifyStore, alert: Mapping[str, Any], actor: str, now: datetime
) -> dict:
    """Acknowledge the alert's episode (stops its escalation); returns the row."""
    key = ensure_episode(store, alert, now)["episode_key"]
    return acknowledge(store, key, actor, now)


def assign_alert(
    store: NotifyStore, alert: Mapping[str, Any], owner: str, actor: str, now: datetime
) -> dict:
    """Make ``owner`` (a person, team or role name) responsible for the alert's episode."""
    owner = owner.strip()
    if not owner:
        raise AlertActionError(
            "Name an owner to assign the alert to (a person, a team such as team:east_a, or "
            "a role)."
        )
    state = ensure_episode(store, alert, now)
    if state["state"] == "resolved":
        raise AlertActionError(
            f"Alert episode {state['episode_key']} is resolved; it cannot be assigned."
        )
    store.update(state["episode_key"], "assigned", now, actor=actor, owner=owner)
    return store.state(state["episode_key"]) or state


def episode_states(store: NotifyStore, alerts: list[Mapping[str, Any]]) -> list[dict | None]:
    """The stored state row of each alert (None: not seen by the notifier or the cockpit)."""
    return [store.state(alert_episode_key(a)) for a in alerts]
