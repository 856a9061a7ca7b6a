"""Numbers in answers read the way people say them: short durations in minutes, a change of a
percentage in points (beside the relative change), other values in the metric's own format."""

from __future__ import annotations

import pytest

from assistant.answer.narrate import format_change, format_value
from semantic_layer.catalog_loader import default_catalog
from semantic_layer.executor import MetricMeta


def meta(name: str) -> MetricMeta:
    catalog = default_catalog()
    return MetricMeta.of(catalog.metric(name), catalog)


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (0.155833, "9.3分钟", "9.3 minutes"),
        (0.99, "59.4分钟", "59.4 minutes"),
        (1.5, "1.50小时", "1.50 hours"),
        (25.42, "25.42小时", "25.42 hours"),
    ],
)
def test_durations_under_an_hour_read_in_minutes(value, zh, en):
    frt = meta("first_response_time_median")
    assert format_value(value, frt, "zh") == zh
    assert format_value(value, frt, "en") == en


def test_a_change_of_a_percentage_is_in_points():
    csat = meta("csat")
    assert format_change(-0.1, csat, "zh") == "0.1个百分点"
    assert format_change(2.25, csat, "en") == "2.2 points"


def test_a_short_change_of_a_duration_is_in_minutes():
    frt = meta("first_response_time_median")
    assert format_change(-0.024, frt, "zh") == "1.4分钟"
    assert format_change(2.0, frt, "en") == "2.00 hours"
    assert format_change(-12.0, meta("complaint_volume"), "zh") == "12件"


def test_minutes_metrics_keep_their_unit():
    aht = meta("average_handle_time")
    assert format_value(20.24437, aht, "zh") == "20.2分钟"


@pytest.mark.parametrize(
    ("grain", "zh", "en"),
    [
        ("month", "2026年10月", "October 2026"),
        ("quarter", "2026年第4季度", "Q4 2026"),
        ("year", "2026年", "2026"),
        ("day", "2026-10-01", "2026-10-01"),
    ],
)
def test_periods_read_as_people_write_them(grain, zh, en):
    from datetime import date

    from assistant.planning.period_text import format_period

    assert format_period(date(2026, 10, 1), grain, "zh") == zh
    assert format_period(date(2026, 10, 1), grain, "en") == en


def _why_report(**changes):
    report = {
        "metric": "complaint_volume",
        "period": ["2026-10-01", "2026-11-01"],
        "previous": ["2026-09-01", "2026-10-01"],
        "scope": {},
        "value_before": 596.2333,  # scaled for 31 vs 30 days
        "value_now": 557.0,
        "change": -39.2333,
        "top_contributors": [],
        "drilldown": [],
        "grown_themes": [],
        "theme_scope": {},
        "note_codes": [],
    }
    return {**report, **changes}


def test_why_counts_read_as_whole_numbers_and_months_by_name():
    from assistant.answer.why_text import why_text
    from assistant.planning.lexicon import lexicon_for

    catalog = default_catalog()
    zh = why_text(_why_report(), lexicon_for(catalog), catalog, "zh")
    assert zh.startswith("投诉量：2026年10月为 557件，对比2026年9月的 596件，下降 39件。"), zh
    en = why_text(_why_report(), lexicon_for(catalog), catalog, "en")
    assert "557 complaints in October 2026 against 596 complaints in September 2026" in en


def test_why_without_data_in_a_period_explains_nothing():
    from assistant.answer.why_text import why_text
    from assistant.planning.lexicon import lexicon_for

    catalog = default_catalog()
    report = _why_report(value_now=None, change=None, period=["2026-11-02", "2026-11-09"])
    zh = why_text(report, lexicon_for(catalog), catalog, "zh")
    assert zh == "投诉量在2026-11-02 ~ 2026-11-08没有数据，无法分析变化原因。"


def _frame_breakdown(values: dict[str, float], language: str) -> str:
    from assistant.answer.narrate import _breakdown
    from assistant.planning.lexicon import Lexicon

    rows = [{"product_line": k, "complaint_volume": v} for k, v in values.items()]
    lexicon = Lexicon(default_catalog())
    volume = meta("complaint_volume")
    return _breakdown(rows, volume, ("product_line",), lexicon, language, False, False)


def test_groups_tied_at_an_end_are_named_together_never_one_of_them():
    """空调 and 电视 both had 30 complaints: "最高的是空调" would be a wrong fact."""
    values = {"air_conditioner": 30, "refrigerator": 25, "television": 30, "water_heater": 18}
    zh = _frame_breakdown(values, "zh")
    assert "最高的是空调、电视（并列，各30件）" in zh and "最低的是热水器（18件）" in zh
    en = _frame_breakdown(values, "en")
    assert "tied, 30 complaints each" in en
    same = _frame_breakdown({"television": 5, "air_conditioner": 5}, "zh")
    assert "相同" in same and "最高" not in same


def test_months_tied_at_a_peak_are_all_named():
    from datetime import date

    from assistant.answer.narrate import _trend

    months = [date(2026, m, 1) for m in (7, 8, 9, 10)]
    frame = [
        {"period": m, "complaint_volume": v} for m, v in zip(months, [40, 52, 52, 31], strict=True)
    ]
    zh = _trend(frame, meta("complaint_volume"), "month", "zh", set(months))
    assert "最高在2026年8月、2026年9月（52件）" in zh and "最低在2026年10月（31件）" in zh
    en = _trend(frame, meta("complaint_volume"), "month", "en", set(months))
    assert "highest in August 2026, September 2026 (52 complaints)" in en
