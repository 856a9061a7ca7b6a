"""End to end: planted anomalies in the demo warehouse -> `servicepilot alerts notify` ->
a real local webhook server, a 企业微信-format robot endpoint and a real SMTP server; a second
run sends nothing new; unacknowledged episodes escalate, acknowledged ones do not; ended
episodes get a follow-up; every message is recorded in the operations store."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.commands.alerts import command as alerts_command
from tests.notify.conftest import HttpReceiver, SmtpReceiver
from tools.audit import OpsStore
from tools.notify.store import NotifyStore

# The two planted rate shifts that are still open when the demo data ends (2026-10-31):
# email_sla_breach_rise (channel=email) and team_south_b_csat_drop (team=south_b).
RULES = """\
rules:
  - {name: sla_breach_channel, metric: sla_breach_rate, dimensions: [channel], grain: week,
     windows: [1, 3], direction: up, min_volume: 30, owner: service-operations}
  - {name: csat_team, metric: csat, dimensions: [team], grain: week, windows: [2, 4],
     direction: down, min_volume: 20, owner: customer-experience}
"""

CONFIG = """\
channels:
  - {{name: ops-webhook, kind: webhook, url: "{url}/hook"}}
  - {{name: ops-wecom, kind: wecom, url: "{url}/wecom?key=TOKEN"}}
  - {{name: cx-south, kind: webhook, url: "{url}/south"}}
  - {{name: cx-all, kind: webhook, url: "{url}/cx"}}
  - name: mail
    kind: email
    host: 127.0.0.1
    port: {port}
    sender: servicepilot@example.com
owners:
  - name: service-operations
    kind: team
    channels: [ops-webhook, ops-wecom, mail]
    email: [ops-lead@example.com]
    escalate_after: 2h
    escalate_to: service-director
  - name: service-director
    kind: person
    channels: [mail]
    email: [director@example.com]
    language: en
  - name: customer-experience
    channels: [cx-all]
  - name: customer-experience          # the south_b team's lead, not the whole department
    kind: person
    scope: {{team: south_b}}
    channels: [cx-south]
    escalate_after: 2h
    escalate_to: service-director
delivery: {{retries: 2, backoff_s: 0, cooldown: 6h}}
"""


def _notify(db: str, tmp: Path, today: str, now: str) -> dict:
    result = CliRunner().invoke(
        alerts_command,
        ["notify", "--db", db, "--rules", str(tmp / "rules.yml"), "--today", today]
        + ["--now", now, "--json"],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _assert_chart_image(mail, html: str) -> None:
    """The HTML body shows the alert's chart as an inline image: a PNG part whose Content-ID
    the HTML references, a real image of the chart's size, not blank."""
    from PIL import Image

    [image] = [part for part in mail.walk() if part.get_content_type() == "image/png"]
    cid = image["Content-ID"].strip("<>")
    assert f"cid:{cid}" in html
    picture = Image.open(io.BytesIO(image.get_content()))
    assert picture.size == (1280, 600)
    colours = picture.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # lines, band, text: not an empty canvas
    if os.environ.get("SP_KEEP_CHARTS"):  # to look at it: SP_KEEP_CHARTS=/tmp/x.png
        picture.save(os.environ["SP_KEEP_CHARTS"])


def _store(tmp: Path) -> NotifyStore:
    return NotifyStore(OpsStore(f"duckdb:///{tmp / 'data' / 'ops.duckdb'}"))


@pytest.fixture
def env(tmp_path: Path, monkeypatch, http_receiver: HttpReceiver, smtp_receiver: SmtpReceiver):
    (tmp_path / "rules.yml").write_text(RULES, encoding="utf-8")
    config = CONFIG.format(url=http_receiver.url, port=smtp_receiver.port)
    (tmp_path / "notify.yml").write_text(config, encoding="utf-8")
    monkeypatch.setenv("SERVICEPILOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SERVICEPILOT_NOTIFY_FILE", str(tmp_path / "notify.yml"))
    monkeypatch.delenv("SERVICEPILOT_OPS_URL", raising=False)
    return tmp_path


def test_alerts_reach_owners_once_escalate_and_follow_up(
    env: Path, demo_warehouse_url: str, http_receiver: HttpReceiver, smtp_receiver: SmtpReceiver
) -> None:
    http_receiver.failures["/hook"] = 1  # the first webhook POST fails: retried
    first = _notify(demo_warehouse_url, env, "2026-11-01", "2026-11-01T09:00")
    assert first["ok"] and len(first["opened"]) == 2 and first["failed"] == 0
    # service-operations: webhook + wecom + mail; south_b lead: its own webhook only.
    assert first["sent"] == 4

    [hook] = http_receiver.bodies("/hook")
    assert hook["data"]["rule"] == "sla_breach_channel"
    assert hook["data"]["scope"] == {"channel": "email"}
    assert hook["data"]["severity"] == "critical" and hook["data"]["event"] == "opened"
    assert hook["subject"].startswith("【红色预警】SLA") and "channel=email" in hook["subject"]
    [wecom] = http_receiver.bodies("/wecom")
    assert wecom["msgtype"] == "markdown"
    assert "servicepilot alerts ack " + hook["data"]["episode"] in wecom["markdown"]["content"]
    [south] = http_receiver.bodies("/south")
    assert south["data"]["scope"] == {"team": "south_b"} and not http_receiver.bodies("/cx")

    [mail] = smtp_receiver.mails
    assert smtp_receiver.envelopes[0] == ("servicepilot@example.com", ["ops-lead@example.com"])
    assert mail["Subject"] == hook["subject"]
    html = mail.get_body(("html",)).get_content()
    assert "64.7%" in html and "channel=email" in html  # observed breach rate of the episode
    _assert_chart_image(mail, html)

    # A second run soon after: nothing new to anyone.
    second = _notify(demo_warehouse_url, env, "2026-11-01", "2026-11-01T09:30")
    assert (second["opened"], second["escalated"], second["sent"]) == ([], [], 0)
    assert len(http_receiver.posts) == 3 and len(smtp_receiver.mails) == 1

    # The south_b lead acknowledges; the ops team does not. 2.5 h later only ops escalates.
    sla_key, csat_key = hook["data"]["episode"], south["data"]["episode"]
    ack = CliRunner().invoke(
        alerts_command, ["ack", csat_key, "--user", "lead-south", "--now", "2026-11-01T10:00"]
    )
    assert ack.exit_code == 0 and "acknowledged by lead-south" in ack.output
    third = _notify(demo_warehouse_url, env, "2026-11-01", "2026-11-01T11:30")
    assert third["escalated"] == [sla_key] and third["sent"] == 1
    escalation = smtp_receiver.mails[-1]
    assert smtp_receiver.envelopes[-1][1] == ["director@example.com"]
    assert escalation["Subject"].startswith("[Escalated · Critical alert] SLA")
    assert "service-operations did not acknowledge" in escalation.get_body(("plain",)).get_content()
    assert len(http_receiver.posts) == 3  # nothing to the acknowledged south_b lead

    # Two months on the episodes have ended: a follow-up to whoever holds each one now.
    last = _notify(demo_warehouse_url, env, "2026-12-31", "2026-12-31T09:00")
    assert sorted(last["resolved"]) == sorted([sla_key, csat_key]) and last["sent"] == 2
    assert smtp_receiver.mails[-1]["Subject"] == "[Resolved] alert sla_breach_channel ended"
    assert http_receiver.bodies("/south")[-1]["data"]["event"] == "resolved"

    store = _store(env)
    try:
        assert store.state(sla_key)["state"] == "resolved"
        assert store.state(sla_key)["owner"] == "service-director"
        assert [e["event"] for e in store.events(csat_key)] == [
            "opened",
            "acknowledged",
            "resolved",
        ]
        assert store.events(csat_key)[1]["actor"] == "lead-south"
        deliveries = store.deliveries(sla_key)
        assert [(d["event"], d["channel"], d["status"]) for d in deliveries] == [
            ("opened", "mail", "sent"),
            ("opened", "ops-webhook", "sent"),
            ("opened", "ops-wecom", "sent"),
            ("escalated", "mail", "sent"),
            ("resolved", "mail", "sent"),
        ]
        assert [d["attempts"] for d in deliveries if d["channel"] == "ops-webhook"] == [2]
    finally:
        store.store.close()
