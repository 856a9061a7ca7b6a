"""Alert episodes to their owners: announce once per episode (dedup), stay quiet for a new
episode of the same rule and scope inside the cool-down, escalate to the next owner when an
episode stays unacknowledged past the owner's ``escalate_after``, and send a follow-up when it
ends. States open -> acknowledged -> resolved live in ``sp_alert_state`` (tools.notify.store).

The wording comes from the caller (``msg(language, key, **values)``, the assistant's message
catalog): tools never import the assistant.
"""

from __future__ import annotations

import hashlib
import html
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tools.errors import ServicePilotError
from tools.monitoring.alerts import Alert
from tools.notify.channels import Channel, Message, deliver
from tools.notify.config import NotifyConfig, OwnerSpec
from tools.notify.store import NotifyStore

Wording = Callable[..., str]  # (language, key, **values) -> text
CHART_CID = "alert-chart"


class UnknownEpisode(ServicePilotError):
    """No alert episode has this key."""


def scope_json(scope: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(scope.items())), ensure_ascii=False)


def episode_key(alert: Alert) -> str:
    """Stable id of an episode: its rule, scope and first period (not its changing numbers)."""
    return episode_key_for(alert.rule, alert.scope, alert.period_start.isoformat())


def episode_key_for(rule: str, scope: Mapping[str, str], period_start: str) -> str:
    """``episode_key`` of an alert known by its JSON (the cockpit's alert dicts)."""
    raw = f"{rule}|{scope_json(scope)}|{period_start}"
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


@dataclass
class RunReport:
    opened: list[str] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)  # new episode inside the cool-down
    escalated: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    unrouted: list[str] = field(default_factory=list)  # rule owner not in the config
    sent: int = 0
    failed: int = 0


class AlertNotifier:
    def __init__(
        self,
        config: NotifyConfig,
        channels: Mapping[str, Channel],
        store: NotifyStore,
        wording: Wording,
        *,
        sleep: Callable[[float], None] = time.sleep,
        series: Callable[[Alert], dict[str, Any] | None] | None = None,
    ) -> None:
        """``series``: an alert's metric series with its band (``tools.monitoring.series.
        alert_series`` over the warehouse); given, e-mails carry its chart as an image."""
        self.config = config
        self.channels = channels
        self.store = store
        self.wording = wording
        self.sleep = sleep
        self.series = series

    def run(self, alerts: Iterable[Alert], now: datetime) -> RunReport:
        """One pass over the current alerts (``detect_alerts`` output) at time ``now``."""
        report = RunReport()
        ongoing: set[str] = set()
        for alert in alerts:
            key = episode_key(alert)
            if alert.ongoing:
                ongoing.add(key)
            state = self.store.state(key)
            if state is None and alert.ongoing:
                self._open(alert, key, now, report)
            elif state is not None and state["state"] == "open" and alert.ongoing:
                self._maybe_escalate(alert, key, state, now, report)
        for state in self.store.states("open", "acknowledged"):
            if state["episode_key"] not in ongoing:
                self._resolve(state, now, report)
        return report

    def _open(self, alert: Alert, key: str, now: datetime, report: RunReport) -> None:
        owner = self.config.owner(alert.owner, alert.scope)
        last = self.store.last_opened(alert.rule, scope_json(alert.scope))
        quiet = last is not None and now - last < self.config.delivery.cooldown
        row = {
            "episode_key": key,
            "rule": alert.rule,
            "scope_json": scope_json(alert.scope),
            "metric": alert.metric,
            "severity": alert.severity,
            "period_start": alert.period_start,
            "headline": alert.headline(),
            "state": "open",
            "owner": owner.name if owner else alert.owner,
            "level": 0,
            "opened_at": now,
            "notified_at": None if quiet or owner is None else now,
        }
        detail = "cool-down" if quiet else ("no owner configured" if owner is None else "")
        self.store.open_episode(row, now, detail)
        if owner is None:
            report.unrouted.append(key)
        elif quiet:
            report.suppressed.append(key)
        else:
            report.opened.append(key)
            self._send(
                owner, "opened", key, self._message(alert, key, owner, "opened"), now, report
            )

    def _maybe_escalate(
        self, alert: Alert, key: str, state: dict, now: datetime, report: RunReport
    ) -> None:
        owner = self.config.owner(state["owner"], alert.scope)
        since = state["notified_at"]
        if since is None:  # held back by the cool-down: never announced, so never escalated
            return
        if owner is None or owner.escalate_to is None or owner.escalate_after is None:
            return
        if now - since < owner.escalate_after:
            return
        nxt = self.config.owner(owner.escalate_to, alert.scope)
        if nxt is None:
            return
        self.store.update(
            key, "escalated", now, owner=nxt.name, level=state["level"] + 1, notified_at=now
        )
        report.escalated.append(key)
        message = self._message(alert, key, nxt, "escalated", previous=owner.name)
        self._send(nxt, "escalated", key, message, now, report)

    def _resolve(self, state: dict, now: datetime, report: RunReport) -> None:
        key = state["episode_key"]
        self.store.update(key, "resolved", now, state="resolved", resolved_at=now)
        report.resolved.append(key)
        scope = json.loads(state["scope_json"])
        owner = self.config.owner(state["owner"], scope)
        if owner is None or state["notified_at"] is None:
            return  # nobody was told it began: no follow-up
        lang = owner.language
        text = self.wording(
            lang,
            "notify_alert_ended",
            headline=state["headline"],
            episode=key,
        )
        subject = self.wording(lang, "notify_alert_ended_subject", rule=state["rule"])
        message = Message(
            subject=subject,
            text=text,
            html=f"<p>{html.escape(text)}</p>",
            data={"event": "resolved", "episode": key, "rule": state["rule"], "scope": scope},
            to=owner.email,
        )
        self._send(owner, "resolved", key, message, now, report)

    def _message(
        self, alert: Alert, key: str, owner: OwnerSpec, event: str, previous: str = ""
    ) -> Message:
        lang = owner.language
        scope = ", ".join(f"{k}={v}" for k, v in alert.scope.items()) or "-"
        metric = alert.metric_label_zh if lang == "zh" else alert.metric_label_en
        values = {
            "severity": self.wording(lang, f"notify_severity_{alert.severity}"),
            "metric": metric,
            "scope": scope,
            "start": alert.peak_start.isoformat(),
            "end": alert.peak_end.isoformat(),
            "observed": _num(alert.observed, alert.unit),
            "expected": _num(alert.expected, alert.unit),
            "low": _num(alert.interval_low, alert.unit),
            "high": _num(alert.interval_high, alert.unit),
            "owner": owner.name,
            "previous": previous,
            "episode": key,
        }
        subject = self.wording(lang, f"notify_alert_{event}_subject", **values)
        body = self.wording(lang, "notify_alert_body", **values)
        if event == "escalated":
            body = self.wording(lang, "notify_alert_escalated_note", **values) + "\n\n" + body
        rows = "".join(
            f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in (
                ("metric", metric),
                ("scope", scope),
                ("period", f"{values['start']} – {values['end']}"),
                ("observed", values["observed"]),
                ("expected", f"{values['expected']} [{values['low']}, {values['high']}]"),
            )
        )
        png = self._chart(alert, lang)
        image = (
            f"<p><img src='cid:{CHART_CID}' alt='{html.escape(metric)}' "
            "style='max-width:100%;height:auto' width='640'></p>"
            if png
            else ""
        )
        page = (
            f"<html><body><h3>{html.escape(subject)}</h3>"
            f"<p>{html.escape(body).replace(chr(10), '<br>')}</p>{image}"
            f"<table>{rows}</table></body></html>"
        )
        data = {"event": event, "episode": key, "owner": owner.name, **alert.to_dict()}
        images = ((CHART_CID, png),) if png else ()
        return Message(
            subject=subject, text=body, html=page, data=data, to=owner.email, images=images
        )

    def _chart(self, alert: Alert, lang: str) -> bytes | None:
        """The PNG of the alert's series with the expected band (None without a series)."""
        if self.series is None:
            return None
        series = self.series(alert)
        if not series or not any(p[1] is not None for p in series["points"]):
            return None
        from tools.chart_image import render_png
        from tools.monitoring.series import series_chart

        metric = alert.metric_label_zh if lang == "zh" else alert.metric_label_en
        chart = series_chart(
            series,
            title=self.wording(lang, "chart_alert_title", metric=metric),
            actual=self.wording(lang, "chart_actual"),
            band=self.wording(lang, "chart_expected_band"),
            anomaly=self.wording(lang, "chart_anomaly"),
        )
        return render_png(chart)

    def _send(
        self,
        owner: OwnerSpec,
        event: str,
        key: str,
        message: Message,
        now: datetime,
        report: RunReport,
    ) -> None:
        policy = self.config.delivery
        for name in owner.channels:
            channel = self.channels.get(name)
            if channel is None:
                outcome_status, attempts, error = "failed", 0, f"channel '{name}' not available"
            else:
                outcome = deliver(
                    channel,
                    message,
                    retries=policy.retries,
                    backoff_s=policy.backoff_s,
                    sleep=self.sleep,
                )
                outcome_status, attempts, error = outcome.status, outcome.attempts, outcome.error
            if outcome_status == "sent":
                report.sent += 1
            else:
                report.failed += 1
            self.store.record_delivery(
                now,
                topic=key,
                event=event,
                owner=owner.name,
                channel=name,
                recipients=", ".join(message.to),
                subject=message.subject,
                body=message.text,
                status=outcome_status,
                attempts=attempts,
                error=error,
            )


def _num(value: float, unit: str) -> str:
    if unit == "%":  # rates are stored in percentage points
        return f"{value:.1f}%"
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def acknowledge(store: NotifyStore, key: str, actor: str, now: datetime) -> dict:
    """Mark an open episode acknowledged by ``actor`` (stops escalation); returns the row."""
    state = store.state(key)
    if state is None:
        known = [s["episode_key"] for s in store.states("open")]
        raise UnknownEpisode(
            f"No alert episode '{key}'. Open episodes: {', '.join(known) or 'none'} "
            "(servicepilot alerts states)."
        )
    if state["state"] != "open":
        return state
    store.update(
        key,
        "acknowledged",
        now,
        actor=actor,
        state="acknowledged",
        acknowledged_at=now,
        acknowledged_by=actor,
    )
    return store.state(key) or state
