"""The eval case files: valid, balanced, covering, and every check_sql is executable and agrees
with the certified definitions (two independent computations of every expected number)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from evals.cases import TAGS, CaseFileError, load_cases
from evals.runner import CheckRunner, compare_frames
from semantic_layer.catalog_loader import default_catalog


@pytest.fixture(scope="module")
def all_cases():
    return load_cases(held_out="include")


def test_case_files_are_valid_and_balanced(all_cases) -> None:
    cases = [c.case for c in all_cases]
    langs = Counter(c.language for c in cases)
    assert len(cases) >= 250
    assert langs["zh"] >= 0.4 * len(cases) and langs["en"] >= 0.4 * len(cases), langs
    assert sum(c.held_out for c in cases) >= 60
    refusals = [c for c in cases if c.expect.kind in ("clarification", "out_of_scope")]
    assert len(refusals) >= 30
    assert {t for c in cases for t in c.tags} == set(TAGS)


def test_cases_cover_every_certified_metric_and_dimension(all_cases) -> None:
    catalog = default_catalog()
    queries = [c.case.expected_query for c in all_cases if c.case.expected_query]
    used = {m for q in queries for m in q.metrics}
    certified = {m.name for m in catalog.spec.metrics if m.certified}
    assert certified - used == set()
    dims = {d.rsplit(".", 1)[-1] for q in queries for d in q.dimensions}
    dims |= {f.field.rsplit(".", 1)[-1] for q in queries for f in q.filters}
    for dimension in (
        "region",
        "channel",
        "ticket_type",
        "category",
        "priority",
        "status",
        "language",
        "root_cause",
        "escalated",
        "product_line",
        "product_name",
        "segment",
        "city",
        "team",
        "agent_name",
    ):
        assert dimension in dims, dimension
    grains = {q.time_grain for q in queries}
    assert {"day", "week", "month", "quarter"} <= grains
    assert {q.compare_to for q in queries} >= {"previous_period", "same_period_last_year"}


def test_number_cases_have_an_expected_query(all_cases) -> None:
    missing = [c.case.id for c in all_cases if c.case.expects_number and not c.case.expected_query]
    assert missing == []


def test_held_out_cases_live_only_in_held_out_files(all_cases) -> None:
    for item in all_cases:
        assert item.case.held_out == item.suite.startswith("held_out_"), item.where
    dev = load_cases(held_out="exclude")
    assert all(not c.case.held_out for c in dev)
    assert all(c.case.held_out for c in load_cases(held_out="only"))


def test_loader_names_file_line_case_and_field(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(
        "cases:\n"
        "- id: ok_case\n  question: q\n  language: zh\n  today: '2026-11-01'\n"
        "  tags: [out_of_scope]\n  expect: {out_of_scope: {}}\n"
        "- id: bad_case\n  question: q\n  language: fr\n  today: '2026-11-01'\n"
        "  tags: [single_value]\n  expect: {number: {}}\n  surprise: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(CaseFileError) as info:
        load_cases(tmp_path)
    text = str(info.value)
    assert "bad.yml:10: case 'bad_case', field 'language': Input should be 'zh' or 'en'." in text
    assert (
        "bad.yml:13: case 'bad_case', field 'expect.number': required key 'check_sql' is "
        "missing; add it." in text
    )
    assert "bad.yml:14: case 'bad_case', field 'surprise': unknown key. Valid keys: id," in text
    assert "ok_case" not in text


def test_every_check_sql_executes_and_agrees_with_the_semantic_layer(
    all_cases, demo_warehouse_url: str, eval_engine
) -> None:
    """check_sql is hand-written from the metric definitions; the expected_query runs through
    the compiler. Both must give the same rows, or one of them is wrong."""
    from semantic_layer.executor import execute

    catalog = default_catalog()
    problems = []
    with CheckRunner(demo_warehouse_url) as checks:
        for item in all_cases:
            case = item.case
            if case.expect.number is None:
                continue
            try:
                want = checks.frame(case.expect.number.check_sql)
            except Exception as exc:
                problems.append(f"{item.where}: check_sql fails: {exc}")
                continue
            if len(want) == 0:
                problems.append(f"{item.where}: check_sql returned no rows")
                continue
            assert case.expected_query is not None
            result = execute(case.expected_query, eval_engine, catalog=catalog)
            diffs = compare_frames(
                result.data, want, case.expect.number, set(result.metrics) | set(catalog.metrics)
            )
            if diffs:
                problems.append(f"{item.where}: {diffs}")
    assert problems == []
