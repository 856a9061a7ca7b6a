"""A live-ingest source that goes quiet for longer than its usual gap becomes an alert routed
like the others: `servicepilot alerts notify` tells its owner through a real local webhook
once, stays silent on the next run, and sends the follow-up when the source sends again."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from assistant.commands.alerts import command as alerts_command
from tests.notify.conftest import HttpReceiver
from tools.ingest.events import validate_batch
from tools.ingest.store import Batch
from tools.ingest.writer import IngestWriter

RULES = """\
rules:
  - {name: sla_breach_channel, metric: sla_breach_rate, dimensions: [channel], grain: week,
     windows: [1, 3], direction: up, min_volume: 30, owner: service-operations}
"""
CONFIG = """\
channels:
  - {{name: data-hook, kind: webhook, url: "{url}/data"}}
  - {{name: crm-hook, kind: webhook, url: "{url}/crm"}}
owners:
  - {{name: data-engineering, channels: [data-hook], language: en}}
  - {{name: data-engineering, scope: {{source: crm}}, channels: [crm-hook]}}
delivery: {{retries: 1, backoff_s: 0, cooldown: 1h}}
"""
START = datetime.now().replace(second=0, microsecond=0) - timedelta(hours=3)


def ticket(ticket_id: str, at: datetime) -> dict:
    return {
        "kind": "ticket",
        "id": ticket_id,
        "event_time": at.isoformat(),
        "data": {
            "customer_id": "C-1",
            "channel": "phone",
            "ticket_type": "inquiry",
            "category": "billing",
            "priority": "normal",
            "status": "open",
            "region": "east",
            "created_at": at.isoformat(),
            "sla_due_at": (at + timedelta(days=1)).isoformat(),
        },
    }


def feed(writer: IngestWriter, source: str, times: list[datetime]) -> None:
    for at in times:
        events, _ = validate_batch([ticket(f"{source}-{at:%H%M}", at)])
        writer.apply(Batch(f"{source}-{at:%H%M}", source, "http", at, events))
    writer.publish()


def notify(tmp: Path, now: datetime) -> dict:
    result = CliRunner().invoke(
        alerts_command,
        ["notify", "--db", str(tmp / "warehouse.duckdb"), "--rules", str(tmp / "rules.yml")]
        + ["--today", now.date().isoformat(), "--now", now.isoformat(), "--json"],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_quiet_source_alert_reaches_its_owner_once_and_ends(
    tmp_path: Path, monkeypatch, http_receiver: HttpReceiver
) -> None:
    (tmp_path / "rules.yml").write_text(RULES, encoding="utf-8")
    (tmp_path / "notify.yml").write_text(CONFIG.format(url=http_receiver.url), encoding="utf-8")
    monkeypatch.setenv("SERVICEPILOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SERVICEPILOT_NOTIFY_FILE", str(tmp_path / "notify.yml"))
    monkeypatch.delenv("SERVICEPILOT_OPS_URL", raising=False)
    with IngestWriter(
        tmp_path / "warehouse.duckdb", tmp_path / "ingest", publish_every_s=0
    ) as writer:
        last = START + timedelta(minutes=40)
        feed(writer, "crm", [START + timedelta(minutes=10 * i) for i in range(5)])  # every 10 min
        # Inside three usual gaps: nothing to say.
        assert notify(tmp_path, last + timedelta(minutes=25))["opened"] == []
        # Past them: the owner for source=crm (the scoped entry) hears it, once.
        opened = notify(tmp_path, last + timedelta(minutes=31))
        assert len(opened["opened"]) == 1 and opened["sent"] == 1
        [(path, body)] = http_receiver.posts
        data = body["data"]
        assert path == "/crm" and data["event"] == "opened"
        assert data["rule"] == "source_quiet" and data["scope"] == {"source": "crm"}
        assert (data["observed"], data["expected"], data["interval_high"]) == (31.0, 10.0, 30.0)
        assert data["owner"] == "data-engineering"
        assert body["subject"] == "【黄色预警】数据源未发送时长（分钟）异常（source=crm）"
        again = notify(tmp_path, last + timedelta(minutes=50))
        assert (again["opened"], again["sent"]) == ([], 0)
        # The source sends again: the episode ends with a follow-up to the same owner.
        feed(writer, "crm", [last + timedelta(minutes=55)])
        ended = notify(tmp_path, last + timedelta(minutes=56))
        assert ended["resolved"] == opened["opened"]
        assert [p for p, _ in http_receiver.posts] == ["/crm", "/crm"]
        assert http_receiver.posts[1][1]["data"]["event"] == "resolved"
