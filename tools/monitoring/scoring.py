"""Scoring alerts against the demo warehouse's planted facts (benchmarks and tests).

Definitions:

* metric family: volumes (ticket_volume, complaint_volume), service level (SLA, resolution
  and response metrics), satisfaction (CSAT, NPS, CES); an alert matches a fact when their
  metrics are in the same family;
* scope overlap: no dimension has different values in the two scopes, and they share at
  least one dimension (a team implies its region: ``south_b`` belongs to ``south``);
* period overlap: the alert's episode [period_start, period_end) intersects the fact's
  [start, end).

A fact is *found* when at least one alert matches it on all three; an alert is *true* when it
matches some planted fact. The quiet span is every period at least ``margin`` days away from
every planted fact (holiday weeks included); alerts there are false by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tools.demo_data.facts import PlantedFact, planted_facts
from tools.monitoring.alerts import Alert

FAMILIES = {
    "volume": {"ticket_volume", "complaint_volume", "complaint_rate_per_1000_orders"},
    "service_level": {
        "sla_breach_rate",
        "sla_compliance",
        "resolution_time_median",
        "resolution_time_p90",
        "first_response_time_median",
        "first_response_time_p90",
    },
    "satisfaction": {"csat", "nps", "nps_promoter_share", "nps_detractor_share", "ces"},
}


def family(metric: str) -> str:
    return next((name for name, members in FAMILIES.items() if metric in members), metric)


def _expand(scope: dict[str, str]) -> dict[str, str]:
    out = dict(scope)
    if "team" in out and "region" not in out:
        out["region"] = out["team"].rsplit("_", 1)[0]
    return out


def scopes_overlap(a: dict[str, str], b: dict[str, str]) -> bool:
    a, b = _expand(a), _expand(b)
    shared = set(a) & set(b)
    return bool(shared) and all(a[k] == b[k] for k in shared)


def matches(alert: Alert, fact: PlantedFact) -> bool:
    return (
        family(alert.metric) == family(fact.metric)
        and scopes_overlap(alert.scope, fact.scope)
        and alert.period_start < fact.end
        and fact.start < alert.period_end
    )


@dataclass(frozen=True)
class Score:
    alerts: int
    true_alerts: int
    precision: float
    recall: float
    found: dict[str, bool]
    quiet_alerts: int
    quiet_series_periods: int  # tested (scope, period) cells in the quiet span, all rules
    false_alert_rate: float  # quiet alerts per 1,000 tested series-periods

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def quiet(alert: Alert, facts: list[PlantedFact], margin_days: int = 14) -> bool:
    pad = timedelta(days=margin_days)
    return all(
        alert.period_end + pad <= f.start or f.end + pad <= alert.period_start for f in facts
    )


def score(
    alerts: list[Alert],
    end: date,
    *,
    quiet_series_periods: int = 0,
    margin_days: int = 14,
) -> Score:
    facts = [f for f in planted_facts(end) if f.is_anomaly]
    true = [a for a in alerts if any(matches(a, f) for f in facts)]
    found = {f.fact_id: any(matches(a, f) for a in alerts) for f in facts}
    quiet_alerts = [a for a in alerts if quiet(a, facts, margin_days)]
    return Score(
        alerts=len(alerts),
        true_alerts=len(true),
        precision=len(true) / len(alerts) if alerts else 1.0,
        recall=sum(found.values()) / len(found) if found else 1.0,
        found=found,
        quiet_alerts=len(quiet_alerts),
        quiet_series_periods=quiet_series_periods,
        false_alert_rate=(
            1000 * len(quiet_alerts) / quiet_series_periods if quiet_series_periods else 0.0
        ),
    )
