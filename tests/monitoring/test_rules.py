"""Rule files: strict validation with file:line, rule, field and did-you-mean (snapshots)."""

from __future__ import annotations

import pytest

from tools.monitoring.rules import RulesError, load_rules, parse_rules

BAD = """\
rules:
  - name: ok
    metric: ticket_volume
  - name: typo_metric
    metric: complaint_volum
    dimensions: [regoin]
  - name: extra_key
    metric: csat
    grian: week
  - name: bad_grain
    metric: csat
    grain: month
  - name: percentile
    metric: resolution_time_median
"""


def test_packaged_rules_load() -> None:
    config = load_rules()
    assert len(config.rules) >= 5
    assert {e.name for e in config.holiday_calendar().events} >= {"double_11", "spring_festival"}


def test_errors_snapshot() -> None:
    with pytest.raises(RulesError) as info:
        parse_rules(BAD, "rules.yml")
    assert str(info.value) == (
        "Invalid alert rules: 2 problem(s).\n"
        "  - rules.yml:9: rule 'extra_key', field 'grian': unknown key. Did you mean 'grain'? "
        "Valid keys: name, metric, dimensions, grain, windows, direction, thresholds, "
        "min_volume, baseline_periods, yearly, holidays, owner.\n"
        "  - rules.yml:12: rule 'bad_grain', field 'grain': Input should be 'day' or 'week'"
    )
    text = str(info.value)
    assert (
        "rules.yml:9: rule 'extra_key', field 'grian': unknown key. Did you mean 'grain'?" in text
    )
    assert "rules.yml:12: rule 'bad_grain', field 'grain': Input should be 'day' or 'week'" in text


def test_semantic_errors_snapshot() -> None:
    text = BAD.replace("    grian: week\n", "").replace("    grain: month\n", "")
    with pytest.raises(RulesError) as info:
        parse_rules(text, "rules.yml")
    assert str(info.value).splitlines()[:3] == [
        "Invalid alert rules: 3 problem(s).",
        "  - rules.yml:5: rule 'typo_metric', field 'metric': unknown metric 'complaint_volum'. "
        "Did you mean 'complaint_volume'?",
        "  - rules.yml:6: rule 'typo_metric', field 'dimensions.0': unknown dimension 'regoin'. "
        "Did you mean 'region'? Valid dimensions: region, channel, product_line, category, team.",
    ]
    assert (
        str(info.value)
        .splitlines()[3]
        .startswith(
            "  - rules.yml:12: rule 'percentile', field 'metric': metric 'resolution_time_median' "
            "cannot be monitored (only counts and proportion ratios can). Monitorable: "
        )
    )


def test_bad_yaml_has_line() -> None:
    with pytest.raises(
        RulesError, match=r"^Invalid alert rules: 1 problem\(s\).\n  - r.yml:3: not"
    ):
        parse_rules("rules:\n  - name: x\n   metric: [", "r.yml")


def test_duplicate_rule_names() -> None:
    with pytest.raises(RulesError, match="rule names must be unique; repeated: a"):
        parse_rules("rules:\n  - {name: a, metric: csat}\n  - {name: a, metric: csat}\n", "r.yml")
