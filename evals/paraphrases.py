"""The paraphrase suite: development cases asked again in other words (evals/paraphrases.yml).

A paraphrase is scored exactly like its original case (same ``today``, role, conversation and
independent ``check_sql``). The rule is "the same number, or a question back - never a different
number": ``consistency`` is the share answered like the original, ``different_numbers`` the
paraphrases that gave another number (the outcome that must stay at zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.cases import CaseFileError, LoadedCase
from evals.runner import CORRECT, WRONG_NUMBER, CaseResult
from semantic_layer.yaml_load import YamlFileError, read_yaml

PARAPHRASES_FILE = Path(__file__).resolve().parent / "paraphrases.yml"
MIN_PER_CASE = 3
SUFFIX = "__p"  # paraphrase ids: <original id>__p1, __p2, ...


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def load_paraphrases(
    originals: Sequence[LoadedCase], path: Path = PARAPHRASES_FILE
) -> list[LoadedCase]:
    """Paraphrase cases of ``originals`` (those listed in the file); CaseFileError lists
    every problem (unknown or held-out original, fewer than three, wrong language, repeats)."""
    try:
        doc = read_yaml(path)
    except YamlFileError as exc:
        raise CaseFileError([str(exc)]) from exc
    data = doc.data
    if not isinstance(data, dict) or set(data) != {"paraphrases"}:
        raise CaseFileError([f"{path}: a mapping with one key 'paraphrases' (id -> list)"])
    by_id = {item.case.id: item for item in originals}
    problems: list[str] = []
    out: list[LoadedCase] = []
    for case_id, questions in (data["paraphrases"] or {}).items():
        where = f"{path}:{doc.line_of('paraphrases', case_id)} '{case_id}'"
        original = by_id.get(case_id)
        if original is None:
            problems.append(f"{where}: no development case with this id")
            continue
        if original.case.held_out:
            problems.append(f"{where}: held-out cases are never paraphrased (they stay unseen)")
            continue
        if not isinstance(questions, list) or len(questions) < MIN_PER_CASE:
            problems.append(f"{where}: needs a list of at least {MIN_PER_CASE} paraphrases")
            continue
        seen = {original.case.question.strip().lower()}
        for i, question in enumerate(questions, start=1):
            text = str(question).strip()
            if text.lower() in seen:
                problems.append(f"{where}: paraphrase {i} repeats the question or another one")
                continue
            seen.add(text.lower())
            if _has_cjk(text) != (original.case.language == "zh"):
                problems.append(f"{where}: paraphrase {i} is not in {original.case.language}")
                continue
            case = original.case.model_copy(
                update={"id": f"{case_id}{SUFFIX}{i}", "question": text}
            )
            out.append(LoadedCase(case, f"paraphrase:{original.suite}", path, original.line))
    if problems:
        raise CaseFileError(problems)
    return out


def consistency(results: Sequence[CaseResult]) -> dict[str, dict[str, Any]]:
    """Per language: paraphrases, same number, asked instead (no number), different numbers,
    consistency % (same answer as the original)."""
    out: dict[str, dict[str, Any]] = {}
    for lang in ("zh", "en"):
        subset = [r for r in results if r.language == lang]
        if not subset:
            continue
        same = sum(r.outcome == CORRECT for r in subset)
        different = [r.case_id for r in subset if r.outcome == WRONG_NUMBER]
        out[lang] = {
            "paraphrases": len(subset),
            "same_answer": same,
            "no_number": sum(r.outcome not in (CORRECT, WRONG_NUMBER) for r in subset),
            "different_numbers": len(different),
            "different_number_cases": different,
            "consistency": round(100.0 * same / len(subset), 1),
        }
    return out


def summary_lines(stats: dict[str, dict[str, Any]]) -> list[str]:
    return [
        f"paraphrases {lang}: consistency {s['consistency']} % ({s['same_answer']}/"
        f"{s['paraphrases']}), asked/refused {s['no_number']}, different numbers "
        f"{s['different_numbers']}"
        + (f" ({', '.join(s['different_number_cases'])})" if s["different_numbers"] else "")
        for lang, s in stats.items()
    ]


def floor_violations(stats: dict[str, dict[str, Any]], floors: dict[str, Any]) -> list[str]:
    """Below the ``paraphrases`` floors of evals/floors.yml (consistency per language as a
    share 0..1; ``max_different_numbers`` in total)."""
    wanted = floors.get("paraphrases") or {}
    out = []
    for lang, floor in (wanted.get("consistency") or {}).items():
        got = stats.get(lang, {}).get("consistency")
        if got is not None and got / 100.0 + 1e-9 < float(floor):
            out.append(f"paraphrases/{lang}: consistency {got / 100:.3f} < floor {floor}")
    limit = wanted.get("max_different_numbers")
    total = sum(s["different_numbers"] for s in stats.values())
    if limit is not None and total > int(limit):
        out.append(f"paraphrases: {total} different numbers > {limit}")
    return out
