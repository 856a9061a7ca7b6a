"""Routing rules on real detected alerts, delivered through an extension channel (an object
with ``name`` and ``send``, as a plugin returns): cool-down, unknown owners, failed delivery."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import pytest

from assistant.messages import msg
from semantic_layer.catalog_loader import default_catalog
from tools.audit import OpsStore
from tools.monitoring.alerts import Alert, detect_alerts
from tools.monitoring.rules import parse_rules
from tools.notify.channels import Message
from tools.notify.config import parse_notify_config
from tools.notify.routing import AlertNotifier, episode_key
from tools.notify.store import NotifyStore
from tools.warehouse.engine import make_engine

RULES = """\
rules:
  - {name: sla_breach_channel, metric: sla_breach_rate, dimensions: [channel], grain: week,
     windows: [1, 3], direction: up, min_volume: 30, owner: service-operations}
"""
CONFIG = """\
channels: [{name: recorder, kind: webhook, url: "http://127.0.0.1:9/unused"}]
owners:
  - {name: service-operations, channels: [recorder], language: en, escalate_after: 1h,
     escalate_to: director}
  - {name: director, channels: [recorder], language: en}
delivery: {retries: 1, backoff_s: 0, cooldown: 6h}
"""


@dataclass
class Recorder:
    name: str = "recorder"
    fail: bool = False
    sent: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> None:
        if self.fail:
            raise RuntimeError("robot offline")
        self.sent.append(message)


@pytest.fixture(scope="module")
def alert(demo_warehouse_url: str) -> Alert:
    engine = make_engine(demo_warehouse_url, read_only=True)
    try:
        alerts = detect_alerts(
            engine,
            date(2026, 10, 4),
            date(2026, 11, 1),
            catalog=default_catalog(),
            rules=parse_rules(RULES, "rules.yml", default_catalog()),
            explain=False,
        )
    finally:
        engine.dispose()
    [found] = alerts
    assert found.scope == {"channel": "email"} and found.ongoing
    return found


def _notifier(tmp_path, channel: Recorder, config: str = CONFIG) -> AlertNotifier:
    store = NotifyStore(OpsStore(f"duckdb:///{tmp_path / 'ops.duckdb'}"))
    return AlertNotifier(parse_notify_config(config), {channel.name: channel}, store, msg)


def test_a_new_episode_inside_the_cool_down_is_not_announced(tmp_path, alert: Alert) -> None:
    channel = Recorder()
    notifier = _notifier(tmp_path, channel)
    t0 = datetime(2026, 11, 1, 9)
    assert notifier.run([alert], t0).opened == [episode_key(alert)]
    ended = notifier.run([replace(alert, ongoing=False)], t0 + timedelta(hours=1))
    assert ended.resolved == [episode_key(alert)]
    assert [m.subject for m in channel.sent] == [
        "[Critical alert] SLA breach rate anomaly (channel=email)",
        "[Resolved] alert sla_breach_channel ended",
    ]
    # The same rule and scope flares up again 2 h after the first announcement: quiet.
    again = replace(alert, period_start=alert.period_start + timedelta(weeks=1))
    report = notifier.run([again], t0 + timedelta(hours=2))
    assert report.suppressed == [episode_key(again)] and report.sent == 0
    # ... and, never announced, it is not escalated either (nobody was asked to act).
    assert notifier.run([again], t0 + timedelta(hours=5)).sent == 0
    # After the cool-down a new episode is announced.
    later = replace(alert, period_start=alert.period_start + timedelta(weeks=2))
    assert notifier.run([later], t0 + timedelta(hours=9)).opened == [episode_key(later)]
    assert len(channel.sent) == 3


def test_an_owner_missing_from_the_config_is_reported_not_sent(tmp_path, alert: Alert) -> None:
    channel = Recorder()
    notifier = _notifier(tmp_path, channel)
    orphan = replace(alert, owner="nobody")
    report = notifier.run([orphan], datetime(2026, 11, 1, 9))
    assert report.unrouted == [episode_key(orphan)] and channel.sent == []
    assert notifier.store.state(episode_key(orphan))["state"] == "open"


def test_a_failed_delivery_is_recorded_with_its_error(tmp_path, alert: Alert) -> None:
    notifier = _notifier(tmp_path, Recorder(fail=True))
    report = notifier.run([alert], datetime(2026, 11, 1, 9))
    assert (report.sent, report.failed) == (0, 1)
    [row] = notifier.store.deliveries(episode_key(alert))
    assert (row["status"], row["attempts"], row["error"]) == (
        "failed",
        2,
        "RuntimeError: robot offline",
    )
