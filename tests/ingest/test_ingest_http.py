"""POST /ingest/events: API key per source, validation answer, durable inbox, then the writer."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from assistant.ui.ingest_api import INGEST_PATH, IngestMiddleware
from tools.errors import ConfigError
from tools.ingest.keys import IngestKeys, key_hash
from tools.ingest.writer import Inbox, IngestWriter, read_inbox_file

NOW = datetime.now().replace(microsecond=0)
KEY = "spk_test-crm-key"


def event(ticket_id: str) -> dict:
    stamp = NOW.isoformat()
    return {
        "kind": "ticket",
        "id": ticket_id,
        "event_time": stamp,
        "data": {
            "customer_id": "C-1",
            "channel": "wechat",
            "ticket_type": "repair",
            "category": "installation",
            "priority": "high",
            "status": "open",
            "region": "south",
            "created_at": stamp,
            "sla_due_at": (NOW + timedelta(hours=12)).isoformat(),
        },
    }


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    keys_file = tmp_path / "keys.yml"
    keys_file.write_text(f"sources:\n  crm: {{key_sha256: {key_hash(KEY)}}}\n")
    inbox = Inbox(tmp_path / "ingest")
    app = Starlette(
        routes=[Route("/", lambda request: PlainTextResponse("app"))],
        middleware=[Middleware(IngestMiddleware, keys=IngestKeys.load(keys_file), inbox=inbox)],
    )
    return TestClient(app)


def test_post_needs_the_sources_key(client: TestClient, tmp_path: Path) -> None:
    answer = client.post(INGEST_PATH, json=event("T-1"))
    assert answer.status_code == 401
    assert "Authorization: Bearer KEY" in answer.json()["error"]
    wrong = client.post(INGEST_PATH, json=event("T-1"), headers={"Authorization": "Bearer no"})
    assert wrong.status_code == 401
    assert Inbox(tmp_path / "ingest").pending() == []
    assert client.get("/").text == "app"  # everything else goes to the app


def test_post_batch_answers_rejections_and_reaches_the_warehouse(
    client: TestClient, tmp_path: Path
) -> None:
    bad = {**event("T-3"), "data": {**event("T-3")["data"], "region": "mars"}}
    answer = client.post(
        INGEST_PATH, json=[event("T-2"), bad], headers={"Authorization": f"Bearer {KEY}"}
    )
    assert answer.status_code == 202
    body = answer.json()
    assert (body["source"], body["accepted"], body["rejected"]) == ("crm", 1, 1)
    assert body["problems"] == [
        "event 1: data.region: invalid code; one of east, north, south, central, southwest, "
        "northwest, northeast"
    ]
    [stored] = Inbox(tmp_path / "ingest").pending()
    assert read_inbox_file(stored).batch_id == body["batch_id"]
    with IngestWriter(tmp_path / "w.duckdb", tmp_path / "ingest", publish_every_s=0) as writer:
        assert writer.step() == 1
        result = writer.stats
    assert (result.new_events, result.quarantined) == (1, 1)


def test_post_that_is_not_json_or_too_many_events(client: TestClient) -> None:
    auth = {"X-API-Key": KEY}
    answer = client.post(INGEST_PATH, content=b"{not json", headers=auth)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("the body is not UTF-8 JSON")
    too_many = client.post(INGEST_PATH, content=json.dumps([{}] * 10_001), headers=auth)
    assert too_many.status_code == 413
    assert client.get(INGEST_PATH).status_code == 405


def test_keys_file_errors_name_the_line(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.yml"
    keys_file.write_text("sources:\n  crm: {key_sha256: abc}\n")
    with pytest.raises(ConfigError) as info:
        IngestKeys.load(keys_file)
    assert str(info.value) == (
        f"{keys_file}:2: source 'crm' needs key_sha256 (64 hex digits); "
        "`servicepilot ingest key crm` prints one."
    )
