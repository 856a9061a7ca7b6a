"""The cockpit's Excel and CSV export, written and read back (openpyxl, pandas): every sheet
there, the numbers equal the certified queries, labels in the viewer's language, a regional
manager's file holds their region only; and the live view's wording."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import openpyxl
import pandas as pd
import pytest

from assistant.app import build_app
from assistant.headline import HEADLINE_METRICS
from assistant.ui.context import UIContext
from assistant.ui.export import export_file
from assistant.ui.live_panel import ago_text, countdown, live_html, sla_frame
from semantic_layer.query import MetricQuery, TimeRange
from tools.monitoring.live import DueTicket, LiveView

TODAY = date(2026, 11, 22)
OCTOBER = {"start": date(2026, 10, 1), "end": date(2026, 11, 1)}


@pytest.fixture(scope="module")
def ctx(demo_warehouse_url):
    app = build_app(None, "test", warehouse=demo_warehouse_url, today=TODAY)
    yield UIContext(api=app.api, default_role="executive")
    app.close()


def _export(ctx, role, kind, lang, scope=None):
    return export_file(
        ctx,
        role,
        kind,
        lang,
        scope=scope,
        trend_metric="csat",
        metrics=HEADLINE_METRICS,
        **OCTOBER,
    )


def test_excel_holds_every_part_with_certified_numbers(ctx):
    path = _export(ctx, "executive", "xlsx", "zh")
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["指标", "趋势", "按区域", "按渠道", "今日实时", "预警"]
    kpis = pd.read_excel(path, sheet_name="指标")
    assert list(kpis.columns)[:3] == ["指标", "期间", "数值"]
    assert len(kpis) == len(HEADLINE_METRICS)
    expected = ctx.api.query_metrics(
        MetricQuery(
            metrics=("complaint_volume",),
            time_range=TimeRange(**OCTOBER),
            compare_to="previous_period",
        ),
        "executive",
    ).data.iloc[0]
    row = kpis[kpis["指标"] == "投诉量"].iloc[0]
    assert row["数值"] == expected["complaint_volume"]
    assert row["上期"] == expected["complaint_volume__previous"]
    regions = pd.read_excel(path, sheet_name="按区域")
    assert set(regions["区域"]) == {"华东", "华北", "华南", "华中", "西南", "西北", "东北"}
    trend = pd.read_excel(path, sheet_name="趋势")
    assert len(trend) == 12 and trend["期间"].iloc[-1] == "2026-10"


def test_a_regional_managers_export_holds_their_region_only(ctx):
    path = _export(ctx, "east_manager", "xlsx", "en")
    regions = pd.read_excel(path, sheet_name="By region")
    assert list(regions["Region"]) == ["East China"]
    everyone = pd.read_excel(_export(ctx, "executive", "xlsx", "en"), sheet_name="KPIs")
    east = pd.read_excel(path, sheet_name="KPIs")
    volume = "Complaint volume"
    assert (
        east.set_index("Metric").loc[volume, "Value"]
        < everyone.set_index("Metric").loc[volume, "Value"]
    )


def test_csv_is_long_form_utf8_with_bom(ctx):
    path = _export(ctx, "executive", "csv", "en")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"  # Excel opens Chinese text correctly
    frame = pd.read_csv(path, encoding="utf-8-sig")
    assert list(frame.columns) == ["Table", "Item", "Dimension", "Value"]
    assert {"KPIs", "Trend", "By region", "By channel", "Today live"} <= set(frame["Table"])
    csat = frame[(frame["Table"] == "KPIs") & (frame["Item"] == "CSAT")]
    assert not csat.empty


def test_live_wording_in_both_languages(ctx):
    now = datetime(2026, 10, 30, 14, 5)
    view = LiveView(
        now=now,
        wall_clock=now + timedelta(minutes=2, seconds=10),
        tickets_today=42,
        usual_today=38.4,
        usual_days=8,
        backlog=(("lt_4h", 3), ("4h_24h", 0), ("1d_3d", 2), ("gt_3d", 1)),
        sla_due_count=1,
        sla_due=(
            DueTicket("T1", "east", "urgent", "phone", "王芳", now + timedelta(minutes=75), 75),
        ),
        first_response_median_h=0.25,
    )
    zh = live_html(view, ctx.api.catalog, "zh")
    assert "数据更新于 2 分钟前" in zh and "前8个周五截至14:05的平均" in zh and "15.0分钟" in zh
    en = live_html(view, ctx.api.catalog, "en")
    assert "updated 2 min ago" in en and "mean of the last 8 Fridays up to 14:05" in en
    assert sla_frame(view, ctx.api.catalog, "zh").iloc[0].tolist() == [
        "T1",
        "华东",
        "紧急",
        "王芳",
        "10-30 15:20",
        "剩余 1小时15分",
    ]
    assert sla_frame(view, ctx.api.catalog, "en").iloc[0, -1] == "1 h 15 min left"
    assert countdown(40, "zh") == "剩余 40分钟" and countdown(40, "en") == "40 min left"
    assert ago_text(timedelta(days=3, hours=2), "en") == "3 days ago"
    assert ago_text(timedelta(seconds=5), "zh") == "5 秒前"


def test_the_export_follows_the_drill_scope(ctx):
    """Drilled into 华东, the file holds what the cockpit shows: East only."""
    from assistant.ui.drill import start_scope

    scope = start_scope("executive").down("region", "east")
    path = _export(ctx, "executive", "xlsx", "en", scope=scope)
    assert list(pd.read_excel(path, sheet_name="By region")["Region"]) == ["East China"]
