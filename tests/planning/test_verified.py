"""Verified questions: every entry compiles, near-identical wording matches, bad files fail."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.planning.offline import OfflinePlanner
from assistant.planning.plans import ConversationState, MetricPlan
from assistant.planning.verified import (
    VerifiedQuestionsError,
    load_verified_questions,
)
from semantic_layer.catalog_loader import default_catalog


def test_every_entry_compiles_against_the_catalog():
    verified = load_verified_questions(catalog=default_catalog())
    assert len(verified.entries) >= 4


def test_matching_is_near_exact_and_labelled():
    planner = OfflinePlanner()
    state = ConversationState(today=date(2026, 11, 22))
    plan = planner.plan("上个月各大区的客户满意度是多少", state)  # punctuation differs
    assert isinstance(plan, MetricPlan) and plan.verified
    assert plan.query.dimensions == ("region",)
    other = planner.plan("上个月各大区的NPS是多少？", state)  # a different question
    assert isinstance(other, MetricPlan) and not other.verified


def test_invalid_entry_names_entry_and_field(tmp_path):
    bad = tmp_path / "v.yml"
    bad.write_text(
        "questions:\n  - id: broken\n    phrasings: [x]\n    query: {metrics: [csat]}\n"
        "    owner: a\n    verified_on: 2026-01-01\n    tiem: 上个月\n"
    )
    with pytest.raises(
        VerifiedQuestionsError,
        match=r"v\.yml:7: question 'broken', field 'tiem': unknown key\. Did you mean 'time'\?",
    ):
        load_verified_questions(bad)
    unknown_metric = tmp_path / "m.yml"
    unknown_metric.write_text(
        "questions:\n  - id: typo\n    phrasings: [x]\n    query: {metrics: [csta]}\n"
        "    owner: a\n    verified_on: 2026-01-01\n"
    )
    with pytest.raises(VerifiedQuestionsError, match="Did you mean 'csat'"):
        load_verified_questions(unknown_metric, catalog=default_catalog())
