"""Rule files: strict validation with file:line, rule, field and did-you-mean (snapshots)."""

from __future__ import annotations

import pytest

from semantic_layer.catalog_loader import default_catalog
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
    config = load_rules(None, default_catalog())
    assert len(config.rules) >= 5
    assert {e.name for e in config.holiday_calendar().events} >= {"double_11", "spring_festival"}


def test_errors_snapshot() -> None:
    with pytest.raises(RulesError) as info:
        parse_rules(BAD, "rules.yml", default_catalog())
    assert str(info.value) == (
        "Invalid alert rules: 2 problem(s).\n"
        "  - rules.yml:9: rule 'extra_key', field 'grian': unknown key. Did you mean 'grain'? "
        "Valid keys: name, metric, dimensions, grain, windows, direction, thresholds, "
        "min_volume, baseline_periods, yearly, holidays, relative_to, owner.\n"
        "  - rules.yml:12: rule 'bad_grain', field 'grain': Input should be 'day' or 'week'."
    )
    text = str(info.value)
    assert (
        "rules.yml:9: rule 'extra_key', field 'grian': unknown key. Did you mean 'grain'?" in text
    )
    assert "rules.yml:12: rule 'bad_grain', field 'grain': Input should be 'day' or 'week'" in text


def test_semantic_errors_snapshot() -> None:
    text = BAD.replace("    grian: week\n", "").replace("    grain: month\n", "")
    with pytest.raises(RulesError) as info:
        parse_rules(text, "rules.yml", default_catalog())
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
        parse_rules("rules:\n  - name: x\n   metric: [", "r.yml", default_catalog())


def test_duplicate_rule_names() -> None:
    with pytest.raises(RulesError, match="rule names must be unique; repeated: a"):
        parse_rules(
            "rules:\n  - {name: a, metric: csat}\n  - {name: a, metric: csat}\n",
            "r.yml",
            default_catalog(),
        )


def test_relative_to_errors_name_field_and_fix() -> None:
    text = """\
rules:
  - name: all_dims
    metric: complaint_volume
    dimensions: [region, category]
    relative_to: [region, category]
  - name: not_a_dim
    metric: complaint_volume
    dimensions: [region, category]
    relative_to: [channel]
"""
    with pytest.raises(RulesError) as info:
        parse_rules(text, "r.yml", default_catalog())
    lines = str(info.value).splitlines()
    assert lines[1].startswith(
        "  - r.yml:5: rule 'all_dims', field 'relative_to': must list some, not "
        "all, of the rule's dimensions ['region', 'category']"
    )
    assert lines[2].startswith("  - r.yml:9: rule 'not_a_dim', field 'relative_to':")
    assert lines[2].endswith("(channel is not one of them)")


def test_relative_to_needs_a_count_metric() -> None:
    text = (
        "rules:\n  - name: rate\n    metric: sla_breach_rate\n"
        "    dimensions: [region, channel]\n    relative_to: [channel]\n"
    )
    with pytest.raises(
        RulesError,
        match=r"r.yml:5: rule 'rate', field 'relative_to': relative_to "
        r"needs a count metric; 'sla_breach_rate' is already a rate",
    ):
        parse_rules(text, "r.yml", default_catalog())
