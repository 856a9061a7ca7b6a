"""Live ingest: once per event, event-time order, late arrivals, snapshots under concurrent
readers, and a writer killed mid-batch (real DuckDB files, a real writer process)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from semantic_layer.executor import execute
from semantic_layer.query import MetricQuery, TimeRange
from tools.ingest.events import validate_batch
from tools.ingest.freshness import source_freshness
from tools.ingest.pull import TablePull
from tools.ingest.quality import quality_report
from tools.ingest.writer import IngestWriter
from tools.warehouse.engine import make_engine

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now().replace(microsecond=0)
DAY = timedelta(days=1)


def ticket(ticket_id: str, created: datetime, **data: object) -> dict:
    stamp = created.isoformat()
    fields = {
        "customer_id": "C-1",
        "channel": "phone",
        "ticket_type": "complaint",
        "category": "quality",
        "priority": "normal",
        "status": "open",
        "region": "east",
        "created_at": stamp,
        "sla_due_at": (created + timedelta(days=1)).isoformat(),
        **data,
    }
    return {"kind": "ticket", "id": ticket_id, "event_time": stamp, "data": fields}


def update(ticket_id: str, change: str, at: datetime, **data: object) -> dict:
    event = {"kind": "ticket_update", "id": ticket_id, "change": change}
    event["event_time"] = at.isoformat()
    if data:
        event["data"] = data
    return event


@pytest.fixture
def writer(tmp_path: Path):
    with IngestWriter(tmp_path / "warehouse.duckdb", tmp_path / "ingest", publish_every_s=0) as w:
        yield w


def post(writer: IngestWriter, events: list[dict], source: str = "crm") -> None:
    writer.inbox.put(source, events)
    while writer.step():
        pass
    writer.publish()


def rows(writer: IngestWriter, sql: str) -> list[tuple]:
    engine = make_engine(f"duckdb:///{writer.warehouse}", read_only=True)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def test_redelivery_counts_once(writer: IngestWriter) -> None:
    created = NOW - timedelta(hours=3)
    batch = [ticket("T-1", created), update("T-1", "first_response", created + timedelta(1 / 24))]
    post(writer, batch)
    post(writer, batch)  # the sender retried after a timeout
    post(writer, [batch[1]])
    assert rows(writer, "SELECT count(*) FROM tickets") == [(1,)]
    assert rows(writer, "SELECT count(*) FROM sp_events WHERE batch_id <> 'base'") == [(2,)]
    assert rows(writer, "SELECT new_events FROM sp_ingest_batches ORDER BY received_at") == [
        (2,),
        (0,),
        (0,),
    ]
    assert writer.stats.events - writer.stats.new_events == 3


def test_older_update_never_overwrites_newer(writer: IngestWriter) -> None:
    t0 = NOW - timedelta(hours=5)
    post(writer, [ticket("T-2", t0)])
    # resolved at +3h arrives first; the reopen at +1h and a 'pending' at +30min arrive late
    post(writer, [update("T-2", "resolved", t0 + timedelta(hours=3), resolution="new valve")])
    post(writer, [update("T-2", "reopened", t0 + timedelta(hours=1))])
    post(writer, [update("T-2", "status", t0 + timedelta(minutes=30), status="pending")])
    post(writer, [update("T-2", "escalated", t0 + timedelta(hours=2), priority="high")])
    assert rows(
        writer,
        "SELECT status, resolved_at, reopened_count, escalated, priority, resolution "
        "FROM tickets WHERE ticket_id = 'T-2'",
    ) == [("resolved", t0 + timedelta(hours=3), 1, True, "high", "new valve")]
    # a newer reopen still wins over the resolution
    post(writer, [update("T-2", "reopened", t0 + timedelta(hours=4))])
    assert rows(writer, "SELECT status, resolved_at, reopened_count FROM tickets") == [
        ("open", None, 2)
    ]


def test_update_before_its_record_waits_for_it(writer: IngestWriter) -> None:
    t0 = NOW - timedelta(hours=2)
    post(writer, [update("T-3", "first_response", t0 + timedelta(minutes=20))])
    assert rows(writer, "SELECT count(*) FROM tickets") == [(0,)]
    post(writer, [ticket("T-3", t0)])
    assert rows(writer, "SELECT first_response_at FROM tickets") == [(t0 + timedelta(minutes=20),)]


def test_late_arrival_lands_in_its_own_period(writer: IngestWriter) -> None:
    this_month = NOW.replace(day=1, hour=10, minute=0, second=0)
    last_month = (this_month - timedelta(days=1)).replace(day=10)
    # Both on NOW's day even just after midnight (an event on the day before counts as late).
    earlier = max(NOW - timedelta(minutes=5), NOW.replace(hour=0, minute=0, second=0))
    post(writer, [ticket("T-now-1", earlier), ticket("T-now-2", NOW)])
    post(writer, [ticket("T-late", last_month)], source="stores")  # arrives weeks late
    query = MetricQuery(
        metrics=("ticket_volume",),
        time_grain="month",
        time_range=TimeRange(
            start=last_month.date().replace(day=1), end=date.today() + timedelta(1)
        ),
    )
    engine = make_engine(f"duckdb:///{writer.warehouse}", read_only=True)
    try:
        result = execute(query, engine)
    finally:
        engine.dispose()
    frame = result.data
    by_month = dict(zip(frame.iloc[:, 0].astype(str).str[:7], frame["ticket_volume"], strict=True))
    assert by_month[f"{last_month:%Y-%m}"] == 1
    assert by_month[f"{this_month:%Y-%m}"] == 2
    engine = make_engine(f"duckdb:///{writer.warehouse}", read_only=True)
    try:
        report = {s.source: s.late_arrivals for s in quality_report(engine).sources}
        with engine.connect() as conn:
            fresh = {s.source: s for s in source_freshness(conn, NOW + timedelta(seconds=30))}
    finally:
        engine.dispose()
    assert report == {"crm": 0, "stores": 1}
    assert fresh["crm"].last_event_time == NOW
    assert fresh["crm"].lag_s == 30.0
    assert fresh["stores"].late_arrivals == 1


def test_bad_events_are_quarantined_and_good_ones_land(writer: IngestWriter) -> None:
    good = ticket("T-4", NOW)
    bad_time = ticket("T-5", datetime(9999, 12, 30))
    bad_count = ticket("T-6", NOW, contacts=-2)
    bad_order = ticket("T-7", NOW, resolved_at=(NOW - timedelta(days=1)).isoformat())
    post(writer, [good, bad_time, bad_count, bad_order, {"kind": "ticket", "id": "T-8"}])
    assert rows(writer, "SELECT ticket_id FROM tickets") == [("T-4",)]
    quarantined = rows(
        writer, "SELECT file_row, field, reason FROM sp_quarantine ORDER BY file_row, field"
    )
    assert quarantined[0][:2] == (2, "data.created_at")
    assert "outside the plausible window" in quarantined[0][2]
    assert (3, "data.contacts", "negative; counts and amounts are 0 or more") in quarantined
    assert (4, "data.resolved_at", "before created_at") in quarantined
    assert (5, "event_time", "missing timestamp (ISO 8601)") in quarantined


def test_validation_messages_name_event_and_field() -> None:
    bad = [{"kind": "tiket", "id": "x"}, ticket("T", NOW, descripton="x"), {"knd": 1}]
    events, problems = validate_batch(bad)
    assert events == []
    assert [p.message() for p in problems] == [
        "event 0: kind: unknown kind; one of ticket, ticket_update, survey, order, customer",
        "event 1: data.descripton: not a tickets field. Did you mean 'description'?",
        "event 2: knd: unknown key. Did you mean 'kind'? Valid keys: change, data, event_id, "
        "event_time, id, kind.",
        "event 2: kind: unknown kind; one of ticket, ticket_update, survey, order, customer",
    ]


def test_ingest_while_ten_queries_run_gives_consistent_results(writer: IngestWriter) -> None:
    """Each batch adds 50 tickets and resolves the previous batch's: every query sees whole
    batches only (count a multiple of 50, resolved = count - 50) and never goes back."""
    url = f"duckdb:///{writer.warehouse}"
    post(writer, [ticket(f"B0-{i}", NOW - timedelta(hours=1)) for i in range(50)])
    engine = make_engine(url, read_only=True)  # one pool shared by the reader threads
    stop = threading.Event()
    seen: list[list[int]] = [[] for _ in range(10)]
    errors: list[str] = []

    def reader(slot: int) -> None:
        while not stop.is_set():
            try:
                with engine.connect() as conn:
                    total, resolved = conn.execute(
                        sa.text("SELECT count(*), count(resolved_at) FROM tickets")
                    ).one()
            except Exception as exc:  # noqa: BLE001 - collected and asserted empty
                errors.append(repr(exc))
                return
            if total % 50 or resolved != total - 50:
                errors.append(f"inconsistent snapshot: {total} tickets, {resolved} resolved")
            seen[slot].append(total)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    for b in range(1, 21):
        at = NOW - timedelta(minutes=40 - b)
        events = [ticket(f"B{b}-{i}", at) for i in range(50)]
        events += [update(f"B{b - 1}-{i}", "resolved", at) for i in range(50)]
        post(writer, events)
    elapsed = time.monotonic() - started
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert errors == []
    assert all(s == sorted(s) for s in seen)  # a reader never sees an older snapshot again
    assert max(max(s) for s in seen) == 21 * 50
    assert len({t for s in seen for t in s}) > 2, f"readers saw too few snapshots ({elapsed:.1f}s)"


def _writer_cli(tmp_path: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "assistant.cli",
        "ingest",
        "run",
        "--db",
        str(tmp_path / "warehouse.duckdb"),
        *extra,
    ]


def test_writer_killed_mid_batch_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SERVICEPILOT_DATA_DIR": str(tmp_path)}
    with IngestWriter(tmp_path / "warehouse.duckdb", tmp_path / "ingest") as w:
        for b in range(12):
            events = [ticket(f"K{b}-{i}", NOW - timedelta(hours=2)) for i in range(3000)]
            events += [update(f"K{b}-{i}", "first_response", NOW) for i in range(3000)]
            w.inbox.put("crm", events)
    inbox = tmp_path / "ingest" / "inbox"
    proc = subprocess.Popen(_writer_cli(tmp_path, "--publish-every", "0.5"), env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while len(list(inbox.glob("*.json"))) > 9 and time.monotonic() < deadline:
            time.sleep(0.05)  # kill after a few batches, while the next is being applied
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    left = len(list(inbox.glob("*.json")))
    assert 0 < left < 12, "the kill should land mid-stream"
    done = subprocess.run(
        _writer_cli(tmp_path, "--once"), env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert list(inbox.glob("*.json")) == []
    engine = make_engine(f"duckdb:///{tmp_path / 'warehouse.duckdb'}", read_only=True)
    try:
        with engine.connect() as conn:
            counts = conn.execute(
                sa.text(
                    "SELECT count(*), count(DISTINCT ticket_id), count(first_response_at) "
                    "FROM tickets"
                )
            ).one()
            events = conn.execute(sa.text("SELECT count(*) FROM sp_events")).scalar()
            batches = conn.execute(sa.text("SELECT count(*) FROM sp_ingest_batches")).scalar()
    finally:
        engine.dispose()
    assert tuple(counts) == (36_000, 36_000, 36_000)
    assert (events, batches) == (72_000, 12)


def test_pull_by_updated_at_watermark(tmp_path: Path, writer: IngestWriter) -> None:
    source = tmp_path / "helpdesk.sqlite"
    db = sqlite3.connect(source)
    db.execute(
        "CREATE TABLE cases (id TEXT, cust TEXT, chan TEXT, kind TEXT, cat TEXT, prio TEXT, "
        "status TEXT, region TEXT, created_at TEXT, sla_due_at TEXT, updated_at TEXT)"
    )
    t0 = NOW - timedelta(hours=6)

    def row(i: int, status: str, updated: datetime) -> tuple:
        return (f"H-{i}", "C-9", "email", "inquiry", "billing", "low", status, "north",
                str(t0), str(t0 + timedelta(days=3)), str(updated))  # fmt: skip

    db.executemany("INSERT INTO cases VALUES (?,?,?,?,?,?,?,?,?,?,?)", [
        row(i, "open", t0 + timedelta(minutes=i % 3)) for i in range(7)
    ])  # fmt: skip
    db.commit()
    columns = {"cust": "customer_id", "chan": "channel", "kind": "ticket_type",
               "cat": "category", "prio": "priority"}  # fmt: skip
    pull = TablePull(f"sqlite:///{source}", "cases", "ticket", "helpdesk", "id",
                     columns=columns, batch_rows=3)  # fmt: skip
    writer.pulls.append(pull)
    while writer.step():
        pass
    writer.publish()
    assert rows(writer, "SELECT count(*), count(DISTINCT ticket_id) FROM tickets") == [(7, 7)]
    db.execute("UPDATE cases SET status = 'pending', updated_at = ? WHERE id = 'H-4'",
               (str(t0 + timedelta(hours=1)),))  # fmt: skip
    db.commit()
    db.close()
    while writer.step():
        pass
    writer.publish()
    pull.close()
    assert rows(writer, "SELECT ticket_id, status FROM tickets WHERE status <> 'open'") == [
        ("H-4", "pending")
    ]
    assert rows(writer, "SELECT count(*) FROM sp_events WHERE source = 'helpdesk'") == [(8,)]


def test_drop_folder_applies_a_mapped_csv_and_refuses_a_bad_one(writer: IngestWriter) -> None:
    mappings = writer.ingest_dir / "mappings"
    mappings.mkdir()
    (mappings / "shop.yml").write_text(
        "name: shop\nsource: shop\ntables:\n  customers:\n    columns:\n"
        "      customer_id: ID\n      segment: Segment\n      region: {const: east}\n"
        "      city: {const: Shanghai}\n      signup_date: {from: Since}\n"
    )
    folder = writer.ingest_dir / "drop" / "shop"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text("ID,Segment,Since\nc1,vip,2024-01-05\nc2,business,2024-02-01\n")
    (folder / "b.csv").write_text("ID,Segment,Since\nc3,gold,2024-01-05\n")
    old = time.time() - 10
    for name in ("a.csv", "b.csv"):
        os.utime(folder / name, (old, old))
    while writer.step():
        pass
    writer.publish()
    assert rows(writer, "SELECT customer_id, segment, source FROM customers ORDER BY 1") == [
        ("c1", "vip", "shop"),
        ("c2", "business", "shop"),
    ]
    assert (folder / "done" / "a.csv").exists()
    error = (folder / "refused" / "b.csv.error.txt").read_text()
    assert "unknown code 'gold'" in error


def test_live_demo_changes_no_history(tmp_path: Path, demo_warehouse_path: Path) -> None:
    from tools.ingest.live_demo import LiveDemo

    shutil.copyfile(demo_warehouse_path, tmp_path / "warehouse.duckdb")
    history = (
        "SELECT count(*), sum(reopened_count), count(resolved_at), sum(contacts) "
        "FROM tickets WHERE source = 'demo'"
    )
    with IngestWriter(tmp_path / "warehouse.duckdb", tmp_path / "ingest", publish_every_s=0) as w:
        before = rows(w, history)
        engine = make_engine(f"duckdb:///{w.warehouse}", read_only=True)
        demo = LiveDemo.from_warehouse(engine, rate=50)
        engine.dispose()
        for minute in range(5):
            w.inbox.put("live_demo", demo.events(NOW + timedelta(minutes=minute), 60))
        while w.step():
            pass
        w.publish()
        live = rows(w, "SELECT count(*), count(resolved_at) FROM tickets WHERE source='live_demo'")
        assert rows(w, history) == before
        quarantined = rows(w, "SELECT count(*) FROM sp_quarantine")
    assert live[0][0] > 500 and 0 < live[0][1] < live[0][0]
    assert quarantined == [(0,)]
    assert json.loads(json.dumps(w.stats.__dict__))["quarantined"] == 0


def test_quiet_source_alert_after_three_usual_gaps(writer: IngestWriter) -> None:
    from tools.ingest.store import Batch

    start = NOW - timedelta(hours=2)
    for i in range(5):  # a batch every 10 minutes
        at = start + timedelta(minutes=10 * i)
        events, _ = validate_batch([ticket(f"Q-{i}", at)])
        writer.apply(Batch(f"q{i}", "crm", "http", at, events))
    writer.publish()
    last = start + timedelta(minutes=40)
    engine = make_engine(f"duckdb:///{writer.warehouse}", read_only=True)
    try:
        with engine.connect() as conn:
            soon = source_freshness(conn, last + timedelta(minutes=25))[0]
            later = source_freshness(conn, last + timedelta(minutes=31))[0]
    finally:
        engine.dispose()
    assert (soon.usual_gap_s, soon.quiet, later.quiet) == (600.0, False, True)
    assert later.alert(last + timedelta(minutes=31)) == (
        f"Source 'crm' has sent nothing for 31 min (usually every 10 min); its numbers stop "
        f"at {last:%Y-%m-%d %H:%M}. Check the sending system or its API key."
    )


def test_server_watch_accepts_published_snapshots(writer: IngestWriter) -> None:
    from tools.health import WarehouseWatch

    post(writer, [ticket("W-1", NOW)])
    watch = WarehouseWatch(f"duckdb:///{writer.warehouse}", ttl_s=0)
    post(writer, [ticket("W-2", NOW)])
    assert watch.check().status == "ok"


def test_unreadable_inbox_file_is_moved_aside(writer: IngestWriter) -> None:
    writer.inbox.new.mkdir(parents=True, exist_ok=True)
    (writer.inbox.new / "00000000000000000001-x.json").write_text("{truncated")
    post(writer, [ticket("R-1", NOW)])
    assert rows(writer, "SELECT ticket_id FROM tickets") == [("R-1",)]
    refused = writer.ingest_dir / "inbox.refused"
    assert (refused / "00000000000000000001-x.json").exists()
    error = (refused / "00000000000000000001-x.json.error.txt").read_text()
    assert error.startswith("JSONDecodeError: ")


def test_inbox_holds_validated_events_and_an_older_raw_file_still_applies(
    writer: IngestWriter,
) -> None:
    """A post is validated once, when stored: the inbox file carries the good events as
    columns and the problems as rows, and the writer applies it without validating again. A
    file an earlier version wrote (the raw events) is validated when read."""
    writer.inbox.put("crm", [ticket("V-1", NOW), ticket("V-2", NOW, contacts=-1)])
    [stored] = writer.inbox.pending()
    body = json.loads(stored.read_text())
    assert body["events"]["entity_id"] == ["V-1"]
    assert [p[:2] for p in body["problems"]] == [[1, "data.contacts"]]
    legacy = {
        "batch_id": "legacy-1",
        "source": "crm",
        "origin": "http",
        "received_at": NOW.isoformat(),
        "events": [ticket("V-3", NOW), ticket("V-4", NOW, channel="fax")],
    }
    (writer.inbox.new / "00000000000000000002-legacy.json").write_text(json.dumps(legacy))
    post(writer, [])
    assert rows(writer, "SELECT ticket_id FROM tickets ORDER BY 1") == [("V-1",), ("V-3",)]
    assert rows(writer, "SELECT field, file_row FROM sp_quarantine ORDER BY field") == [
        ("data.channel", 2),
        ("data.contacts", 2),
    ]


def test_publishing_waits_longer_while_a_backlog_waits(writer: IngestWriter) -> None:
    """A publish copies the whole file: with a backlog it comes at most once per 10x its own
    duration (capped, the freshness goal), without one every ``publish_every_s``."""
    from tools.ingest.writer import BACKLOG_PUBLISH_MAX_S, BACKLOG_PUBLISH_RATIO

    post(writer, [ticket("P-1", NOW)])
    took = writer.stats.last_publish_s
    assert took > 0
    assert writer.publish_interval() == writer.publish_every_s == 0
    writer.inbox.put("crm", [ticket("P-2", NOW)])
    expected = min(BACKLOG_PUBLISH_MAX_S, BACKLOG_PUBLISH_RATIO * took)
    assert writer.publish_interval() == pytest.approx(expected)
    writer.step()
    assert writer.publish_interval() == 0  # drained: back to every publish_every_s
    assert writer.maybe_publish()


def test_a_running_writer_lets_posts_gather_before_applying(writer: IngestWriter) -> None:
    """Larger groups cost less per event: a fresh small inbox file waits for ``linger_s``;
    a file that has waited that long, or inbox files over LINGER_BYTES, are applied at once."""
    from tools.ingest.writer import LINGER_BYTES

    writer.inbox.put("crm", [ticket("L-1", NOW)])
    assert writer.step(linger_s=60) == 0
    assert len(writer.inbox.pending()) == 1
    time.sleep(0.3)
    assert writer.step(linger_s=0.2) == 1
    big = [ticket(f"L-big-{i}", NOW, description="x" * 5_000) for i in range(LINGER_BYTES // 5_000)]
    writer.inbox.put("crm", big)
    assert writer.step(linger_s=60) == 1
    writer.publish()
    assert rows(writer, "SELECT count(*) FROM tickets WHERE ticket_id LIKE 'L-%'") == [
        (1 + len(big),)
    ]


READER = """
import sys, time
import sqlalchemy as sa
from tools.warehouse.engine import make_engine
engine = make_engine(sys.argv[1], read_only=True)
deadline = time.monotonic() + float(sys.argv[2])
count = None
while time.monotonic() < deadline and count != int(sys.argv[3]):  # until the last snapshot
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM tickets")).scalar()
    print(count, flush=True)
    time.sleep(0.02)
"""


def test_reader_processes_follow_snapshots_without_lock_errors(writer: IngestWriter) -> None:
    post(writer, [ticket(f"P0-{i}", NOW) for i in range(50)])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    url = f"duckdb:///{writer.warehouse}"
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, url, "120", "550"],  # a loaded machine is slow
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    time.sleep(2.5)  # the readers are up and reading
    for b in range(1, 11):
        post(writer, [ticket(f"P{b}-{i}", NOW) for i in range(50)])
        time.sleep(0.2)
    for proc in readers:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        counts = [int(line) for line in out.split()]
        assert counts == sorted(counts) and all(c % 50 == 0 for c in counts)
        assert counts[-1] == 550, counts[-5:]


def test_posts_of_one_event_apply_as_one_group(tmp_path: Path) -> None:
    """Sources that post one event at a time: 201 inbox files (a redelivery among them) are
    applied in one group, every batch recorded once with its own counts, and the applied
    files leave the inbox (deleted in the background, also when a writer stopped before)."""
    ingest = tmp_path / "ingest"
    with IngestWriter(tmp_path / "warehouse.duckdb", ingest, publish_every_s=0) as w:
        for i in range(100):
            w.inbox.put("crm", ticket(f"S-{i}", NOW - timedelta(hours=1)))
        for i in range(100):
            w.inbox.put("crm", update(f"S-{i}", "first_response", NOW))
        w.inbox.put("crm", update("S-7", "first_response", NOW))  # redelivered
        assert w.step() == 201
        assert w.stats.batches == 201
        w.publish()
    assert list(w.inbox.new.glob("*.json")) == [] and list(w.inbox.applied.iterdir()) == []
    left_behind = w.inbox.applied / "00000000000000000003-left.json"
    left_behind.write_text("{}")  # a writer killed after its commit, before deleting
    with IngestWriter(tmp_path / "warehouse.duckdb", ingest, publish_every_s=0) as w:
        assert w.step() == 0  # applied files are not batches waiting
    assert not left_behind.exists()
    assert rows(w, "SELECT count(*), count(first_response_at) FROM tickets") == [(100, 100)]
    assert rows(
        w, "SELECT count(*), sum(events), sum(new_events), count(DISTINCT batch_id) "
        "FROM sp_ingest_batches"
    ) == [(201, 201, 200, 201)]  # fmt: skip


def test_writer_runs_at_lower_cpu_priority(tmp_path: Path) -> None:
    """``ingest run --nice N``: every thread of the writer runs N nice levels lower (DuckDB's
    and the hooks' threads included), so user queries win busy cores."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SERVICEPILOT_DATA_DIR": str(tmp_path)}
    own = os.getpriority(os.PRIO_PROCESS, 0)
    command = [*_writer_cli(tmp_path, "--nice", "7"), "--no-rules"]
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # "Ingest writer on ...": open, threads started
        assert line.startswith("Ingest writer on"), line
        tasks = list(Path(f"/proc/{proc.pid}/task").iterdir())
        nice = {int(t.name): os.getpriority(os.PRIO_PROCESS, int(t.name)) for t in tasks}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert len(nice) >= 2  # the main thread and at least the writer's deleting thread
    assert set(nice.values()) == {min(19, own + 7)}
