"""Cockpit targets: the packaged file is valid, lookup picks the most specific slice, status
follows the metric's good direction, and bad files name file:line and the fix."""

from __future__ import annotations

import pytest

from semantic_layer.catalog_loader import default_catalog
from tools.monitoring.targets import Target, TargetsError, load_targets


def test_packaged_targets_load_and_pick_the_most_specific_slice():
    targets = load_targets(None, default_catalog())
    assert targets.find("csat").target == 75
    assert targets.find("csat", region="south").target == 65  # the region's own target
    assert targets.find("csat", region="east").target == 75  # company-wide applies to a slice
    assert targets.find("complaint_volume").target == 500
    assert targets.find("complaint_volume", region="east") is None  # company_only count


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
        "  - metric: csat\n"
        "    region: esat\n"
        "    target: 75\n"
        "    warning: 70\n"
        "    ownr: me\n",
        encoding="utf-8",
    )
    with pytest.raises(TargetsError) as info:
        load_targets(bad, default_catalog())
    assert any(f"{bad}:12:" in p and "Did you mean 'owner'" in p for p in info.value.problems)
    bad.write_text(bad.read_text(encoding="utf-8").replace("    ownr: me\n", ""), "utf-8")
    with pytest.raises(TargetsError) as info:
        load_targets(bad, default_catalog())
    problems = info.value.problems
    assert len(problems) == 3
    assert f"{bad}:2:" in problems[0] and "Did you mean 'csat'" in problems[0]
    assert f"{bad}:7:" in problems[1] and "must be at or above target" in problems[1]
    assert f"{bad}:9:" in problems[2] and "Did you mean 'east'" in problems[2]
