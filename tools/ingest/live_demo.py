"""A live feed for the demo: new tickets and their updates at a realistic rate, posted through
the same inbox as the HTTP endpoint (so the demo exercises the real ingest path).

Only tickets the feed itself created (source ``live_demo``, ids ``LIVE-...``) are updated, and
they are created "now": the demo generator's history, and so its planted facts
(docs/demo-data.md), is never changed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from tools.warehouse.codes import CATEGORIES, CHANNELS, PRIORITIES, TICKET_TYPES
from tools.warehouse.schema import customers

SOURCE = "live_demo"
SLA_HOURS = {"urgent": 4, "high": 12, "normal": 24, "low": 72}


@dataclass
class LiveDemo:
    """Events for ``seconds`` of business at ``rate`` events per second."""

    customers: list[tuple[str, str]]  # (customer_id, region)
    rate: float = 5.0
    seed: int = 7
    _rng: random.Random = field(init=False)
    _open: list[str] = field(default_factory=list)  # live tickets without a resolution
    _unanswered: list[str] = field(default_factory=list)
    _resolved: list[str] = field(default_factory=list)
    _customer_of: dict[str, str] = field(default_factory=dict)
    _next: int = 0

    def __post_init__(self) -> None:
        if not self.customers:
            raise ValueError("the warehouse has no customers; build it with demo-data first")
        self._rng = random.Random(self.seed)

    @classmethod
    def from_warehouse(cls, engine: sa.Engine, **kwargs: object) -> LiveDemo:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(customers.c.customer_id, customers.c.region)
                .order_by(customers.c.customer_id)
                .limit(5_000)
            ).all()
        return cls([(str(c), str(r)) for c, r in rows], **kwargs)  # type: ignore[arg-type]

    def events(self, now: datetime, seconds: float) -> list[dict]:
        rng = self._rng
        count = max(0, round(rng.gauss(self.rate * seconds, (self.rate * seconds) ** 0.5)))
        out = []
        for _ in range(count):
            at = now - timedelta(seconds=rng.uniform(0, seconds))
            roll = rng.random()
            if roll < 0.5 or not self._open:
                out.append(self._new_ticket(at))
            elif roll < 0.7 and self._unanswered:
                out.append(self._update(self._unanswered.pop(0), "first_response", at))
            elif roll < 0.9:
                ticket = self._open.pop(rng.randrange(len(self._open)))
                if ticket in self._unanswered:
                    self._unanswered.remove(ticket)
                    out.append(self._update(ticket, "first_response", at))
                self._resolved.append(ticket)
                out.append(
                    self._update(
                        ticket,
                        "resolved",
                        at,
                        {"handle_minutes": round(rng.uniform(5, 90), 1)},
                    )
                )
                if rng.random() < 0.3:
                    out.append(self._survey(ticket, at))
            elif roll < 0.95 and self._resolved:
                ticket = self._resolved.pop(rng.randrange(len(self._resolved)))
                self._open.append(ticket)
                out.append(self._update(ticket, "reopened", at))
            else:
                out.append(self._update(rng.choice(self._open), "escalated", at))
        return out

    def _new_ticket(self, at: datetime) -> dict:
        rng = self._rng
        self._next += 1
        ticket_id = f"LIVE-{at:%Y%m%d}-{self.seed}-{self._next:07d}"
        customer, region = rng.choice(self.customers)
        priority = rng.choices(PRIORITIES, weights=(2, 6, 2, 1))[0]
        self._open.append(ticket_id)
        self._unanswered.append(ticket_id)
        self._customer_of[ticket_id] = customer
        created = at.replace(microsecond=0)
        return {
            "kind": "ticket",
            "id": ticket_id,
            "event_time": created.isoformat(),
            "data": {
                "customer_id": customer,
                "channel": rng.choice(CHANNELS),
                "ticket_type": rng.choices(TICKET_TYPES, weights=(3, 5, 2, 2, 1))[0],
                "category": rng.choice(CATEGORIES),
                "priority": priority,
                "status": "open",
                "region": region,
                "created_at": created.isoformat(),
                "sla_due_at": (created + timedelta(hours=SLA_HOURS[priority])).isoformat(),
                "contacts": 1,
                "language": "zh",
            },
        }

    def _update(self, ticket: str, change: str, at: datetime, data: dict | None = None) -> dict:
        event = {
            "kind": "ticket_update",
            "id": ticket,
            "change": change,
            "event_time": at.replace(microsecond=0).isoformat(),
        }
        if data:
            event["data"] = data
        return event

    def _survey(self, ticket: str, at: datetime) -> dict:
        rng = self._rng
        customer = self._customer_of[ticket]
        stamp = at.replace(microsecond=0).isoformat()
        return {
            "kind": "survey",
            "id": f"S-{ticket}",
            "event_time": stamp,
            "data": {
                "ticket_id": ticket,
                "customer_id": customer,
                "sent_at": stamp,
                "responded_at": stamp,
                "csat": rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 2, 5, 6))[0],
            },
        }
