"""Customer rules on each ingest batch: events posted through the writer's inbox that satisfy a
shipped rule open its task once; a redelivered batch or a later update opens no duplicate, and
near-misses open nothing (real writer, real DuckDB warehouse and ops store)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tools.audit import OpsStore
from tools.ingest.writer import IngestWriter
from tools.rules.config import load_task_rules
from tools.rules.engine import TASKS
from tools.rules.on_ingest import RulesOnIngest

NOW = datetime.now().replace(microsecond=0)


def ticket(ticket_id: str, customer: str, created: datetime, sla_in: timedelta) -> dict:
    return {
        "kind": "ticket",
        "id": ticket_id,
        "event_time": created.isoformat(),
        "data": {
            "customer_id": customer,
            "channel": "phone",
            "ticket_type": "complaint",
            "category": "quality",
            "priority": "high",
            "status": "open",
            "region": "east",
            "created_at": created.isoformat(),
            "sla_due_at": (created + sla_in).isoformat(),
        },
    }


@pytest.fixture
def setup(tmp_path: Path):
    store = OpsStore(f"duckdb:///{tmp_path / 'ops.duckdb'}")
    rules = RulesOnIngest(load_task_rules(), store)
    with IngestWriter(
        tmp_path / "warehouse.duckdb",
        tmp_path / "ingest",
        publish_every_s=0,
        after_commit=[rules],
    ) as writer:
        yield writer, store, rules
    store.close()


def post(writer: IngestWriter, events: list[dict]) -> None:
    writer.inbox.put("crm", events)
    while writer.step():
        pass
    writer.flush_hooks()  # the rules run on the writer's background thread


def tasks(store: OpsStore) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(TASKS.c.rule, TASKS.c.ticket_id).order_by(TASKS.c.rule))
        return [tuple(row) for row in found]


def test_rules_fire_once_per_event_through_ingest(setup) -> None:
    writer, store, rules = setup
    at_risk = ticket("T-RISK", "C-1", NOW - timedelta(hours=1), timedelta(hours=3))
    calm = ticket("T-CALM", "C-2", NOW - timedelta(hours=1), timedelta(days=1))
    post(writer, [at_risk, calm])
    assert tasks(store) == [("sla_at_risk_escalate", "T-RISK")]

    # The same batch again, and an update of the ticket: the same (rule, event), no new task.
    post(writer, [at_risk, calm])
    first_response = {
        "kind": "ticket_update",
        "id": "T-RISK",
        "change": "first_response",
        "event_time": (NOW - timedelta(minutes=30)).isoformat(),
    }
    post(writer, [first_response])
    assert tasks(store) == [("sla_at_risk_escalate", "T-RISK")]

    # Contacts count the customer's history across batches: the third in 7 days fires.
    post(writer, [ticket("T-A", "C-9", NOW - timedelta(days=3), timedelta(days=2))])
    post(writer, [ticket("T-B", "C-9", NOW - timedelta(days=2), timedelta(days=2))])
    assert len(tasks(store)) == 1
    post(writer, [ticket("T-C", "C-9", NOW - timedelta(days=1), timedelta(days=2))])
    assert tasks(store) == [
        ("repeated_contacts_supervisor", "T-C"),
        ("sla_at_risk_escalate", "T-RISK"),
    ]
    assert rules.opened == 2


def test_a_failing_rule_run_never_stops_ingest(tmp_path: Path) -> None:
    def broken(engine: sa.Engine, touched: dict[str, set[str]]) -> None:
        raise RuntimeError("ops store unreachable")

    with IngestWriter(
        tmp_path / "warehouse.duckdb", tmp_path / "ingest", publish_every_s=0, after_commit=[broken]
    ) as writer:
        post(writer, [ticket("T-1", "C-1", NOW - timedelta(hours=1), timedelta(days=1))])
        assert writer.stats.new_events == 1
        assert not writer.inbox.pending()
