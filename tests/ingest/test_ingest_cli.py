"""`servicepilot ingest key | status` and what `import` says on a warehouse live ingest feeds."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from assistant.cli import main
from tools.ingest.keys import key_hash
from tools.ingest.writer import IngestWriter

NOW = datetime.now().replace(microsecond=0)


def test_key_prints_the_secret_and_its_hash_line() -> None:
    result = CliRunner().invoke(main, ["ingest", "key", "crm"])
    assert result.exit_code == 0, result.output
    secret = result.output.split(": ")[1].split()[0]
    assert secret.startswith("spk_")
    assert f"  crm: {{key_sha256: {key_hash(secret)}}}" in result.output


def test_status_and_import_on_a_live_warehouse(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SERVICEPILOT_DATA_DIR", str(tmp_path))
    warehouse = tmp_path / "warehouse.duckdb"
    stamp = (NOW - timedelta(minutes=10)).isoformat()
    event = {
        "kind": "customer",
        "id": "C-1",
        "event_time": stamp,
        "data": {
            "segment": "vip",
            "region": "east",
            "city": "Hangzhou",
            "signup_date": "2025-01-02",
        },
    }
    with IngestWriter(warehouse, tmp_path / "ingest", publish_every_s=0) as writer:
        writer.inbox.put("crm", [event])
        writer.step()
    status = CliRunner().invoke(main, ["ingest", "status", "--json", "--db", str(warehouse)])
    assert status.exit_code == 0, status.output
    body = json.loads(status.output)
    assert [(s["source"], s["events"], s["last_event_time"]) for s in body["sources"]] == [
        ("crm", 1, stamp)
    ]
    assert (body["alerts"], body["inbox_backlog"]) == ([], 0)
    mapping = tmp_path / "m.yml"
    mapping.write_text(
        "name: tiny\nsource: tiny\ntables:\n  customers:\n    columns:\n"
        "      customer_id: ID\n      segment: {const: vip}\n      region: {const: east}\n"
        "      city: {const: Shanghai}\n      signup_date: {const: '2024-01-05'}\n"
    )
    data = tmp_path / "c.csv"
    data.write_text("ID\nc9\n")
    command = ["import", str(data), "--mapping", str(mapping), "--db", str(warehouse)]
    refused = CliRunner().invoke(main, command)
    assert refused.exit_code == 3, refused.output
    assert "is published by the live-ingest writer" in refused.output
