"""Alerts on the demo warehouse: every planted anomaly found, festivals stay quiet."""

from __future__ import annotations

from datetime import date, timedelta

from tests.monitoring.conftest import DEMO_END
from tools.demo_data.calendar import SPRING_FESTIVAL
from tools.demo_data.facts import planted_facts
from tools.monitoring.alerts import Alert
from tools.monitoring.scoring import matches, score

VOLUME = {"ticket_volume", "complaint_volume"}


def test_every_planted_anomaly_is_found(demo_alerts: list[Alert]) -> None:
    result = score(demo_alerts, DEMO_END)
    assert all(result.found.values()), result.found
    assert result.recall == 1.0


def test_alert_fields_and_link(demo_alerts: list[Alert]) -> None:
    alert = next(a for a in demo_alerts if a.scope == {"channel": "email"})
    assert alert.metric == "sla_breach_rate" and alert.direction == "up"
    assert alert.interval_low <= alert.expected <= alert.interval_high < alert.observed
    assert alert.owner == "service-operations"
    why = alert.to_dict()["why"]
    assert why["filters"] == [{"field": "channel", "op": "=", "values": ["email"]}]
    assert why["comparison_period"]["end"] <= why["period"]["start"]


def _overlaps(alert: Alert, start: date, end: date) -> bool:
    return alert.peak_start < end and start < alert.peak_end


def test_festivals_do_not_raise_volume_alerts(demo_alerts: list[Alert]) -> None:
    facts = planted_facts(DEMO_END)
    windows = [(d - timedelta(days=3), d + timedelta(days=8)) for d in SPRING_FESTIVAL.values()]
    windows += [(date(y, 11, 11), date(y, 12, 2)) for y in (2024, 2025)]
    windows += [(date(y, 6, 18), date(y, 7, 6)) for y in (2025, 2026)]
    noisy = [
        a
        for a in demo_alerts
        if a.metric in VOLUME
        and a.scope.keys() <= {"region", "channel", "category"}
        and any(_overlaps(a, s, e) for s, e in windows)
        and not any(matches(a, f) for f in facts)
    ]
    assert noisy == [], [a.headline() for a in noisy]


def test_nationwide_volume_is_quiet_all_window(demo_alerts: list[Alert]) -> None:
    rules = {"ticket_volume_channel_daily", "ticket_volume_region_weekly"}
    assert [a.headline() for a in demo_alerts if a.rule in rules] == []
