"""Retrieval features of similar-case search: entity vocabulary, character bigrams, entity
down-weighting in BM25, synonym expansion, per-language parameters, lexical cache versioning."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from semantic_layer.yaml_load import YamlFileError
from tools.cases.entities import build_entity_vocabulary, proper_nouns, strip_entities
from tools.cases.expansion import expand_tokens
from tools.cases.lexical import (
    BM25,
    LEXICAL_FORMAT,
    LexicalIndex,
    LexicalOptions,
    MetaColumns,
    load_lexical_index,
)
from tools.cases.retrieval_params import PARAMS_FILE, LanguageParams, language_params
from tools.cases.search import lexical_candidates
from tools.cases.text import char_ngrams, tokenize

ROOT_CAUSES = ("batch_defect", "installation_error", "courier_damage", "late_delivery")
LINES = {"water_heater": "热水器", "air_conditioner": "空调", "washing_machine": "洗衣机"}
FAULTS = {
    "batch_defect": "同一批次质量问题",
    "installation_error": "师傅安装接口没拧紧",
    "courier_damage": "快递运输外箱破损",
    "late_delivery": "物流配送迟迟不到",
}


def _corpus() -> tuple[list[list[str]], list[dict[str, str]], list[str]]:
    """Each product line noun appears with every root cause (an entity: concentrated in one
    line, spread over causes); each fault phrase appears with every line (not an entity)."""
    docs, metas = [], []
    for line, noun in LINES.items():
        for cause, fault in FAULTS.items():
            for i in range(5):
                docs.append(f"云睿{noun}{fault}，第{i}次")
                metas.append({"product": f"云睿{noun}", "product_line": line, "root_cause": cause})
    return [tokenize(d) for d in docs], metas, docs


def test_char_ngrams_cover_each_chinese_run() -> None:
    assert char_ngrams("热水器漏水") == ["热水", "水器", "器漏", "漏水"]
    assert char_ngrams("漏 水 E4 leak") == ["漏", "水"]  # short runs whole, Latin ignored
    assert char_ngrams("电话[PHONE]坏了") == ["电话", "坏了"]  # placeholders are not text
    assert char_ngrams("热水器漏水", n=3) == ["热水器", "水器漏", "器漏水"]
    assert char_ngrams("") == []


def test_entity_vocabulary_from_metadata_and_corpus() -> None:
    tokens, metas, docs = _corpus()
    vocab = build_entity_vocabulary(tokens, metas, docs)
    assert vocab.category_column == "root_cause"
    assert "product_line" in vocab.group_columns
    assert {"热水器", "空调", "洗衣机"} <= vocab.from_metadata | vocab.concentrated
    assert {"热水器", "空调", "洗衣机"} <= vocab.concentrated  # found by the statistic too
    for cause_word in ("批次", "安装", "快递", "物流"):
        assert cause_word not in vocab  # spread over lines but tied to one cause
    assert "热水器" in vocab and "漏水" not in vocab


def test_a_word_tied_to_one_category_is_not_an_entity() -> None:
    tokens, metas, docs = _corpus()
    # "召回" only in batch-defect cases of water heaters: concentrated, but not spread
    for i, m in enumerate(metas):
        if m["product_line"] == "water_heater" and m["root_cause"] == "batch_defect":
            tokens[i] = [*tokens[i], "召回"] * 1
    vocab = build_entity_vocabulary(tokens, metas, docs)
    assert "召回" not in vocab.concentrated


def test_proper_nouns_are_words_capitalised_mid_sentence() -> None:
    docs = [
        f"I called Wells Fargo about my mortgage on day {i}. Mortgage payments were late."
        for i in range(12)
    ]
    found = proper_nouns(docs)
    assert {"well", "fargo"} <= found  # tokens as tokenize() writes them
    assert "mortgage" not in found  # capitalised only at the start of a sentence
    assert "XXXX" not in found and "xxxx" not in found


def test_entity_weight_ranks_the_same_fault_above_the_same_product() -> None:
    texts = ["云睿热水器漏水", "澜风空调漏水", "洗衣机噪音很大"]
    tokens, metas, corpus = _corpus()
    index = LexicalIndex(
        np.array(["a", "b", "c"], dtype=object),
        MetaColumns.from_records({"x": i} for i in range(3)),
        BM25([" ".join(tokenize(t)) for t in texts]),
        "r1",
        entities=build_entity_vocabulary(tokens, metas, corpus),
    )
    query = tokenize("云睿热水器噪音很大")  # the product of a, the fault of c
    assert index.search(query, None, 10)[0][0] == "a"
    for weight in (0.1, 0.0):
        ranked = index.search(query, None, 10, options=LexicalOptions(entity_weight=weight))
        assert ranked[0][0] == "c"
    ignored = index.search(query, None, 10, options=LexicalOptions(entity_weight=0.0))
    assert [i for i, _ in ignored] == ["c"]  # entity-only matches score nothing


def test_strip_entities_keeps_the_fault() -> None:
    tokens, metas, docs = _corpus()
    vocab = build_entity_vocabulary(tokens, metas, docs)
    stripped = strip_entities("云睿热水器漏水，师傅安装接口没拧紧", vocab)
    assert "热水器" not in stripped and "漏水" in stripped and "拧紧" in stripped


def test_synonym_expansion_uses_the_certified_code_lists() -> None:
    assert "油烟机" in expand_tokens(tokenize("抽油烟机吸力不够"), "zh")
    assert "refrigerator" in expand_tokens(tokenize("my fridge stopped cooling"), "en")
    assert expand_tokens(tokenize("屏幕有坏点"), "zh") == []
    # only words of the query's language are added
    assert all(not t.isascii() for t in expand_tokens(tokenize("热水器漏水"), "zh"))


def test_params_file_is_read_per_language_and_errors_name_the_line(tmp_path: Path) -> None:
    zh, en = language_params("zh"), language_params("en")
    assert isinstance(zh, LanguageParams) and isinstance(en, LanguageParams)
    assert zh.fusion.depth >= 10 and en.fusion.k >= 1
    broken = tmp_path / "params.yml"
    broken.write_text(
        PARAMS_FILE.read_text(encoding="utf-8").replace(
            "\n  entity_weight: ", "\n  entity_weight: -", 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(YamlFileError) as err:
        language_params("en", broken)
    assert "params.yml" in str(err.value) and "entity_weight" in str(err.value)


def test_lexical_candidates_follow_the_params() -> None:
    docs = ["热水器 漏水", "空调 漏水", "洗衣机 噪音"]
    texts = ["热水器漏水", "空调漏水", "洗衣机噪音"]
    index = LexicalIndex(
        np.array(["a", "b", "c"], dtype=object),
        MetaColumns.from_records({"x": i} for i in range(3)),
        BM25(docs),
        "r1",
        ngrams=BM25([" ".join(char_ngrams(t)) for t in texts]),
    )
    words_only = lexical_candidates(index, "热水器漏了水", LanguageParams())
    with_bigrams = lexical_candidates(
        index, "热水器漏了水", LanguageParams(lexical=LexicalOptions(ngram_weight=1.0))
    )
    assert [i for i, _ in words_only] == ["a"]
    # bigrams add 热水/水器 of a, so it stays first with a higher score
    assert with_bigrams[0][0] == "a" and with_bigrams[0][1] > words_only[0][1]


def test_an_older_lexical_cache_is_rebuilt(tmp_path: Path) -> None:
    import chromadb

    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    col = client.create_collection("cases")
    col.add(
        ids=["a", "b"],
        documents=["热水器漏水", "空调不制冷"],
        metadatas=[
            {"tokens": "热水器 漏水", "product_line": "water_heater"},
            {"tokens": "空调 制冷", "product_line": "air_conditioner"},
        ],
        embeddings=[[1.0, 0.0], [0.0, 1.0]],
    )
    cache = tmp_path / "cache"
    cache.mkdir()
    old = LexicalIndex(
        np.array(["stale"], dtype=object), MetaColumns.from_records([]), BM25(["x"]), "r1"
    )
    # As a cache written before the format existed: no ``format`` and no ``entities`` attribute
    # on the instance (the class default must not pass for the current format).
    del old.__dict__["format"], old.__dict__["entities"]
    (cache / "cases.bm25.pkl").write_bytes(pickle.dumps(old))
    index = load_lexical_index(col, "test-older-cache", "r1", cache)
    assert list(index.ids) == ["a", "b"] and index.format == LEXICAL_FORMAT
    assert index.ngrams is not None
    assert index.search(["漏水"], None, 5)[0][0] == "a"


def test_bm25_scores_equal_scipys_sparse_product_bit_for_bit() -> None:
    """The numpy scoring replaced a scipy CSC matrix-vector product; a search must rank and
    score exactly as before (same float32 operations in the same order)."""
    from scipy import sparse

    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(300)]
    docs = [" ".join(rng.choice(words, size=rng.integers(1, 60))) for _ in range(500)]
    bm25 = BM25(docs)
    csc = sparse.csc_matrix(
        (bm25.col_data, bm25.col_rows, bm25.col_ptr), shape=(len(docs), len(bm25.vocabulary))
    )
    for _ in range(200):
        query = list(rng.choice(words + ["unseen"], size=rng.integers(1, 25)))
        weights = {query[0]: 0.25}
        terms = [t for t in dict.fromkeys(query) if t in bm25.vocabulary]
        counts = np.array([query.count(t) * weights.get(t, 1.0) for t in terms], dtype=np.float32)
        reference = np.asarray(csc[:, [bm25.vocabulary[t] for t in terms]] @ counts).ravel()
        got = bm25.scores(query, weights)
        assert got.dtype == np.float32 and np.array_equal(got, reference)


def test_metadata_filters_match_by_value_and_never_match_a_missing_field() -> None:
    meta = MetaColumns.from_records(
        [
            {"region": "east", "resolved": True, "created_day": 20300},
            {"region": "north", "resolved": False},
            {"resolved": True, "created_day": 20310},
        ]
    )
    assert meta.columns == ["region", "resolved", "created_day"] and "region" in meta
    assert meta.isin("region", ["east", "south"]).tolist() == [True, False, False]
    assert meta.isin("region", []).tolist() == [False, False, False]
    assert meta.equals("resolved", True).tolist() == [True, False, True]
    days = meta.numbers("created_day")
    assert days[0] == 20300.0 and np.isnan(days[1]) and days[2] == 20310.0
