"""Similar-case index benchmarks: indexing throughput vs raw model encoding, search latency at
scale, ANN recall vs exact search.

    python benchmarks/bench_cases.py [--texts 2000] [--cases 100000] [--queries 100] [--json]

1. Throughput: the same demo complaint texts are encoded by the bare model (raw
   ``SentenceTransformer.encode``) and indexed by ``index_cases`` (mask PII, tokenize, hash,
   embed, upsert) into a fresh collection; each is run twice, alternating, best run counts
   (the machine is shared). Goal: index >= 90 % of raw encode throughput.
2. Latency: hybrid ``search_cases`` p50/p95 on a collection of ``--cases`` cases. To reach
   100k cases without embedding 100k texts (hours on 2 CPU cores), the collection is filled
   with real texts/tokens of ``--texts`` demo complaints and *synthetic* vectors: each a real
   text embedding plus Gaussian noise, re-normalised. Query embedding time is included.
3. Recall: Chroma HNSW top-10 vs exact (numpy brute force) top-10 on the same vectors, for the
   unfiltered case and with a region filter.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REGIONS = ("east", "north", "south", "central", "southwest", "northwest", "northeast")


def demo_texts(n: int, seed: int = 3) -> tuple[list[str], list[str], list[str]]:
    from tools.demo_data import texts as T
    from tools.demo_data.catalog import PRODUCTS

    rng = np.random.default_rng(seed)
    causes = list(T.ROOT_CAUSES)
    rc = [causes[i] for i in rng.integers(0, len(causes), n)]
    langs = ["en" if x < 0.12 else "zh" for x in rng.random(n)]
    prods = [PRODUCTS[i].product_id for i in rng.integers(0, len(PRODUCTS), n)]
    subjects, descriptions, resolutions = T.compose_ticket_texts(
        rng,
        root_causes=rc,
        ticket_types=["complaint"] * n,
        languages=langs,
        product_ids=prods,
        resolved=[True] * n,
    )
    texts = [f"{s}\n{d}" for s, d in zip(subjects, descriptions, strict=True)]
    return texts, [r or "" for r in resolutions], rc


def bench_throughput(
    texts: list[str], resolutions: list[str], causes: list[str], work: Path, batch_size: int
) -> dict[str, Any]:
    from tools.cases.embedding import encode, load_model
    from tools.cases.indexer import index_cases
    from tools.cases.records import CaseRecord
    from tools.cases.store import open_store
    from tools.settings import load_settings

    load_model()
    encode(texts[:64])  # warm-up
    raw_runs, index_runs = [], []
    for run in range(2):
        started = time.perf_counter()
        encode(texts, batch_size=batch_size)
        raw_runs.append(len(texts) / (time.perf_counter() - started))
        settings = load_settings(data_dir=work, chroma_dir=work / f"chroma-tp{run}")
        store = open_store("bench-throughput", settings=settings, create=True)
        records = [
            CaseRecord(
                f"B{i:07d}",
                t,
                r,
                {
                    "region": REGIONS[i % 7],
                    "root_cause": c,
                    "resolved": True,
                    "created_day": 20260601,
                },
            )
            for i, (t, r, c) in enumerate(zip(texts, resolutions, causes, strict=True))
        ]
        started = time.perf_counter()
        report = index_cases(store, records, batch_size=batch_size)
        index_runs.append(len(texts) / (time.perf_counter() - started))
        assert report.added == len(texts)
    raw, idx = max(raw_runs), max(index_runs)
    return {
        "texts": len(texts),
        "batch_size": batch_size,
        "raw_encode_texts_per_s": [round(x, 1) for x in raw_runs],
        "index_cases_per_s": [round(x, 1) for x in index_runs],
        "ratio_best": round(idx / raw, 3),
        "goal_met": idx / raw >= 0.9,
    }


def fill_synthetic(
    store: Any,
    texts: list[str],
    resolutions: list[str],
    causes: list[str],
    n_cases: int,
    noise: float,
    seed: int = 5,
) -> np.ndarray:
    """Upsert ``n_cases`` cases (real prepared texts, synthetic vectors); returns the vectors."""
    from tools.cases.embedding import encode
    from tools.cases.indexer import prepare_record
    from tools.cases.records import CaseRecord

    rng = np.random.default_rng(seed)
    base = encode(texts)
    prepared = [
        prepare_record(CaseRecord("x", t, r, {"root_cause": c, "resolved": True}))
        for t, r, c in zip(texts, resolutions, causes, strict=True)
    ]
    vectors = np.empty((n_cases, base.shape[1]), dtype=np.float32)
    step = 5_000
    for start in range(0, n_cases, step):
        stop = min(n_cases, start + step)
        src = np.arange(start, stop) % len(texts)
        vec = base[src] + rng.normal(0, noise, (stop - start, base.shape[1])).astype(np.float32)
        vec /= np.linalg.norm(vec, axis=1, keepdims=True)
        vectors[start:stop] = vec
        metas = []
        for j, s in enumerate(src):
            meta = dict(prepared[s].metadata)
            meta.update({"region": REGIONS[(start + j) % 7], "created_day": 20250101 + (j % 28)})
            meta["content_hash"] = f"{meta['content_hash']}-{start + j}"
            metas.append(meta)
        store.collection.upsert(
            ids=[f"S{i:08d}" for i in range(start, stop)],
            embeddings=vec,
            documents=[prepared[s].document for s in src],
            metadatas=metas,
        )
    store.bump_revision()
    return vectors


def bench_search(
    texts: list[str],
    resolutions: list[str],
    causes: list[str],
    work: Path,
    n_cases: int,
    n_queries: int,
    noise: float,
) -> dict[str, Any]:
    from tools.cases.embedding import encode
    from tools.cases.search import CaseFilters, search_cases
    from tools.cases.store import open_store
    from tools.settings import load_settings

    settings = load_settings(data_dir=work, chroma_dir=work / "chroma-scale")
    store = open_store(f"bench-{n_cases}", settings=settings, create=True)
    started = time.perf_counter()
    vectors = fill_synthetic(store, texts, resolutions, causes, n_cases, noise)
    fill_s = time.perf_counter() - started
    queries, _, _ = demo_texts(n_queries, seed=99)

    started = time.perf_counter()
    search_cases(store, queries[0], k=10)  # builds (and caches) the lexical index
    first_s = time.perf_counter() - started

    qv = encode(queries)

    def timed(filters: CaseFilters | None, precomputed: bool) -> list[float]:
        out = []
        for q, v in zip(queries, qv, strict=True):
            t = time.perf_counter()
            search_cases(store, q, k=10, filters=filters, query_vector=v if precomputed else None)
            out.append((time.perf_counter() - t) * 1000)
        return out

    region = CaseFilters.parse(["region=east"], resolved_only=True)
    plain = timed(None, False)
    filtered = timed(region, False)
    retrieval_only = timed(None, True)
    retrieval_only_filtered = timed(region, True)

    # ANN recall@10 vs exact search over the same stored vectors.
    regions = np.array([REGIONS[i % 7] for i in range(n_cases)])
    recalls, recalls_f = [], []
    for q in qv:
        exact = np.argsort(-(vectors @ q))[:10]
        got = store.collection.query(query_embeddings=[q.tolist()], n_results=10, include=[])
        recalls.append(len({f"S{i:08d}" for i in exact} & set(got["ids"][0])) / 10)
        east = np.flatnonzero(regions == "east")
        exact_f = east[np.argsort(-(vectors[east] @ q))[:10]]
        got_f = store.collection.query(
            query_embeddings=[q.tolist()], n_results=10, where={"region": "east"}, include=[]
        )
        recalls_f.append(len({f"S{i:08d}" for i in exact_f} & set(got_f["ids"][0])) / 10)
    return {
        "cases": n_cases,
        "synthetic_vectors": True,
        "noise_sigma": noise,
        "fill_seconds": round(fill_s, 1),
        "first_search_ms_incl_lexical_build": round(first_s * 1000, 1),
        "hybrid_search_ms": {
            "p50": round(float(np.percentile(plain, 50)), 1),
            "p95": round(float(np.percentile(plain, 95)), 1),
        },
        "hybrid_search_filtered_ms": {
            "p50": round(float(np.percentile(filtered, 50)), 1),
            "p95": round(float(np.percentile(filtered, 95)), 1),
        },
        "retrieval_only_ms_excl_query_encoding": _pct(retrieval_only),
        "retrieval_only_filtered_ms_excl_query_encoding": _pct(retrieval_only_filtered),
        "ann_recall_at_10": round(float(np.mean(recalls)), 4),
        "ann_recall_at_10_region_filter": round(float(np.mean(recalls_f)), 4),
        "recall_goal_met": float(np.mean(recalls)) >= 0.95,
    }


def _pct(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(float(np.percentile(values, 50)), 1),
        "p95": round(float(np.percentile(values, 95)), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--cases", type=int, nargs="+", default=[100_000])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--noise",
        type=float,
        default=0.03,
        help="sigma per dimension of the synthetic vector noise",
    )
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    texts, resolutions, causes = demo_texts(args.texts)
    result: dict[str, Any] = {"cpu_count": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench-cases-") as tmp:
        work = Path(tmp)
        if not args.skip_throughput:
            result["throughput"] = bench_throughput(
                texts, resolutions, causes, work, args.batch_size
            )
            print(json.dumps(result["throughput"]), file=sys.stderr)
        result["search"] = []
        for n in args.cases:
            res = bench_search(texts, resolutions, causes, work, n, args.queries, args.noise)
            result["search"].append(res)
            print(json.dumps(res), file=sys.stderr)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
