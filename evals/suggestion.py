"""Suggestion quality: how often the suggested root cause of a held-back resolved case is its
real one (top-1 / top-3), against majority-class baselines.

    python -m evals.suggestion [--json] [--queries 300] [--work-dir DIR]

Data: a demo warehouse (20,000 tickets, seed 7, ending 2026-10-31); the resolved tickets with a
description and a root cause created from 2026-07-01. A random sample (seed 11) is held back as
queries; the rest is indexed (the real pipeline: PII masking, Chroma, BM25). Each held-back
complaint text goes through ``suggest_resolution`` exactly as an agent's would (its own ticket
is not in the index). Baselines: the corpus's most frequent root causes (majority class), and
the most frequent root causes of the query's own issue category (which an agent would know).
Demo texts come from templates, so some held-back texts also occur verbatim in the corpus; the
scores are reported for all queries and for those without a verbatim twin.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SINCE = "2026-07-01"


def load_cases(work: Path) -> pd.DataFrame:
    from tools.cases.text import case_text
    from tools.demo_data.generator import generate_demo_warehouse
    from tools.warehouse.engine import make_engine

    path = work / "demo-20k-seed7.duckdb"
    if not path.exists():
        generate_demo_warehouse(f"duckdb:///{path}", tickets=20_000, seed=7, end=date(2026, 10, 31))
    engine = make_engine(f"duckdb:///{path}", read_only=True)
    try:
        frame = pd.read_sql(
            "SELECT ticket_id AS case_id, subject, description, resolution, root_cause, "
            "category, language FROM tickets WHERE root_cause IS NOT NULL AND description IS NOT "
            f"NULL AND status IN ('resolved', 'closed') AND created_at >= DATE '{SINCE}' "
            "ORDER BY ticket_id",
            engine,
        )
    finally:
        engine.dispose()
    frame["text"] = [case_text(s, d) for s, d in zip(frame.subject, frame.description, strict=True)]
    return frame


def build_index(work: Path, corpus: pd.DataFrame) -> Any:
    from tools.cases.indexer import index_cases
    from tools.cases.records import CaseRecord
    from tools.cases.store import open_store
    from tools.settings import load_settings

    settings = load_settings(data_dir=work, chroma_dir=work / "chroma")
    store = open_store("suggest-eval", settings=settings, create=True)
    records = (
        CaseRecord(r.case_id, r.text, r.resolution, {"root_cause": r.root_cause, "resolved": True})
        for r in corpus.itertuples()
    )
    report = index_cases(store, records, progress=sys.stderr.isatty())
    print(f"[suggest-eval] index: {report.to_dict()}", file=sys.stderr)
    return store


def _rates(hits: list[tuple[bool, bool]]) -> dict[str, float | int]:
    n = len(hits)
    return {
        "n": n,
        "top1": round(sum(h[0] for h in hits) / n, 3) if n else 0.0,
        "top3": round(sum(h[1] for h in hits) / n, 3) if n else 0.0,
    }


def evaluate(work: Path, n_queries: int, seed: int = 11) -> dict[str, Any]:
    from tools.cases.suggest import suggest_resolution

    cases = load_cases(work)
    queries = cases.sample(n=min(n_queries, len(cases) // 5), random_state=seed)
    corpus = cases.drop(queries.index)
    store = build_index(work, corpus)
    overall = [c for c, _ in Counter(corpus.root_cause).most_common(3)]
    by_category = {
        cat: [c for c, _ in Counter(group.root_cause).most_common(3)]
        for cat, group in corpus.groupby("category")
    }
    seen_texts = set(corpus.text.str.strip())
    rows: dict[str, list[tuple[bool, bool]]] = {}
    started = time.perf_counter()
    for q in queries.itertuples():
        s = suggest_resolution(store, q.text, k=20)
        ranked = [c.root_cause for c in s.root_causes]
        cat_top = by_category.get(q.category, overall)
        twin = q.text.strip() in seen_texts
        for key, got in (
            ("suggestion", ranked),
            ("baseline_majority", overall),
            ("baseline_category_majority", cat_top),
        ):
            hit = (bool(got) and got[0] == q.root_cause, q.root_cause in got[:3])
            for scope in ("all", q.language, "no_verbatim_twin" if not twin else None):
                if scope:
                    rows.setdefault(f"{key}|{scope}", []).append(hit)
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {
        "corpus": len(corpus),
        "queries": len(queries),
        "verbatim_twins": int(sum(t.strip() in seen_texts for t in queries.text)),
        "root_causes": int(cases.root_cause.nunique()),
        "seconds_per_suggestion": round(seconds / len(queries), 3),
        "scores": {},
    }
    for key, hits in sorted(rows.items()):
        method, scope = key.split("|")
        result["scores"].setdefault(scope, {})[method] = _rates(hits)
    return result


def _table(result: dict[str, Any]) -> str:
    lines = [
        f"corpus {result['corpus']} resolved cases, {result['queries']} held-back queries "
        f"({result['verbatim_twins']} with a verbatim twin in the corpus), "
        f"{result['root_causes']} root causes; {result['seconds_per_suggestion']} s/suggestion",
        f"{'scope':<18} {'method':<28} {'n':>5} {'top-1':>7} {'top-3':>7}",
    ]
    for scope, methods in result["scores"].items():
        for method, r in methods.items():
            lines.append(f"{scope:<18} {method:<28} {r['n']:>5} {r['top1']:>7} {r['top3']:>7}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--work-dir", type=Path, default=Path("data/evals/suggestion"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    result = evaluate(args.work_dir, args.queries)
    print(json.dumps(result, indent=2) if args.json else _table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
