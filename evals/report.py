"""Accuracy reports of an eval run: a summary dict, Markdown, and JSON files.

Held-out cases are reported in aggregate; their failures list only the case id and the failure
categories (never the question, plan or expected values), so a report can be shared with the
planner developer without leaking the held-out set.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from evals.runner import CORRECT, GAVE_NUMBER, NO_NUMBER, WRONG_NUMBER, CaseResult, RunResult
from semantic_layer.yaml_load import read_yaml


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (pos - low), 1)


def _group(results: Iterable[CaseResult]) -> dict[str, Any]:
    items = list(results)
    passed = sum(r.passed for r in items)
    return {"cases": len(items), "passed": passed, "accuracy": _pct(passed, len(items))}


def accuracy(results: Sequence[CaseResult]) -> float:
    """Share of passed cases, 0..1 (1.0 for no cases)."""
    return sum(r.passed for r in results) / len(results) if results else 1.0


def summarize_results(results: Sequence[CaseResult]) -> dict[str, Any]:
    by_language: dict[str, list[CaseResult]] = defaultdict(list)
    by_tag: dict[str, list[CaseResult]] = defaultdict(list)
    by_suite: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        by_language[r.language].append(r)
        by_suite[r.suite].append(r)
        for tag in r.tags:
            by_tag[tag].append(r)
    numbers = [r for r in results if r.expect == "number"]
    given = [r for r in results if r.number_given]
    wrong = [r for r in results if r.outcome == WRONG_NUMBER]
    clar = [r for r in results if r.expect == "clarification"]
    oos = [r for r in results if r.expect == "out_of_scope"]
    with_plan = [r for r in results if r.plan_match is not None]
    latencies = [r.latency_ms for r in results]
    categories = Counter(c for r in results if not r.passed for c in r.categories)
    return {
        **_group(results),
        "by_language": {k: _group(v) for k, v in sorted(by_language.items())},
        "by_tag": {k: _group(v) for k, v in sorted(by_tag.items())},
        "by_suite": {k: _group(v) for k, v in sorted(by_suite.items())},
        "number_cases": _group(numbers),
        "wrong_numbers": len(wrong),
        # The worst outcome: a number was given and it is wrong.
        "wrong_number_rate": _pct(len(wrong), len(results)),
        "wrong_number_rate_of_answers": _pct(len(wrong), len(given)),
        "no_number_where_expected": sum(r.outcome == NO_NUMBER for r in numbers),
        "clarification_correct": _group(clar),
        "refusal_correct": _group(oos),
        "gave_number_when_not_expected": sum(r.outcome == GAVE_NUMBER for r in results),
        "plan_match": {
            "cases": len(with_plan),
            "matched": sum(bool(r.plan_match) for r in with_plan),
            "rate": _pct(sum(bool(r.plan_match) for r in with_plan), len(with_plan)),
        },
        "latency_ms": {"p50": _percentile(latencies, 0.5), "p95": _percentile(latencies, 0.95)},
        "failure_categories": dict(categories.most_common()),
    }


def _failure(r: CaseResult) -> dict[str, Any]:
    if r.held_out:
        return {
            "id": r.case_id,
            "held_out": True,
            "outcome": r.outcome,
            "categories": list(r.categories),
        }
    return {
        "id": r.case_id,
        "suite": r.suite,
        "language": r.language,
        "question": r.question,
        "outcome": r.outcome,
        "reasons": list(r.reasons),
        "plan": r.plan,
        "answer": r.answer_text,
    }


def build_report(run: RunResult) -> dict[str, Any]:
    visible = [r for r in run.results if not r.held_out]
    held = [r for r in run.results if r.held_out]
    return {
        "planner": run.planner,
        "started_at": run.started_at,
        "seconds": round(run.seconds, 1),
        "warehouse": run.warehouse,
        "overall": summarize_results(run.results),
        "development": summarize_results(visible) if visible else None,
        "held_out": summarize_results(held) if held else None,
        "failures": [_failure(r) for r in run.results if not r.passed],
        "cases": [
            {
                "id": r.case_id,
                "passed": r.passed,
                "outcome": r.outcome,
                "latency_ms": round(r.latency_ms, 1),
            }
            if r.held_out
            else {**r.to_dict(), "latency_ms": round(r.latency_ms, 1)}
            for r in run.results
        ],
    }


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value}"


def _table(title: str, groups: dict[str, dict[str, Any]]) -> list[str]:
    lines = [f"| {title} | cases | passed | accuracy % |", "|---|---:|---:|---:|"]
    for name, g in groups.items():
        lines.append(f"| {name} | {g['cases']} | {g['passed']} | {_fmt(g['accuracy'])} |")
    return lines


def _summary_md(name: str, s: dict[str, Any]) -> list[str]:
    out = [
        f"## {name}",
        "",
        f"- **Accuracy**: {_fmt(s['accuracy'])} % ({s['passed']}/{s['cases']})",
        f"- **Wrong numbers** (a number was given and it is wrong): {s['wrong_numbers']} "
        f"({_fmt(s['wrong_number_rate'])} % of cases, "
        f"{_fmt(s['wrong_number_rate_of_answers'])} % of answers with a number)",
        f"- Number cases answered correctly: {_fmt(s['number_cases']['accuracy'])} % "
        f"({s['number_cases']['passed']}/{s['number_cases']['cases']}); no number where one "
        f"was expected: {s['no_number_where_expected']}",
        f"- Clarification correct: {_fmt(s['clarification_correct']['accuracy'])} % "
        f"({s['clarification_correct']['passed']}/{s['clarification_correct']['cases']}); "
        f"refusal correct: {_fmt(s['refusal_correct']['accuracy'])} % "
        f"({s['refusal_correct']['passed']}/{s['refusal_correct']['cases']}); "
        f"gave a number where none was expected: {s['gave_number_when_not_expected']}",
        f"- Plan matches expected_query: {_fmt(s['plan_match']['rate'])} % "
        f"({s['plan_match']['matched']}/{s['plan_match']['cases']})",
        f"- Latency: p50 {_fmt(s['latency_ms']['p50'])} ms, p95 {_fmt(s['latency_ms']['p95'])} ms",
        "",
        *_table("language", s["by_language"]),
        "",
        *_table("tag", s["by_tag"]),
        "",
        *_table("suite", s["by_suite"]),
        "",
    ]
    if s["failure_categories"]:
        out += ["| failure category | cases |", "|---|---:|"]
        out += [f"| {k} | {v} |" for k, v in s["failure_categories"].items()]
        out.append("")
    return out


def to_markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Eval report — planner `{report['planner']}`",
        "",
        f"{report['started_at']}, {report['seconds']} s, warehouse `{report['warehouse']}`",
        "",
    ]
    if report["development"]:
        lines += _summary_md("Development cases", report["development"])
    if report["held_out"]:
        lines += _summary_md("Held-out cases (details withheld)", report["held_out"])
    failures = report["failures"]
    lines += [f"## Failures ({len(failures)})", ""]
    for f in failures:
        if f.get("held_out"):
            lines.append(f"- `{f['id']}` (held out): {f['outcome']} — {', '.join(f['categories'])}")
            continue
        lines.append(f"- `{f['id']}` [{f['language']}] {f['question']!r}: **{f['outcome']}**")
        lines += [f"  - {reason}" for reason in f["reasons"]]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], directory: Path, stem: str = "eval") -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    md, js = directory / f"{stem}.md", directory / f"{stem}.json"
    md.write_text(to_markdown(report), encoding="utf-8")
    js.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return md, js


def summary_line(s: dict[str, Any]) -> str:
    langs = ", ".join(f"{k} {_fmt(v['accuracy'])} %" for k, v in s["by_language"].items())
    return (
        f"accuracy {_fmt(s['accuracy'])} % ({s['passed']}/{s['cases']}; {langs}), wrong numbers "
        f"{s['wrong_numbers']}, p50 {_fmt(s['latency_ms']['p50'])} ms"
    )


__all__ = [
    "CORRECT",
    "accuracy",
    "build_report",
    "summarize_results",
    "summary_line",
    "to_markdown",
    "write_report",
]


# --------------------------------------------------------------------------------------------
# Accuracy floors (evals/floors.yml)

FLOORS_PATH = Path(__file__).resolve().parent / "floors.yml"


def load_floors(path: Path = FLOORS_PATH) -> dict[str, Any]:
    data = read_yaml(path).data or {}
    for planner, sets in data.items():
        for part in ("development", "held_out"):
            floors = (sets or {}).get(part, {})
            for lang, value in floors.items():
                if lang not in ("zh", "en") or not isinstance(value, int | float):
                    raise ValueError(
                        f"{path}: {planner}.{part}.{lang}: expected zh/en with a number 0..1"
                    )
    return data


def floor_violations(
    results: Sequence[CaseResult], floors: dict[str, Any], planner: str, part: str
) -> list[str]:
    """Languages whose accuracy (0..1) in ``part`` (development/held_out) is below the floor;
    and a wrong-number rate above ``max_wrong_number_rate`` (percent of cases)."""
    wanted = floors.get(planner, {}) or {}
    out = []
    for lang, floor in (wanted.get(part) or {}).items():
        subset = [r for r in results if r.language == lang]
        got = accuracy(subset)
        if subset and got + 1e-9 < float(floor):
            out.append(f"{planner}/{part}/{lang}: accuracy {got:.3f} < floor {float(floor):.3f}")
    limit = (wanted.get("max_wrong_number_rate") or {}).get(part)
    if limit is not None and results:
        rate = 100.0 * sum(r.outcome == WRONG_NUMBER for r in results) / len(results)
        if rate > float(limit) + 1e-9:
            out.append(f"{planner}/{part}: wrong-number rate {rate:.1f} % > {float(limit):.1f} %")
    return out
