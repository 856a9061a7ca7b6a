"""Cockpit targets: the packaged file is valid, lookup picks the most specific slice, status
follows the metric's good direction, and bad files name file:line and the fix."""

from __future__ import annotations

from datetime import date

import pytest

from semantic_layer.catalog_loader import default_catalog
from tools.monitoring.targets import Target, TargetsError, load_targets


def test_packaged_targets_load_and_pick_the_most_specific_slice():
    targets = load_targets(None, default_catalog())
    assert targets.find("csat").target == 75
    assert targets.find("csat", region="south").target == 65  # the region's own target
    assert targets.find("csat", region="east").target == 75  # company-wide applies to a slice
    october = (date(2026, 10, 1), date(2026, 11, 1))
    assert targets.find("complaint_volume", span=october).target == 500
    assert targets.find("complaint_volume", region="east", span=october) is None  # company_only


@pytest.mark.parametrize(
    ("span", "applies"),
    [
        ((date(2026, 10, 1), date(2026, 11, 1)), True),  # a calendar month
        ((date(2026, 2, 1), date(2026, 3, 1)), True),
        ((date(2026, 10, 26), date(2026, 11, 2)), False),  # a week
        ((date(2026, 7, 1), date(2026, 10, 1)), False),  # a quarter
        ((date(2026, 10, 2), date(2026, 11, 1)), False),  # the last 30 days
        ((date(2026, 10, 1), date(2026, 10, 16)), False),  # part of a month
        (None, False),  # the caller did not say
    ],
)
def test_a_count_target_judges_only_values_over_its_period(span, applies):
    """500 complaints a month says nothing about a week or a quarter: no status rather than a
    false 'on target' (a week's 114 against 500) or a false breach (a quarter's 1,400)."""
    targets = load_targets(None, default_catalog())
    assert (targets.find("complaint_volume", span=span) is not None) is applies
    assert targets.find("csat", span=span).target == 75  # a rate's target fits any period


def test_a_count_target_without_its_period_is_refused(tmp_path):
    bad = tmp_path / "targets.yml"
    bad.write_text(
        "targets:\n  - metric: complaint_volume\n    target: 120\n    warning: 150\n",
        encoding="utf-8",
    )
    with pytest.raises(TargetsError) as info:
        load_targets(bad, default_catalog())
    (only,) = info.value.problems
    assert f"{bad}:2:" in only and "Add `period: month`" in only
    bad.write_text(bad.read_text(encoding="utf-8") + "    period: week\n", encoding="utf-8")
    week = (date(2026, 10, 26), date(2026, 11, 2))
    assert load_targets(bad, default_catalog()).find("complaint_volume", span=week).target == 120


@pytest.mark.parametrize(
    ("direction", "value", "status"),
    [("up", 80, "ok"), ("up", 72, "warning"), ("up", 60, "breach"), ("up", 75, "ok")],
)
def test_status_when_higher_is_better(direction, value, status):
    assert Target(metric="csat", target=75, warning=70).status(value, direction) == status


@pytest.mark.parametrize(("value", "status"), [(480, "ok"), (520, "warning"), (557, "breach")])
def test_status_when_lower_is_better(value, status):
    target = Target(metric="complaint_volume", target=500, warning=550)
    assert target.status(value, "down") == status


def test_bad_file_lists_every_problem_with_line(tmp_path):
    bad = tmp_path / "targets.yml"
    bad.write_text(
        "targets:\n"
        "  - metric: csatt\n"
        "    target: 75\n"
        "    warning: 70\n"
        "  - metric: complaint_volume\n"
        "    target: 500\n"
        "    warning: 400\n"
        "    period: month\n"
        "  - metric: csat\n"
        "    region: esat\n"
        "    target: 75\n"
        "    warning: 70\n"
        "    ownr: me\n",
        encoding="utf-8",
    )
    with pytest.raises(TargetsError) as info:
        load_targets(bad, default_catalog())
    assert any(f"{bad}:13:" in p and "Did you mean 'owner'" in p for p in info.value.problems)
    bad.write_text(bad.read_text(encoding="utf-8").replace("    ownr: me\n", ""), "utf-8")
    with pytest.raises(TargetsError) as info:
        load_targets(bad, default_catalog())
    problems = info.value.problems
    assert len(problems) == 3
    assert f"{bad}:2:" in problems[0] and "Did you mean 'csat'" in problems[0]
    assert f"{bad}:7:" in problems[1] and "must be at or above target" in problems[1]
    assert f"{bad}:10:" in problems[2] and "Did you mean 'east'" in problems[2]
