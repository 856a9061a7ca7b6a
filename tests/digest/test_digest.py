"""The executive digest end to end on the shared demo warehouse: its numbers are the numbers
of `servicepilot query` for the same metric, period and role (zh and en pages); the east
manager's digest covers east only; the PDF renders to PNG pages (pdftoppm); a scheduled digest
reaches a real local SMTP server and webhook server once, masked and recorded in sp_delivery,
and a second tick or a second worker sends nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.answer.narrate import format_value
from assistant.commands.query import command as query_command
from assistant.digest.build import build_digest
from assistant.digest.render import definition, render
from assistant.scheduler import Scheduler, default_runners
from tests.notify.conftest import HttpReceiver, SmtpReceiver
from tests.paths import ROOT
from tools.audit import OpsStore
from tools.notify.store import NotifyStore
from tools.pii import contains_pii
from tools.schedule.claims import ScheduleClaims
from tools.schedule.config import parse_schedules

TODAY = date(2026, 11, 2)  # "last week" = 2026-10-26 .. 2026-11-01 (the demo ends 10-31)
NOW = datetime(2026, 11, 2, 8, 0)
ARTIFACTS = ROOT / "test-artifacts" / "digest"
PHONE = "13812345678"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("digest")
    patch = pytest.MonkeyPatch()
    patch.setenv("SERVICEPILOT_DATA_DIR", str(tmp / "data"))
    patch.delenv("SERVICEPILOT_OPS_URL", raising=False)
    (tmp / "data").mkdir()
    # Two open alert episodes in the notification store: one in east, one in south; the east
    # one's headline carries a phone number that must never leave unmasked.
    store = NotifyStore(OpsStore(f"duckdb:///{tmp / 'data' / 'ops.duckdb'}"))
    for region, headline in (
        ("east", f"华东投诉量上升（客户 {PHONE} 多次来电）"),
        ("south", "华南满意度下降"),
    ):
        store.open_episode(
            {
                "episode_key": f"ep-{region}",
                "rule": "complaints_region",
                "scope_json": json.dumps({"region": region}),
                "metric": "complaint_volume",
                "severity": "critical",
                "period_start": date(2026, 10, 26),
                "headline": headline,
                "state": "open",
                "owner": f"{region}-ops",
                "level": 0,
                "opened_at": datetime(2026, 10, 30, 9, 0),
                "notified_at": datetime(2026, 10, 30, 9, 0),
            },
            datetime(2026, 10, 30, 9, 0),
            "",
        )
    store.store.close()
    yield tmp
    patch.undo()


@pytest.fixture(scope="module")
def app(env: Path, demo_warehouse_url: str):
    from assistant.app import build_app

    application = build_app(None, "cli", warehouse=demo_warehouse_url, today=TODAY, audit=False)
    yield application
    application.close()


@pytest.fixture(scope="module")
def ops(env: Path):
    store = OpsStore(f"duckdb:///{env / 'data' / 'ops.duckdb'}")
    yield store
    store.close()


@pytest.fixture(scope="module")
def executive(app, ops):
    # A month: the demo's October has a movement beyond noise (the weeks around it do not).
    return build_digest(
        app, period="last-month", language="zh", role="executive", now=NOW, ops_store=ops
    )


@pytest.fixture(scope="module")
def east(app, ops):
    return build_digest(
        app, period="last-week", language="en", role="east_manager", now=NOW, ops_store=ops
    )


def _query(db: str, metric: str, start: date, end: date, role: str) -> float | None:
    result = CliRunner().invoke(
        query_command,
        ["--metric", metric, "--from", str(start), "--to", str(end), "--role", role]
        + ["--db", db, "--json"],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    return rows[0][metric] if rows else None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_digest_numbers_equal_servicepilot_query(
    executive, app, demo_warehouse_url: str, lang: str
) -> None:
    assert (executive.start, executive.end) == (date(2026, 10, 1), date(2026, 11, 1))
    page = render(_as_language(executive, lang), app).html
    assert {k.name for k in executive.kpis} >= {"csat", "complaint_volume", "sla_compliance"}
    for kpi in executive.kpis:
        expected = _query(demo_warehouse_url, kpi.name, executive.start, executive.end, "analyst")
        assert kpi.value == pytest.approx(expected, rel=1e-12), kpi.name
        previous = _query(
            demo_warehouse_url,
            kpi.name,
            executive.previous.start,
            executive.previous.end,
            "analyst",
        )
        assert kpi.previous == pytest.approx(previous, rel=1e-12), kpi.name
        # Shown as the answers show it, with its certified definition beside it.
        assert format_value(kpi.value, kpi.meta, lang) in page
        assert definition(kpi, lang).split("：" if lang == "zh" else ": ")[0] in page
    heading = "核心指标与目标" if lang == "zh" else "KPIs against targets"
    assert heading in page and "viewport" in page and "max-width" in page
    # Movements: changes beyond noise only, the largest first, each with its why.
    z = [m.kpi.noise_z for m in executive.movements]
    assert z and all(v >= 1.96 for v in z) and z == sorted(z, reverse=True)
    assert all(m.why is not None for m in executive.movements)
    assert page.count("data:image/png;base64,") == len(executive.movements)


def _as_language(digest, lang: str):
    from dataclasses import replace

    return replace(digest, language=lang)


def test_east_managers_digest_covers_east_only(east, executive, demo_warehouse_url: str) -> None:
    assert east.scope == {"region": "east"}
    by_name = {k.name: k for k in executive.kpis}
    for kpi in east.kpis:
        expected = _query(demo_warehouse_url, kpi.name, east.start, east.end, "east_manager")
        assert kpi.value == pytest.approx(expected, rel=1e-12), kpi.name
    assert {k.name: k.value for k in east.kpis}["complaint_volume"] < by_name[
        "complaint_volume"
    ].value
    assert [a["episode_key"] for a in east.alerts] == ["ep-east"]
    assert {a["episode_key"] for a in executive.alerts} == {"ep-east", "ep-south"}
    # Targets of the east slice: the company-wide complaint count target is not east's; and
    # that target is a month's count: the monthly digest shows it, a weekly one would not.
    targets = {k.name: k.target for k in east.kpis}
    assert targets["complaint_volume"] is None and by_name["complaint_volume"].target == 500
    assert targets["csat"] == 75  # a company-wide rate target applies to every slice


def test_every_page_masks_personal_data(executive, app) -> None:
    page = render(executive, app).html
    assert PHONE not in page and "[PHONE]" in page


def _need_pdf_tools() -> None:
    """weasyprint (the pdf extra) and pdftoppm (poppler-utils): skipped locally without them,
    a failure in CI, which installs both."""
    import importlib.util
    import os

    missing = [
        what
        for what, ok in (
            ("weasyprint (pip install '.[pdf]')", importlib.util.find_spec("weasyprint")),
            ("pdftoppm (apt-get install poppler-utils)", shutil.which("pdftoppm")),
        )
        if not ok
    ]
    if missing and os.environ.get("CI"):
        pytest.fail(f"missing in CI: {', '.join(missing)}")
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")


def test_pdf_renders_to_pages(east, app, tmp_path: Path) -> None:
    _need_pdf_tools()
    from PIL import Image

    from assistant.digest.render import render_pdf

    pdf = render_pdf(render(east, app).html)
    assert pdf.startswith(b"%PDF")
    (tmp_path / "digest.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(tmp_path / "digest.pdf"), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    first = Image.open(pages[0]).convert("L")
    dark = sum(first.histogram()[:128])
    assert dark > 2_000  # text and cards, not a blank page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for page in pages:  # to look at: test-artifacts/digest/
        shutil.copy(page, ARTIFACTS / f"east-en-{page.name}")


NOTIFY = """\
channels:
  - {{name: hook, kind: webhook, url: "{url}/digest"}}
  - name: mail
    kind: email
    host: 127.0.0.1
    port: {port}
    sender: servicepilot@example.com
    to: [east-lead@example.com]
delivery: {{retries: 1, backoff_s: 0}}
"""

SCHEDULES = """\
jobs:
  - name: east-weekly
    cron: "0 8 * * mon"
    kind: digest
    period: last-week
    lang: zh
    format: pdf
    role: east_manager
    to: [mail, hook, director@example.com]
"""


def test_scheduled_digest_is_received_once(
    env: Path,
    app,
    east,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _need_pdf_tools()
    notify = env / "notify.yml"
    notify.write_text(NOTIFY.format(url=http_receiver.url, port=smtp_receiver.port), "utf-8")
    monkeypatch.setenv("SERVICEPILOT_NOTIFY_FILE", str(notify))
    config = parse_schedules(SCHEDULES, "schedules.yml")
    claims = ScheduleClaims(OpsStore(f"duckdb:///{env / 'data' / 'ops.duckdb'}"))
    runners = default_runners(app)
    worker_a = Scheduler(config, claims, runners, worker="a")
    worker_b = Scheduler(config, claims, runners, worker="b")

    # First sight of the job (server started on Monday 07:00): last week's 08:00 is not sent.
    [first] = worker_a.tick(datetime(2026, 11, 2, 7, 0))
    assert (first.status, first.due_at) == ("skipped", datetime(2026, 10, 26, 8, 0))
    assert not smtp_receiver.mails and not http_receiver.posts

    [run] = worker_a.tick(datetime(2026, 11, 2, 8, 0, 20))
    assert run.status == "ok", run.detail
    assert sorted(r for _, rs in smtp_receiver.envelopes for r in rs) == [
        "director@example.com",
        "east-lead@example.com",
    ]
    mail = smtp_receiver.mails[0]
    assert mail["Subject"].startswith("服务周报 · 华东 · 2026-10-26")
    html = mail.get_body(("html",)).get_content()
    images = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    # one inline chart per movement of the east manager's week, each referenced by the HTML
    assert len(images) == len(east.movements)
    assert all(f"cid:{p['Content-ID'].strip('<>')}" in html for p in images)
    [pdf] = [p for p in mail.walk() if p.get_content_type() == "application/pdf"]
    assert pdf.get_content().startswith(b"%PDF")
    assert PHONE not in html and "[PHONE]" in html  # masked before it left
    assert "华南满意度下降" not in html  # the south alert is not the east manager's
    [hook] = http_receiver.bodies("/digest")
    assert hook["data"]["event"] == "digest" and hook["data"]["scope"] == {"region": "east"}
    assert PHONE not in json.dumps(hook, ensure_ascii=False)

    # A second tick, and a second worker, send nothing.
    assert worker_a.tick(datetime(2026, 11, 2, 8, 1)) == []
    assert worker_b.tick(datetime(2026, 11, 2, 8, 5)) == []
    assert len(smtp_receiver.mails) == 2 and len(http_receiver.posts) == 1

    store = NotifyStore(claims.store)
    rows = [r for r in store.deliveries() if r["event"] == "digest"]
    assert sorted(r["channel"] for r in rows) == ["hook", "mail", "mail"]
    assert {r["status"] for r in rows} == {"sent"} and {r["attempts"] for r in rows} == {1}
    assert all(r["topic"].startswith("digest:last-week:2026-10-26:east_manager") for r in rows)
    assert all(PHONE not in (r["body"] or "") for r in rows)
    [claimed] = [r for r in claims.runs("east-weekly") if r["status"] == "ok"]
    assert claimed["worker"] == "a" and claimed["due_at"] == datetime(2026, 11, 2, 8, 0)


def test_missed_runs_after_downtime_run_once(env: Path) -> None:
    """Three Mondays missed while the server was down: one run, for the latest due time."""
    config = parse_schedules(SCHEDULES.replace("east-weekly", "downtime"), "schedules.yml")
    claims = ScheduleClaims(OpsStore(f"duckdb:///{env / 'data' / 'ops.duckdb'}"))
    ran: list[datetime] = []
    scheduler = Scheduler(config, claims, {"digest": lambda job, due: ran.append(due) or "ok"})
    scheduler.tick(datetime(2026, 11, 2, 9, 0))  # first sight
    scheduler.tick(datetime(2026, 11, 24, 9, 0))  # back after 11-09, 11-16, 11-23
    scheduler.tick(datetime(2026, 11, 24, 9, 30))
    assert ran == [datetime(2026, 11, 23, 8, 0)]
    # Two workers claiming the same due time: the primary key lets one win.
    due = datetime(2026, 11, 30, 8, 0)
    assert claims.claim("race", due, "a", due) is True
    assert claims.claim("race", due, "b", due) is False
    assert [r["worker"] for r in claims.runs("race")] == ["a"]


def test_failed_delivery_is_recorded_with_its_error(env: Path, east, app) -> None:
    """A recipient that cannot be reached: retried, then recorded as failed with the reason."""
    from assistant.digest.send import send_digest
    from tools.notify.channels import WebhookChannel
    from tools.notify.config import WebhookSpec

    hook = WebhookChannel(WebhookSpec(name="hook", kind="webhook", url="http://127.0.0.1:9/d"))
    store = NotifyStore(OpsStore(f"duckdb:///{env / 'data' / 'ops.duckdb'}"))
    at = datetime(2026, 11, 2, 10, 0)
    report = send_digest(
        east,
        render(east, app, inline=False),
        [("hook", ())],
        channels={"hook": hook},
        store=store,
        now=at,
        retries=2,
        backoff_s=0,
        sleep=lambda s: None,
    )
    assert report.sent == [] and len(report.failed) == 1
    [row] = [r for r in store.deliveries() if r["at"] == at]
    assert (row["status"], row["attempts"], row["channel"]) == ("failed", 3, "hook")
    assert row["error"] == "cannot reach http://127.0.0.1:9/d: [Errno 111] Connection refused"


def test_cli_refuses_unknown_recipient_and_foreign_region(
    env: Path, demo_warehouse_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from assistant.commands.digest import command as digest_command

    notify = env / "notify-cli.yml"
    notify.write_text(NOTIFY.format(url="http://127.0.0.1:9", port=9), "utf-8")
    monkeypatch.setenv("SERVICEPILOT_NOTIFY_FILE", str(notify))
    base = ["--db", demo_warehouse_url, "--today", str(TODAY), "--role", "east_manager"]
    result = CliRunner().invoke(digest_command, [*base, "--to", "mial"])
    assert result.exit_code == 2, result.output
    assert "Unknown channel 'mial'. Did you mean 'mail'?" in result.output
    result = CliRunner().invoke(
        digest_command, [*base, "--region", "south", "--out", str(tmp_path / "x.html")]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "may not see region 'south' (its rows: east)" in result.output
    result = CliRunner().invoke(
        digest_command, [*base, "--region", "esat", "--out", str(tmp_path / "x.html")]
    )
    assert "Unknown region 'esat'. Did you mean 'east'?" in result.output
    assert not (tmp_path / "x.html").exists()


def test_scheduled_tasks_job_runs_the_command(env: Path, app) -> None:
    """A `tasks` job runs `servicepilot tasks run` in a child process at its due time."""
    config = parse_schedules(
        'jobs:\n  - {name: hourly-tasks, cron: "0 * * * *", kind: tasks, lookback_days: 7}\n',
        "schedules.yml",
    )
    claims = ScheduleClaims(OpsStore(f"duckdb:///{env / 'data' / 'ops.duckdb'}"))
    scheduler = Scheduler(config, claims, default_runners(app), worker="a")
    scheduler.tick(datetime(2026, 10, 31, 9, 30))  # first sight
    [run] = scheduler.tick(datetime(2026, 10, 31, 10, 0))
    assert run.status == "ok", run.detail
    report = json.loads(run.detail)
    assert report["ok"] and sum(report["opened"].values()) > 0
    assert scheduler.tick(datetime(2026, 10, 31, 10, 30)) == []


def test_the_forecast_section_forecasts_the_next_period(executive, east, app) -> None:
    """The digest's forecast runs with the app's catalog: a number for the next week or the
    next calendar month, not an error."""
    for digest, days in ((executive, 30), (east, 7)):  # November; the week after
        assert "error" not in digest.forecast, digest.forecast
        start, end = digest.forecast["period"]
        assert start == digest.end and (end - start).days == days
    page = render(east, app).html
    assert "No forecast" not in page and "Forecast for the next period" in page


def test_a_part_that_fails_unexpectedly_says_so_without_python_text(app, ops, monkeypatch) -> None:
    from dataclasses import replace

    def broken(*args, **kwargs):
        raise TypeError("forecast_volume() missing 1 required keyword-only argument")

    monkeypatch.setattr(app, "services", replace(app.services, forecast=broken))
    digest = build_digest(
        app, period="last-week", language="zh", role="executive", now=NOW, ops_store=ops
    )
    page = render(digest, app).html
    assert "这一部分暂时无法计算" in page
    assert "missing 1 required" not in page and "TypeError" not in page


@pytest.fixture(scope="module")
def complaint_index(app, demo_warehouse_url: str) -> list:
    """The complaints of the digest's week and the week before, indexed where the app's case
    search reads (the data dir of ``env``)."""
    from tools.cases.indexer import index_cases
    from tools.cases.sources import warehouse_records
    from tools.cases.store import open_store

    records = [
        r
        for r in warehouse_records(demo_warehouse_url)
        if r.metadata.get("ticket_type") == "complaint"
        and "2026-10-19" <= r.metadata.get("created", "") < "2026-11-02"
    ]
    index_cases(open_store(app.services.cases.collection, create=True), records)
    return records


def test_complaint_themes_with_masked_examples_in_the_roles_rows(app, ops, complaint_index):
    by_id = {r.case_id: r for r in complaint_index}
    for role, region in (("executive", None), ("east_manager", "east")):
        digest = build_digest(
            app, period="last-week", language="zh", role=role, now=NOW, ops_store=ops
        )
        themes = digest.themes
        assert "error" not in themes, themes
        assert themes["themes"] and themes["cases"] > 0
        week = [r for r in complaint_index if r.metadata["created"] >= "2026-10-26"]
        mine = [r for r in week if region is None or r.metadata["region"] == region]
        assert themes["cases"] == len(mine)  # only the week's complaints the role may see
        for theme in themes["themes"]:
            for case_id in theme["example_ids"]:
                assert region is None or by_id[case_id].metadata["region"] == region
        page = render(digest, app).html
        assert themes["themes"][0]["label"] in page
        for example in themes["examples"].values():  # the texts shown are masked
            assert not contains_pii(example), example
    raw = [r.text for r in complaint_index if contains_pii(r.text)]
    assert raw, "the demo complaints carry fake personal data, so masking is exercised"


def test_movements_are_ranked_by_change_beyond_noise_not_by_relative_change() -> None:
    """NPS -1.6 → 0.8 on 120 answers is +150 % but noise; 11.5 → 8.7 minutes on 509 responses
    and 1,000 → 1,200 tickets are real; a % on 30 answers moving 3 points is noise."""
    from assistant.digest.build import Kpi
    from semantic_layer.catalog_loader import default_catalog
    from semantic_layer.executor import MetricMeta

    catalog = default_catalog()

    def kpi(name, value, previous, n=None):
        meta = MetricMeta.of(catalog.metric(name), catalog)
        return Kpi(name, meta, value, previous, value - previous, sample=n)

    nps = kpi("nps", 0.8, -1.6, 120)
    frt = kpi("first_response_time_median", 8.7 / 60, 11.5 / 60, 509)
    tickets = kpi("ticket_volume", 1200, 1000)
    csat_small = kpi("csat", 73.0, 70.0, 30)
    csat_big = kpi("csat", 73.0, 70.0, 5000)
    assert nps.noise_z < 1 and csat_small.noise_z < 1.96
    assert frt.noise_z > 1.96 and tickets.noise_z > 1.96 and csat_big.noise_z > 1.96
    assert kpi("complaint_volume", 157, 165).noise_z < 1.96  # 8 fewer of ~160: noise
