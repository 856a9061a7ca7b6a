"""The cockpit's data-quality panel on a real live-ingest warehouse: per source the score,
problems, quarantined events and a daily trend, in zh and en; a regional role sees a note
instead of counts over every region."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from assistant.ui.quality_panel import TREND_DAYS, daily_counts, quality_html
from tools.ingest.writer import IngestWriter
from tools.warehouse.engine import make_engine

NOW = datetime.now().replace(microsecond=0)


def ticket(ticket_id: str, **data: object) -> dict:
    stamp = (NOW - timedelta(hours=1)).isoformat()
    fields = {
        "customer_id": "C-1",
        "channel": "phone",
        "ticket_type": "complaint",
        "category": "quality",
        "priority": "normal",
        "status": "open",
        "region": "east",
        "created_at": stamp,
        "sla_due_at": (NOW + timedelta(days=1)).isoformat(),
        **data,
    }
    return {"kind": "ticket", "id": ticket_id, "event_time": stamp, "data": fields}


def test_panel_shows_each_source_with_quarantine_and_trend(tmp_path: Path) -> None:
    with IngestWriter(tmp_path / "warehouse.duckdb", tmp_path / "ingest", publish_every_s=0) as w:
        w.inbox.put("crm", [ticket("T-1"), ticket("T-2"), ticket("T-3", channel="fax")])
        w.inbox.put("shop", [ticket("S-1"), ticket("S-2", contacts=-1)])
        while w.step():
            pass
    engine = make_engine(f"duckdb:///{tmp_path / 'warehouse.duckdb'}", read_only=True)
    try:
        today = date.today()
        counts = daily_counts(engine, today)
        assert counts["crm"]["received"][-1] == 2 and counts["crm"]["quarantined"][-1] == 1
        assert counts["shop"]["received"] == [0] * (TREND_DAYS - 1) + [1]
        en = quality_html(engine, "executive", "en", today)
        zh = quality_html(engine, "executive", "zh", today)
        regional = quality_html(engine, "east_manager", "en", today)
        agent = quality_html(engine, "agent", "en", today)
    finally:
        engine.dispose()
    assert "<th>Score</th>" in en and "<th>Quarantined</th>" in en and "<th>质量分</th>" in zh
    crm = en.split("data-source='crm'>")[1].split("</tr>")[0]
    # 2 rows landed, 1 quarantined: score 100 x (1 - 1/3)
    assert "<td>crm</td><td class='sp-quality-bad'>66.7</td><td>2</td><td>0</td><td>1</td>" in crm
    assert "<svg" in crm  # the trend
    assert "data-source='shop'" in en
    assert "Score" not in regional and "roles that see all regions" in regional
    assert "Score" not in agent


@pytest.mark.parametrize("background", [False, True], ids=["in_process", "background_lane"])
def test_panel_scans_once_per_data_version_and_again_after_new_data(
    tmp_path: Path, background: bool
) -> None:
    """The cockpit asks for the panel on every open; the warehouse is scanned once per data
    version (every viewer, both languages), and again as soon as new events have landed. In
    the server the scan runs in a background process at a low CPU priority: the same
    panel, and the file is free for the writer between scans."""
    from assistant.ui.quality_panel import KeptQuality
    from assistant.workers import BACKGROUND_NICE, BackgroundLane

    path = tmp_path / "warehouse.duckdb"
    with IngestWriter(path, tmp_path / "ingest", publish_every_s=0) as w:
        w.inbox.put("crm", [ticket("T-1"), ticket("T-2", channel="fax")])
        while w.step():
            pass
    engine = make_engine(f"duckdb:///{path}", read_only=True)
    lane = BackgroundLane() if background else None
    kept = KeptQuality(engine, lane)
    assert (kept.lane is not None) == background
    today = date.today()
    try:
        first = quality_html(engine, "executive", "en", today, kept)
        assert quality_html(engine, "analyst", "zh", today, kept).count("<tr data-source") == 1
        assert quality_html(engine, "executive", "en", today, kept) == first
        assert quality_html(engine, "east_manager", "en", today, kept).startswith("<p")
        assert kept.scans == 1
        assert first == quality_html(engine, "executive", "en", today)  # as scanned alone
        assert "<td>crm</td><td class='sp-quality-bad'>50.0</td><td>1</td>" in first
        engine.dispose()  # the writer needs the file to itself
        with IngestWriter(path, tmp_path / "ingest", publish_every_s=0) as w:
            w.inbox.put("crm", [ticket("T-3"), ticket("T-4")])
            while w.step():
                pass
        after = quality_html(engine, "executive", "en", today, kept)
        assert kept.scans == 2
        # 3 rows landed, 1 quarantined: score 100 x (1 - 1/4)
        assert "<td>crm</td><td class='sp-quality-bad'>75.0</td><td>3</td><td>0</td>" in after
        assert after == quality_html(engine, "executive", "en", today)
        if lane is not None:
            assert lane.call(os.nice, 0) == BACKGROUND_NICE > 0  # below every request's work
            assert lane.call(os.sched_getscheduler, 0) == os.SCHED_IDLE  # only on a free core
    finally:
        engine.dispose()
        if lane is not None:
            lane.close()
