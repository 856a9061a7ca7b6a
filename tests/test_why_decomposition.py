"""The why-analysis of a rate splits each segment's contribution into its own rate's change and
its share's change (shift-share), adds up to the total change exactly, and says when the total
change lies within sampling noise instead of attributing noise to segments."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from semantic_layer.stats import change_z
from tools.cases.why import _contributions


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    # Southwest's CSAT rises 80 → 96 while its share of answers falls 40 % → 10 %; south is
    # flat at 50 and grows; a new segment (north) appears.
    before = pd.DataFrame(
        {"region": ["southwest", "south"], "csat": [80.0, 50.0], "csat__n": [400, 600]}
    )
    now = pd.DataFrame(
        {
            "region": ["southwest", "south", "north"],
            "csat": [96.0, 50.0, 70.0],
            "csat__n": [100, 800, 100],
        }
    )
    return now, before


def _overall(frame: pd.DataFrame) -> float:
    return float((frame["csat"] * frame["csat__n"]).sum() / frame["csat__n"].sum())


def test_rate_contributions_split_into_rate_and_share_and_add_up():
    now, before = _frames()
    change = _overall(now) - _overall(before)
    parts = {c.value: c for c in _contributions("region", "csat", now, before, 1.0, False, change)}
    assert sum(c.contribution for c in parts.values()) == pytest.approx(change, abs=1e-9)
    southwest = parts["southwest"]
    assert southwest.rate_effect > 0 > southwest.mix_effect  # better rate, smaller share
    assert southwest.contribution == pytest.approx(southwest.rate_effect + southwest.mix_effect)
    assert (southwest.weight_before, southwest.weight_now) == (0.4, 0.1)
    # A flat rate moves the total only through its share: south is below the overall rate,
    # so its growth pulls the total down; its own rate did not change.
    assert parts["south"].rate_effect == 0 and parts["south"].mix_effect < 0
    # A segment that appears: no rate change, only its share.
    assert parts["north"].rate_effect == 0 and parts["north"].weight_before == 0


def test_change_z_judges_noise_by_kind_and_sample():
    assert change_z(70.47, 70.59, "%", "ratio", n=1100, n_previous=1050) < 0.2
    assert change_z(60.0, 70.0, "%", "ratio", n=1000) > 4
    assert change_z(577, 567, "complaints", "simple") == pytest.approx(10 / math.sqrt(1144))
    # A previous count scaled from a period twice as long is twice as precise.
    assert change_z(140, 100, "complaints", "simple", previous_scale=0.5) == pytest.approx(
        40 / math.sqrt(190)
    )
    assert change_z(5.0, 4.0, "hours", "ratio", n=100) is None  # a mean: not judged
    assert change_z(None, 4.0, "%", "ratio", n=10) is None


def _report(beyond_noise: bool) -> dict:
    contribution = {
        "dimension": "region",
        "value": "southwest",
        "before": 79.2,
        "now": 95.9,
        "contribution": -2.3,
        "share_of_change": 19.6,
        "weight_before": 0.12,
        "weight_now": 0.05,
        "rate_effect": 1.4,
        "mix_effect": -3.7,
    }
    return {
        "metric": "csat",
        "period": ["2026-10-01", "2026-11-01"],
        "previous": ["2026-09-01", "2026-10-01"],
        "scope": {},
        "value_before": 70.6,
        "value_now": 70.5,
        "change": -0.1,
        "top_contributors": [contribution],
        "drilldown": [],
        "grown_themes": [],
        "theme_scope": {},
        "note_codes": [],
        "change_z": 0.1 if not beyond_noise else 3.0,
        "beyond_noise": beyond_noise,
    }


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_change_within_noise_is_said_and_not_attributed(language):
    from assistant.answer.why_text import why_text
    from assistant.planning.lexicon import lexicon_for
    from semantic_layer.catalog_loader import default_catalog

    catalog = default_catalog()
    text = why_text(_report(beyond_noise=False), lexicon_for(catalog), catalog, language)
    if language == "zh":
        assert "正常波动范围内（变化幅度只有抽样误差的 0.1 倍" in text and "变动最大的细分" in text
        assert "超过总变化" not in text and "占总变化" not in text
        assert "样本占比 12% → 5%" in text and "其中比率变化 +1.4 个百分点，占比变化 -3.7" in text
    else:
        assert "within normal variation (it is 0.1 standard errors" in text
        assert "Largest movements" in text
        assert "of the total change" not in text and "more than the total" not in text
        assert "share of the sample 12% → 5%" in text and "(rate +1.4 points, share -3.7" in text
    beyond = why_text(_report(beyond_noise=True), lexicon_for(catalog), catalog, language)
    assert ("正常波动" if language == "zh" else "normal variation") not in beyond
