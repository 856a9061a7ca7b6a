"""Alerts on the shipped demo warehouse: every planted anomaly found, few false alerts,
festivals stay quiet, narrow cells are judged against their siblings."""

from __future__ import annotations

from datetime import date, timedelta

from semantic_layer.catalog_loader import default_catalog
from tests.monitoring.conftest import DEMO_END
from tools.demo_data.calendar import SPRING_FESTIVAL
from tools.demo_data.facts import planted_facts
from tools.monitoring.alerts import Alert
from tools.monitoring.scoring import matches, score
from tools.warehouse.engine import make_engine

VOLUME = {"ticket_volume", "complaint_volume"}
FACTS = [f for f in planted_facts(DEMO_END) if f.is_anomaly]


def test_every_planted_anomaly_is_found(demo_alerts: list[Alert]) -> None:
    result = score(demo_alerts, DEMO_END)
    assert all(result.found.values()), result.found
    assert result.recall == 1.0


def test_few_false_alerts(demo_alerts: list[Alert]) -> None:
    # Measured 8 of 9 true (0.89) with none in the quiet span; before scoring narrow cells
    # against their siblings and budgeting noise per rule it was 0.21 with 13 quiet alerts.
    result = score(demo_alerts, DEMO_END)
    false = [a.headline() for a in demo_alerts if not any(matches(a, f) for f in FACTS)]
    assert result.precision >= 0.8, false
    assert result.quiet_alerts <= 1, false


def test_narrow_cell_is_judged_against_the_other_regions(demo_alerts: list[Alert]) -> None:
    surge = next(
        a
        for a in demo_alerts
        if a.scope == {"region": "east", "product_line": "water_heater", "category": "quality"}
    )
    assert surge.relative_to == ("product_line", "category")
    assert surge.to_dict()["basis"] == "other region values, same product_line and category"
    assert surge.observed > 2.5 * surge.expected and surge.interval_high < surge.observed
    # 343 cells x 2 windows x 52 weeks: the noise budget lifts the warning score above 4.
    assert surge.threshold > 4.0 and surge.score >= surge.threshold
    # The baseline reaches back eight disjoint windows of the peak's length.
    weeks = (surge.peak_end - surge.peak_start).days // 7
    assert (surge.comparison_end - surge.comparison_start).days == 7 * weeks * 8


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


def test_a_lasting_rate_shift_stays_open_until_the_data_ends(shipped_warehouse_url: str) -> None:
    # The e-mail SLA rise began in late July and never recovers. The trailing baseline absorbs
    # it within weeks, so "recent alerts" in late October must still list it as ongoing.
    from tools.monitoring.alerts import current_alerts

    engine = make_engine(shipped_warehouse_url, read_only=True)
    try:
        recent = current_alerts(
            engine, date(2026, 11, 1), catalog=default_catalog(), lookback_days=30, explain=False
        )
    finally:
        engine.dispose()
    email = next(a for a in recent if a.scope == {"channel": "email"})
    assert email.metric == "sla_breach_rate" and email.ongoing
    assert email.period_start < date(2026, 8, 10) and email.period_end == date(2026, 10, 26)
    assert email.latest is not None and email.latest > email.interval_high
    # Short incidents that ended long before are not "recent".
    assert not any(a.scope.get("category") == "billing" for a in recent)
