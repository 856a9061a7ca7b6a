"""The headline KPIs: the cockpit's six cards, and the overview a vague question is offered
("华东上个月怎么样", "how are we doing"). One list, so both show the same numbers."""

from __future__ import annotations

HEADLINE_METRICS = (
    "csat",
    "first_response_time_median",
    "sla_compliance",
    "complaint_volume",
    "backlog",
    "nps",
)
