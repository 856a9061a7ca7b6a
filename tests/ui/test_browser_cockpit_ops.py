"""The cockpit's operations in real Chromium: today's live view changing by itself after new
tickets arrive through the ingest endpoint (a live warehouse with its writer process),
acknowledge/assign an alert (seen by `servicepilot alerts states`), the follow-up task list
for a manager and an agent, and the Excel / CSV exports opened and checked (PNG:
test_browser_png.py).
Screenshots go to test-artifacts/ui/."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.paths import ROOT
from tests.ui.conftest import ARTIFACTS, _env, free_port
from tests.ui.test_browser import _login, browser  # noqa: F401 - the shared Chromium fixture

pytestmark = pytest.mark.slow

INGEST_KEY = "live-view-test-key-0123456789abcdef"
CLI = [sys.executable, "-c", "from assistant.cli import main; main()"]


def _cli(env: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [*CLI, *args, "--json"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A small demo warehouse ending yesterday, its ingest writer (publishing every second)
    and a web server reading it at the wall clock's today; the live view refreshes every 2 s."""
    from tools.demo_data.generator import generate_demo_warehouse
    from tools.ingest.keys import key_hash

    tmp = tmp_path_factory.mktemp("live")
    warehouse = tmp / "warehouse.duckdb"
    generate_demo_warehouse(
        f"duckdb:///{warehouse}", tickets=3_000, seed=7, end=date.today() - timedelta(days=1)
    )
    env = _env(tmp, f"duckdb:///{warehouse}")
    env.pop("SERVICEPILOT_TODAY")
    env["SERVICEPILOT_LIVE_REFRESH_S"] = "2"
    ingest = tmp / "data" / "ingest"
    ingest.mkdir(parents=True)
    (ingest / "keys.yml").write_text(f"sources:\n  crm: {{key_sha256: {key_hash(INGEST_KEY)}}}\n")
    log = tmp / "live.log"
    with log.open("w") as out:
        writer = subprocess.Popen(
            [*CLI, "ingest", "run", "--publish-every", "1"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "assistant.commands.serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],  # fmt: skip
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/config", timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except Exception:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        yield url, log
    finally:
        _stop(server)
        _stop(writer)


def _post_tickets(url: str, count: int, region: str) -> list[str]:
    """New open tickets created in the last minutes, SLA running out in 40-80 min, posted to
    the ingest endpoint as a CRM would."""
    now = datetime.now().replace(microsecond=0)
    events, ids = [], []
    for i in range(count):
        created = now - timedelta(minutes=2 + i)
        ticket_id = f"CRM-{now:%H%M%S}-{i}"
        ids.append(ticket_id)
        events.append(
            {
                "kind": "ticket",
                "id": ticket_id,
                "event_time": created.isoformat(),
                "data": {
                    "customer_id": "C-LIVE-1",
                    "channel": "phone",
                    "ticket_type": "complaint",
                    "category": "quality",
                    "priority": "urgent",
                    "status": "open",
                    "region": region,
                    "created_at": created.isoformat(),
                    "sla_due_at": (created + timedelta(minutes=40 + 10 * i)).isoformat(),
                    "language": "zh",
                },
            }
        )
    request = urllib.request.Request(
        url + "/ingest/events",
        data=json.dumps(events).encode(),
        headers={"Authorization": f"Bearer {INGEST_KEY}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.loads(response.read())["accepted"] == count
    return ids


def _summary(page) -> dict[str, str]:
    return page.evaluate(
        "() => { const s = document.querySelector('#sp-live-summary');"
        " return s ? {...s.dataset, text: s.innerText} : {}; }"
    )


def test_live_view_changes_by_itself_after_new_tickets_arrive(live_server, browser):  # noqa: F811
    url, log = live_server
    page = _login(browser, url, "east")
    page.get_by_role("tab", name="驾驶舱").click()
    page.wait_for_selector("#sp-live-summary", timeout=90_000)
    before = _summary(page)
    assert "数据更新于" in before["text"]  # the data's clock: yesterday's last ticket
    page.screenshot(path=str(ARTIFACTS / "20_live_before.png"), full_page=True)

    ids = _post_tickets(url, 3, "east")
    _post_tickets(url, 2, "north")  # not the East manager's rows
    # No click: the 2-second timer refreshes the view once the writer published the batch.
    # Today is the wall clock's day now, so "tickets today" are the three new East tickets.
    # The data's clock moving to now is what says the batch is in (the demo's last day may
    # itself hold three tickets, so the count alone cannot tell).
    page.wait_for_function(
        "(() => { const s = document.querySelector('#sp-live-summary');"
        " return s && s.dataset.tickets === '3'"
        " && (s.innerText.includes('秒前') || s.innerText.includes('分钟前')); })()",
        timeout=60_000,
    )
    after = _summary(page)
    assert "秒前" in after["text"] or "分钟前" in after["text"]
    assert int(after["sla"]) >= 3
    table = page.locator("#sp-live-sla").inner_text()
    assert all(ticket in table for ticket in ids) and "分钟" in table
    assert "华东" in table and "华北" not in table
    page.locator("#sp-live").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "21_live_after_new_tickets.png"), full_page=True)

    page.locator("#sp-lang").get_by_text("English").click()
    page.wait_for_function(
        "document.querySelector('#sp-live-summary')?.innerText.includes('Tickets today')"
    )
    assert "SLA due within 2 h" in page.locator("#sp-live-summary").inner_text()
    page.close()


def test_acknowledge_and_assign_an_alert(ui_server, browser):  # noqa: F811
    page = _login(browser, ui_server.url, "exec")
    page.get_by_role("tab", name="驾驶舱").click()
    page.wait_for_function(
        "document.querySelector('#sp-alert-states')?.innerText.includes('待处理')",
        timeout=90_000,
    )
    pick = page.locator("#sp-alert-act-pick input")
    pick.click()
    pick.press("ArrowDown")
    pick.press("Enter")
    page.wait_for_function(
        "document.querySelector('#sp-alert-act-pick input').value.startsWith('1.')"
    )
    page.locator("#sp-alert-ack").click()
    page.wait_for_function(
        "document.querySelector('#sp-alert-act-result').innerText.includes('已确认')"
    )
    assert "已确认" in page.locator("#sp-alert-states").inner_text()
    # The acknowledgement re-rendered the picker with the alert's new state and kept it
    # picked: assign it without picking it again.
    page.wait_for_function(
        "(v => v.startsWith('1.') && v.includes('已确认'))"
        "(document.querySelector('#sp-alert-act-pick input').value)"
    )
    page.locator("#sp-alert-owner textarea, #sp-alert-owner input").first.fill("team:east_a")
    page.locator("#sp-alert-assign").click()
    page.wait_for_function(
        "document.querySelector('#sp-alert-act-result').innerText.includes('team:east_a')"
    )
    page.locator("#sp-alert-actions").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "22_alert_ack_assign.png"), full_page=True)
    page.close()
    # The same store as `servicepilot alerts ack`: the CLI sees who acknowledged, the owner.
    episodes = _cli(ui_server.env, "alerts", "states")["episodes"]
    acked = [e for e in episodes if e["state"] == "acknowledged"]
    assert acked and acked[0]["acknowledged_by"] == "exec"
    assert any(e["owner"] == "team:east_a" for e in episodes)


def test_follow_up_tasks_for_a_manager_and_an_agent(ui_server, browser):  # noqa: F811
    _cli(ui_server.env, "tasks", "run", "--now", "2026-10-31T20:00", "--days", "7")
    everyone = _cli(ui_server.env, "tasks", "list")["tasks"]
    east = [t for t in everyone if t["region"] == "east"]
    assert east and len(east) < len(everyone)

    page = _login(browser, ui_server.url, "east")
    page.get_by_role("tab", name="跟进任务").click()
    first = east[0]["ticket_id"]
    page.wait_for_function(
        f"document.querySelector('#sp-tasks').innerText.includes('{first}')", timeout=60_000
    )
    shown = page.locator("#sp-tasks").inner_text()
    assert all(t["ticket_id"] in shown for t in east)
    others = {t["ticket_id"] for t in everyone} - {t["ticket_id"] for t in east}
    assert not any(ticket in shown for ticket in others)
    assert "华东" in shown and "华北" not in shown
    assert page.locator("#sp-task-reassign").is_visible()  # managers reassign
    pick = page.locator("#sp-task-pick input")
    pick.click()
    pick.press("ArrowDown")
    pick.press("Enter")
    page.wait_for_function(
        f"document.querySelector('#sp-task-pick input').value.includes('{first}')"
    )
    page.locator("#sp-task-done").click()
    page.wait_for_function("document.querySelector('#sp-task-result').innerText.includes('已完成')")
    page.screenshot(path=str(ARTIFACTS / "23_tasks_manager.png"), full_page=True)
    page.close()

    agent = _login(browser, ui_server.url, "agent", chat=False)
    agent.get_by_role("tab", name="跟进任务").click()
    agent.wait_for_function(
        f"document.querySelector('#sp-tasks').innerText.includes('{east[1]['ticket_id']}')",
        timeout=60_000,
    )
    assert not agent.locator("#sp-task-reassign").is_visible()  # agents do not reassign
    agent.screenshot(path=str(ARTIFACTS / "24_tasks_agent.png"), full_page=True)
    agent.close()
    done = [
        t for t in _cli(ui_server.env, "tasks", "list", "--all")["tasks"] if t["status"] == "done"
    ]
    assert [t["task_id"] for t in done] == [east[0]["task_id"]]


def test_export_excel_and_csv(ui_server, browser, tmp_path):  # noqa: F811
    page = _login(browser, ui_server.url, "exec")
    page.context.set_default_timeout(60_000)
    page.get_by_role("tab", name="驾驶舱").click()
    page.wait_for_selector("#sp-cockpit-trend .js-plotly-plot", timeout=90_000)
    files = {}
    for kind in ("xlsx", "csv"):
        page.locator(f"#sp-export-{kind}").click()
        link = page.locator(f"#sp-export-file a[download$='.{kind}']")
        link.wait_for(timeout=90_000)
        with page.expect_download() as info:
            link.click()
        name = info.value.suggested_filename
        assert name.startswith("servicepilot-cockpit-") and name.endswith(f".{kind}")
        files[kind] = tmp_path / name
        info.value.save_as(files[kind])
    book = openpyxl.load_workbook(files["xlsx"], read_only=True)
    assert book.sheetnames == ["指标", "趋势", "按区域", "按渠道", "今日实时", "预警"]
    kpis = pd.read_excel(files["xlsx"], sheet_name="指标")
    assert set(kpis["指标"]) >= {"客户满意度", "投诉量", "积压工单"}
    assert kpis["数值"].notna().all()
    cards = page.locator("#sp-kpis").inner_text()
    complaints = int(kpis.set_index("指标").loc["投诉量", "数值"])
    assert f"{complaints:,}件" in cards  # the file holds the numbers the cards show
    table = pd.read_csv(files["csv"], encoding="utf-8-sig")
    assert list(table.columns) == ["表", "项目", "维度", "数值"]

    page.screenshot(path=str(ARTIFACTS / "25_export.png"), full_page=True)
    page.close()
