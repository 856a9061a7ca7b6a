"""Planted facts: documented events in the demo data that the product must later find.

Every fact is placed relative to ``--end`` so it always lies inside the 24-month window, and
carries a plain-SQL check (DuckDB and PostgreSQL) returning ``period_value`` and
``baseline_value``; ``min_ratio`` says how far apart they must be. docs/demo-data.md explains
each fact, and ``servicepilot demo-data --facts --json`` prints them for a given end date.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class PlantedFact:
    fact_id: str
    title_zh: str
    title_en: str
    description: str
    start: date  # first affected day
    end: date  # exclusive
    scope: dict[str, str]
    metric: str  # the certified metric that moves
    direction: str  # "up" or "down"
    check_sql: str
    min_ratio: float  # period/baseline (direction up) or baseline/period (down) at least this
    is_anomaly: bool = True
    # Generator: share of in-scope tickets the event rewrites (scope = region/channel and,
    # where given, the product line of the ticket's product).
    override_share: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat()
        data.pop("override_share")
        data.pop("extra")
        return data

    def holds(self, period_value: float | None, baseline_value: float | None) -> bool:
        if period_value is None or baseline_value is None or baseline_value <= 0:
            return period_value is not None and period_value > 0 and self.direction == "up"
        ratio = period_value / baseline_value
        return ratio >= self.min_ratio if self.direction == "up" else 1 / ratio >= self.min_ratio


def _monday_on_or_before(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _ts(day: date) -> str:
    return f"TIMESTAMP '{day.isoformat()} 00:00:00'"


def _between(column: str, start: date, end: date) -> str:
    return f"{column} >= {_ts(start)} AND {column} < {_ts(end)}"


def planted_facts(end: date) -> list[PlantedFact]:
    """The planted facts of a demo warehouse whose last day of data is ``end``."""
    stop = end + timedelta(days=1)

    surge_start = _monday_on_or_before(end - timedelta(weeks=20))
    surge_end = surge_start + timedelta(weeks=3)
    surge_base = surge_start - timedelta(weeks=8)

    sla_start = _monday_on_or_before(end - timedelta(weeks=13))
    sla_base = sla_start - timedelta(weeks=12)

    team_start = _monday_on_or_before(end - timedelta(weeks=10))
    team_check = team_start + timedelta(days=14)
    team_base = team_start - timedelta(weeks=12)

    # The latest Double-11 with three full weeks after it inside the window.
    year = end.year if date(end.year, 11, 11) + timedelta(days=22) <= end else end.year - 1
    logistics_start = date(year, 11, 12)
    logistics_end = logistics_start + timedelta(days=21)
    logistics_base = date(year, 9, 15)

    charge_start = end - timedelta(weeks=6)
    charge_start -= timedelta(days=(charge_start.weekday() - 1) % 7)  # a Tuesday release
    charge_end = charge_start + timedelta(days=10)
    charge_base = charge_start - timedelta(weeks=8)

    summer_year = end.year if date(end.year, 8, 16) <= end else end.year - 1
    install_start = date(summer_year, 7, 1)
    install_end = date(summer_year, 8, 16)
    install_base = date(summer_year, 3, 1)

    return [
        PlantedFact(
            fact_id="water_heater_quality_surge_east",
            title_zh="华东区热水器质量投诉激增（某批次温控阀缺陷）",
            title_en="Water-heater quality complaint surge in East China (batch defect)",
            description=(
                "For three weeks a defective production batch of water heaters drives quality "
                "complaints and repair tickets in region east up several-fold; most carry "
                "root_cause batch_defect."
            ),
            start=surge_start,
            end=surge_end,
            scope={"region": "east", "product_line": "water_heater", "category": "quality"},
            metric="complaint_volume",
            direction="up",
            check_sql=(
                "SELECT COUNT(*) FILTER (WHERE "
                + _between("t.created_at", surge_start, surge_end)
                + ") / 3.0 AS period_value, COUNT(*) FILTER (WHERE "
                + _between("t.created_at", surge_base, surge_start)
                + ") / 8.0 AS baseline_value FROM tickets t JOIN products p "
                "ON p.product_id = t.product_id WHERE t.region = 'east' AND "
                "p.product_line = 'water_heater' AND t.category = 'quality' "
                "AND t.ticket_type = 'complaint'"
            ),
            min_ratio=2.5,
            override_share=0.45,
            extra={"root_cause": "batch_defect"},
        ),
        PlantedFact(
            fact_id="email_sla_breach_rise",
            title_zh="邮件渠道SLA超时率上升（邮件团队缩编后）",
            title_en="SLA breach rate rises on the e-mail channel",
            description=(
                "From the start date on, e-mail tickets get slower first responses and "
                "resolutions (the e-mail team was cut), so the SLA breach rate of channel email "
                "roughly triples; other channels are unchanged."
            ),
            start=sla_start,
            end=stop,
            scope={"channel": "email"},
            metric="sla_breach_rate",
            direction="up",
            check_sql=(
                "SELECT AVG(CASE WHEN t.resolved_at > t.sla_due_at THEN 1.0 ELSE 0.0 END) "
                "FILTER (WHERE " + _between("t.created_at", sla_start, stop) + ") AS period_value, "
                "AVG(CASE WHEN t.resolved_at > t.sla_due_at THEN 1.0 ELSE 0.0 END) FILTER (WHERE "
                + _between("t.created_at", sla_base, sla_start)
                + ") AS baseline_value FROM tickets t WHERE t.channel = 'email' "
                "AND t.resolved_at IS NOT NULL"
            ),
            min_ratio=2.0,
            extra={"response_factor": 2.5, "resolution_factor": 3.0},
        ),
        PlantedFact(
            fact_id="team_south_b_csat_drop",
            title_zh="华南二组（south_b）客户满意度下滑",
            title_en="CSAT of team south_b falls",
            description=(
                "Tickets handled by team south_b from the start date on leave customers much less "
                "satisfied (new team lead, high attrition): its CSAT drops by about 30 points; "
                "visible in surveys from about two weeks later."
            ),
            start=team_start,
            end=stop,
            scope={"team": "south_b"},
            metric="csat",
            direction="down",
            check_sql=(
                "SELECT AVG(CASE WHEN s.csat >= 4 THEN 1.0 ELSE 0.0 END) FILTER (WHERE "
                + _between("s.responded_at", team_check, stop)
                + ") AS period_value, AVG(CASE WHEN s.csat >= 4 THEN 1.0 ELSE 0.0 END) "
                "FILTER (WHERE "
                + _between("s.responded_at", team_base, team_start)
                + ") AS baseline_value FROM surveys s JOIN tickets t ON t.ticket_id = s.ticket_id "
                "JOIN agents a ON a.agent_id = t.agent_id WHERE a.team = 'south_b' "
                "AND s.csat IS NOT NULL"
            ),
            min_ratio=1.3,
            extra={"satisfaction_shift": -1.6},
        ),
        PlantedFact(
            fact_id="post_double11_logistics_delay",
            title_zh="双十一后物流延误投诉高峰",
            title_en="Logistics delay complaints after Double-11",
            description=(
                "In the three weeks after Double-11 a carrier is overloaded: logistics "
                "complaints (root_cause carrier_delay) rise well beyond the normal festival "
                "volume, nationwide, so the logistics share of all tickets jumps."
            ),
            start=logistics_start,
            end=logistics_end,
            scope={"category": "logistics"},
            metric="complaint_volume",
            direction="up",
            check_sql=(
                "SELECT AVG(CASE WHEN t.category = 'logistics' THEN 1.0 ELSE 0.0 END) "
                "FILTER (WHERE "
                + _between("t.created_at", logistics_start, logistics_end)
                + ") AS period_value, AVG(CASE WHEN t.category = 'logistics' THEN 1.0 ELSE 0.0 "
                "END) FILTER (WHERE "
                + _between("t.created_at", logistics_base, date(year, 11, 1))
                + ") AS baseline_value FROM tickets t"
            ),
            min_ratio=1.5,
            override_share=0.12,
            extra={"root_cause": "carrier_delay", "resolution_factor": 1.5},
        ),
        PlantedFact(
            fact_id="app_double_charge_incident",
            title_zh="App支付重复扣款事故",
            title_en="Double-charge incident in the app",
            description=(
                "An app release on a Tuesday double-charges some payments for ten days: billing "
                "complaints on channel app with root_cause double_charge spike, then return to "
                "normal after the fix."
            ),
            start=charge_start,
            end=charge_end,
            scope={"channel": "app", "category": "billing"},
            metric="complaint_volume",
            direction="up",
            check_sql=(
                "SELECT COUNT(*) FILTER (WHERE "
                + _between("t.created_at", charge_start, charge_end)
                + ") / 10.0 AS period_value, COUNT(*) FILTER (WHERE "
                + _between("t.created_at", charge_base, charge_start)
                + ") / 56.0 AS baseline_value FROM tickets t WHERE t.channel = 'app' "
                "AND t.category = 'billing' AND t.ticket_type = 'complaint'"
            ),
            min_ratio=3.0,
            override_share=0.15,
            extra={"root_cause": "double_charge"},
        ),
        PlantedFact(
            fact_id="southwest_ac_installation_no_show",
            title_zh="西南区夏季空调安装师傅爽约",
            title_en="Air-conditioner installers miss appointments in the South-west in summer",
            description=(
                "In the summer peak (1 July to 15 August) installer capacity in region southwest "
                "runs short: installation tickets for air conditioners with root_cause "
                "technician_no_show multiply."
            ),
            start=install_start,
            end=install_end,
            scope={
                "region": "southwest",
                "product_line": "air_conditioner",
                "category": "installation",
            },
            metric="ticket_volume",
            direction="up",
            check_sql=(
                "SELECT COUNT(*) FILTER (WHERE "
                + _between("t.created_at", install_start, install_end)
                + ") / 46.0 AS period_value, COUNT(*) FILTER (WHERE "
                + _between("t.created_at", install_base, date(summer_year, 5, 1))
                + ") / 61.0 AS baseline_value FROM tickets t JOIN products p "
                "ON p.product_id = t.product_id WHERE t.region = 'southwest' "
                "AND p.product_line = 'air_conditioner' AND t.category = 'installation' "
                "AND t.root_cause = 'technician_no_show'"
            ),
            min_ratio=3.0,
            override_share=0.20,
            extra={"root_cause": "technician_no_show"},
        ),
    ]
