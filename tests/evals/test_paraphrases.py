"""The paraphrase file's rules: known development originals, three or more, same language."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.cases import CaseFileError, load_cases
from evals.paraphrases import consistency, floor_violations, load_paraphrases
from evals.runner import CORRECT, NO_NUMBER, WRONG_NUMBER, CaseResult


def test_every_paraphrase_is_in_its_originals_language_and_new():
    originals = load_cases(held_out="exclude")
    variants = load_paraphrases(originals)
    by_id = {o.case.id: o.case for o in originals}
    for v in variants:
        base = by_id[v.case.id.rsplit("__p", 1)[0]]
        assert v.case.language == base.language and v.case.today == base.today
        assert v.case.question != base.question and v.case.expect == base.expect


def test_bad_paraphrase_files_list_every_problem(tmp_path: Path):
    originals = load_cases(held_out="exclude")
    bad = tmp_path / "p.yml"
    bad.write_text(
        "paraphrases:\n"
        "  no_such_case: [a, b, c]\n"
        "  en_csat_last_month: [csat for last month]\n"
        "  zh_csat_last_month: [上个月满意度, last month csat, 上月CSAT]\n",
        encoding="utf-8",
    )
    with pytest.raises(CaseFileError) as info:
        load_paraphrases(originals, bad)
    text = str(info.value)
    assert f"{bad}:2 'no_such_case': no development case" in text
    assert f"{bad}:3 'en_csat_last_month': needs a list of at least 3" in text
    assert f"{bad}:4 'zh_csat_last_month': paraphrase 2 is not in zh" in text


def _result(case_id: str, lang: str, outcome: str) -> CaseResult:
    return CaseResult(
        case_id=case_id,
        suite="paraphrase:x",
        language=lang,
        tags=("single_value",),
        held_out=False,
        expect="number",
        question="q",
        passed=outcome == CORRECT,
        outcome=outcome,
        reasons=(),
        plan_kind="metric",
        plan_match=None,
        number_given=outcome != NO_NUMBER,
        latency_ms=1.0,
    )


def test_consistency_counts_same_asked_and_different():
    results = [
        _result("a__p1", "zh", CORRECT),
        _result("a__p2", "zh", NO_NUMBER),
        _result("a__p3", "zh", WRONG_NUMBER),
        _result("b__p1", "en", CORRECT),
    ]
    stats = consistency(results)
    assert stats["zh"] == {
        "paraphrases": 3,
        "same_answer": 1,
        "no_number": 1,
        "different_numbers": 1,
        "different_number_cases": ["a__p3"],
        "consistency": 33.3,
    }
    floors = {"paraphrases": {"consistency": {"zh": 0.3, "en": 1.0}, "max_different_numbers": 0}}
    assert floor_violations(stats, floors) == ["paraphrases: 1 different numbers > 0"]
