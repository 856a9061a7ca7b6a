"""An answer names the sources behind its numbers, each with its own "data as of" inside the
asker's rows, and flags a quiet one: in the chat text (zh and en), the API's answer, and the
query tool (a real writer feeding a real DuckDB warehouse, the real application)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from assistant.app import build_app
from assistant.planning.plans import ConversationState
from assistant.ui.render import provenance_markdown
from tools.ingest.events import validate_batch
from tools.ingest.store import Batch
from tools.ingest.writer import IngestWriter

NOW = datetime.now().replace(second=0, microsecond=0)
# Both sources send a batch every 5 minutes; crm (east) stopped 3 hours ago, shop (north) did
# not. Events are dated when sent (no batch crosses midnight on the 1st: the tests ask about
# the last 7 days).
CRM_LAST = NOW - timedelta(hours=3)
SHOP_LAST = NOW - timedelta(minutes=2)


def ticket(ticket_id: str, at: datetime, region: str) -> dict:
    stamp = at.isoformat()
    data = {
        "customer_id": f"C-{ticket_id}",
        "channel": "phone",
        "ticket_type": "complaint",
        "category": "quality",
        "priority": "normal",
        "status": "open",
        "region": region,
        "created_at": stamp,
        "sla_due_at": (at + timedelta(days=1)).isoformat(),
    }
    return {"kind": "ticket", "id": ticket_id, "event_time": stamp, "data": data}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    work: Path = tmp_path_factory.mktemp("answer-sources")
    with IngestWriter(work / "warehouse.duckdb", work / "ingest", publish_every_s=0) as writer:
        for source, region, last in (("crm", "east", CRM_LAST), ("shop", "north", SHOP_LAST)):
            for i in range(4):
                at = last - timedelta(minutes=5 * (3 - i))
                events, problems = validate_batch([ticket(f"{source}-{i}", at, region)])
                assert not problems
                writer.apply(Batch(f"{source}-{i}", source, "http", at, events))
        writer.publish()
        built = build_app(None, "test", warehouse=f"duckdb:///{writer.warehouse}", audit=False)
        yield built
        built.close()


def ask(app, question: str, role: str):
    state = ConversationState(today=date.today(), role=role)
    return app.assistant.ask(question, state=state)


def test_the_executive_sees_each_source_with_its_own_date_and_the_quiet_one_flagged(app):
    answer = ask(app, "How many tickets in the last 7 days?", "executive")
    sources = answer.to_dict()["provenance"]["sources"]
    assert sources == [
        {
            "source": "crm",
            "data_as_of": CRM_LAST.isoformat(),
            "quiet_since": CRM_LAST.isoformat(),
        },
        {"source": "shop", "data_as_of": SHOP_LAST.isoformat(), "quiet_since": None},
    ]
    text = provenance_markdown(answer.result, "en")
    assert (
        f"Data through, by source: crm {CRM_LAST:%Y-%m-%d %H:%M} ⚠️ quiet (nothing sent since "
        f"{CRM_LAST:%Y-%m-%d %H:%M}) · shop {SHOP_LAST:%Y-%m-%d %H:%M}"
    ) in text


def test_a_regional_manager_sees_only_the_sources_of_their_rows_in_chinese(app):
    answer = ask(app, "最近7天的工单量是多少？", "north_manager")
    assert [s["source"] for s in answer.to_dict()["provenance"]["sources"]] == ["shop"]
    text = provenance_markdown(answer.result, "zh")
    assert f"各数据源截至: shop {SHOP_LAST:%Y-%m-%d %H:%M}\n" in text
    assert "crm" not in text  # east's source and its date stay outside north's rows
    east = ask(app, "最近7天的工单量是多少？", "east_manager")
    assert provenance_markdown(east.result, "zh").count("⚠️ 已静默（") == 1


def test_the_query_tool_returns_the_sources_within_the_role(app):
    query = {
        "metrics": ["ticket_volume"],
        "time_range": {
            "start": (date.today() - timedelta(days=7)).isoformat(),
            "end": (date.today() + timedelta(days=1)).isoformat(),
        },
    }
    east = app.api.query_dict(query, "east_manager")
    assert [(s["source"], s["data_as_of"]) for s in east["sources"]] == [
        ("crm", CRM_LAST.isoformat())
    ]
    assert east["source_freshness"] == {"crm": CRM_LAST.isoformat()}
    everyone = app.api.query_dict(query, "executive")
    assert [s["source"] for s in everyone["sources"]] == ["crm", "shop"]
