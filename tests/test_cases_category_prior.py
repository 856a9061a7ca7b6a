"""Category prior of similar-case search: a classifier of the index's own category column,
trained when the lexical index is built, stored with it, and used as a fused-score bonus."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from tools.cases.category_prior import MIN_CASES, train_category_prior
from tools.cases.lexical import BM25, LexicalIndex, MetaColumns, load_lexical_index
from tools.cases.retrieval_params import CategoryPriorParams, FusionParams
from tools.cases.search import SearchCandidates, apply_category_prior, fuse, likely_categories
from tools.cases.text import tokenize

FAULTS_ZH = {
    "batch_defect": ["同一批次质量问题", "这批货都有问题", "批次缺陷，邻居家也一样"],
    "installation_error": ["师傅安装接口没拧紧", "安装不规范导致漏水", "安装师傅把管子装反了"],
    "courier_damage": ["快递运输外箱破损", "收到时外包装压坏了", "运输途中磕碰变形"],
    "late_delivery": ["物流配送迟迟不到", "说好三天到一周了还没送", "配送一直显示未发货"],
}
NOUNS = ("热水器", "空调", "洗衣机", "冰箱")
FAULTS_EN = {
    "billing": ["charged twice for the same order", "refund never arrived", "wrong amount billed"],
    "logistics": ["package arrived late", "courier lost my parcel", "delivery never came"],
    "quality": ["stopped working after a week", "leaks water", "makes a loud noise"],
}


def _zh_corpus() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for cause, phrases in FAULTS_ZH.items():
        for noun in NOUNS:
            for phrase in phrases:
                for i in range(6):
                    texts.append(f"我家{noun}{phrase}，第{i}次联系")
                    labels.append(cause)
    return texts, labels


def _en_corpus() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for category, phrases in FAULTS_EN.items():
        for thing in ("washer", "fridge", "heater", "oven", "fan", "dryer"):
            for phrase in phrases:
                for i in range(4):
                    texts.append(f"My {thing} order {i}: {phrase}.")
                    labels.append(category)
    return texts, labels


def _train(texts: list[str], labels: list[str | None]):
    return train_category_prior("root_cause", labels, [tokenize(t) for t in texts], texts)


def test_the_prior_predicts_the_category_of_new_text_in_both_languages() -> None:
    texts, labels = _zh_corpus()
    prior = _train(texts, labels)
    assert prior is not None and set(prior.classes) == set(FAULTS_ZH)
    # unseen wording and product; the fault words decide
    top, p = prior.predict("电视机安装师傅接口没拧紧，漏水了")[0]
    assert top == "installation_error" and p > 0.5
    assert prior.predict("物流迟迟不到")[0][0] == "late_delivery"
    probs = prior.probabilities("快递外箱破损")
    assert probs.shape == (4,) and abs(probs.sum() - 1) < 1e-9
    en_texts, en_labels = _en_corpus()
    en = _train(en_texts, en_labels)
    assert en is not None and en.predict("I was charged twice for one order")[0][0] == "billing"
    assert en.predict("the courier lost the parcel")[0][0] == "logistics"


def test_no_prior_without_a_column_or_enough_labelled_cases() -> None:
    texts, labels = _zh_corpus()
    tokens = [tokenize(t) for t in texts]
    assert train_category_prior(None, labels, tokens, texts) is None
    few = [y if i < MIN_CASES - 1 else None for i, y in enumerate(labels)]
    assert sum(y is not None for y in few) == MIN_CASES - 1
    assert train_category_prior("root_cause", few, tokens, texts) is None
    one_class = ["same"] * len(texts)
    assert train_category_prior("root_cause", one_class, tokens, texts) is None
    # unlabelled cases are left out, the labelled ones still train it
    partly = [y if i % 4 else None for i, y in enumerate(labels)]
    prior = train_category_prior("root_cause", partly, tokens, texts)
    assert prior is not None and prior.n_cases == sum(y is not None for y in partly)


def _index_and_candidates() -> tuple[LexicalIndex, SearchCandidates]:
    texts, labels = _zh_corpus()
    ids = [f"c{i:03d}" for i in range(len(texts))]
    index = LexicalIndex(
        np.array(ids, dtype=object),
        MetaColumns.from_records({"root_cause": y} for y in labels),
        BM25([" ".join(tokenize(t)) for t in texts]),
        "r1",
        category_prior=_train(texts, labels),
    )
    # a courier-damage case ranked first by both lists, an installation case second by both
    courier = ids[labels.index("courier_damage")]
    install = ids[labels.index("installation_error")]
    query = "热水器安装师傅接口没拧紧"
    cand = SearchCandidates(
        query=query,
        language="zh",
        dense=[(courier, 0.9), (install, 0.8)],
        lexical=[(courier, 5.0), (install, 4.0)],
        categories=index.category_prior.predict(query),
        category_column="root_cause",
    )
    return index, cand


def test_the_bonus_lifts_candidates_of_the_likely_category_only() -> None:
    index, cand = _index_and_candidates()
    fusion = FusionParams(k=10, w_dense=1.0, w_lexical=1.0, depth=100)
    fused = fuse(cand, fusion)
    courier, install = fused[0][0], fused[1][0]
    assert likely_categories(cand, CategoryPriorParams(weight=1.0, min_probability=0.5))[0][0] == (
        "installation_error"
    )
    lifted, bonus = apply_category_prior(
        fused, cand, index, CategoryPriorParams(weight=1.0, min_probability=0.5), fusion
    )
    assert [c for c, *_ in lifted] == [install, courier]
    p = dict(cand.categories)["installation_error"]
    assert set(bonus) == {install}
    assert bonus[install] == pytest.approx(p * 2 / 11)  # weight x p x (1 + 1) / (k + 1)
    assert lifted[0][1] == pytest.approx(fused[1][1] + bonus[install])
    # off: weight 0, or a threshold above every probability
    for off in (CategoryPriorParams(weight=0.0), CategoryPriorParams(1.0, min_probability=1.01)):
        same, none = apply_category_prior(fused, cand, index, off, fusion)
        assert same == fused and none == {}


def test_the_prior_is_built_with_the_lexical_index_and_cached_with_it(tmp_path: Path) -> None:
    import chromadb

    texts, labels = _zh_corpus()
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    col = client.create_collection("cases")
    col.add(
        ids=[f"c{i:03d}" for i in range(len(texts))],
        documents=texts,
        metadatas=[
            {"tokens": " ".join(tokenize(t)), "root_cause": y}
            for t, y in zip(texts, labels, strict=True)
        ],
        embeddings=[[1.0, float(i)] for i in range(len(texts))],
    )
    bare = client.create_collection("bare")
    bare.add(
        ids=[f"c{i:03d}" for i in range(len(texts))],
        documents=texts,
        metadatas=[{"tokens": " ".join(tokenize(t))} for t in texts],
        embeddings=[[1.0, float(i)] for i in range(len(texts))],
    )
    cache = tmp_path / "cache"
    index = load_lexical_index(col, "test-prior-cache", "r1", cache)
    assert index.category_prior is not None and index.category_prior.column == "root_cause"
    stored = pickle.loads((cache / "cases.bm25.pkl").read_bytes())
    assert stored.category_prior.classes == index.category_prior.classes
    query = "空调师傅安装不规范"
    assert np.array_equal(
        stored.category_prior.probabilities(query), index.category_prior.probabilities(query)
    )
    assert stored.row_of("c005") == 5 and stored.row_of("nope") is None
    assert load_lexical_index(bare, "test-prior-cache", "r1", cache).category_prior is None
