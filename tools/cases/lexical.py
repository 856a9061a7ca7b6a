"""BM25 over the tokens stored with each case (jieba words for zh, words for en).

The index is derived from the Chroma collection (ids, tokens and filterable metadata) and
cached in memory and on disk per collection revision, so a new process does not re-read
and re-tokenise the corpus. Scoring is a sparse matrix-vector product; metadata filters are
boolean masks over the same rows, so lexical hits obey the same filters as dense ones.
"""

from __future__ import annotations

import pickle
import threading
from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from tools.cases.store import read_index

__all__ = ["BM25", "LexicalIndex", "load_lexical_index"]

_FILTER_DROP = ("tokens", "resolution", "content_hash", "embed_hash")


def _term_frequencies(token_strings: list[str]) -> tuple[sparse.csr_matrix, dict[str, int]]:
    """Documents x terms counts of whitespace-separated tokens, and the term -> column map.
    Counted here rather than with scikit-learn, whose import alone costs a CLI search seconds."""
    vocabulary: dict[str, int] = {}
    indptr, indices, data = [0], [], []
    for text in token_strings:
        for token, count in Counter(text.split()).items():
            indices.append(vocabulary.setdefault(token, len(vocabulary)))
            data.append(count)
        indptr.append(len(indices))
    tf = sparse.csr_matrix(
        (
            np.asarray(data, dtype=np.float32),
            np.asarray(indices, dtype=np.int64),
            np.asarray(indptr, dtype=np.int64),
        ),
        shape=(len(token_strings), len(vocabulary)),
    )
    return tf, vocabulary


class BM25:
    """Okapi BM25 with precomputed document weights (k1, b as usual)."""

    def __init__(self, token_strings: list[str], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        if not token_strings:
            self.weights = sparse.csr_matrix((0, 0), dtype=np.float32)
            self.vocabulary: dict[str, int] = {}
            return
        tf, self.vocabulary = _term_frequencies(token_strings)
        n_docs = tf.shape[0]
        df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        doc_len = np.asarray(tf.sum(axis=1)).ravel()
        avg = float(doc_len.mean()) or 1.0
        norm = k1 * (1.0 - b + b * doc_len / avg)
        rows = np.repeat(np.arange(n_docs), np.diff(tf.indptr))
        data = tf.data * (k1 + 1.0) / (tf.data + norm[rows])
        data *= idf[tf.indices]
        self.weights = sparse.csr_matrix(
            (data.astype(np.float32), tf.indices, tf.indptr), shape=tf.shape
        )
        self.weights_csc = self.weights.tocsc()

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        n_docs = self.weights.shape[0]
        cols = [self.vocabulary[t] for t in set(query_tokens) if t in self.vocabulary]
        if not cols or not n_docs:
            return np.zeros(n_docs, dtype=np.float32)
        counts = np.array(
            [query_tokens.count(t) for t in set(query_tokens) if t in self.vocabulary],
            dtype=np.float32,
        )
        sub = self.weights_csc[:, cols]
        return np.asarray(sub @ counts).ravel()


@dataclass
class LexicalIndex:
    """BM25 plus the metadata frame (one row per case, same order) used for filtering."""

    ids: np.ndarray
    meta: pd.DataFrame
    bm25: BM25
    revision: str

    def search(
        self, query_tokens: list[str], mask: np.ndarray | None, depth: int
    ) -> list[tuple[str, float]]:
        """Top ``depth`` (id, score) with a positive score among rows where ``mask`` is True."""
        scores = self.bm25.scores(query_tokens)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        if positive.size == 0:
            return []
        if positive.size > depth:
            top = positive[np.argpartition(-scores[positive], depth - 1)[:depth]]
        else:
            top = positive
        order = top[np.lexsort((self.ids[top], -scores[top]))]
        return [(str(self.ids[i]), float(scores[i])) for i in order]


_MEMORY: dict[tuple[str, str], LexicalIndex] = {}
_LOCK = threading.Lock()


def _read_collection(collection: Any, page: int = 5_000) -> tuple[list[str], list[dict[str, Any]]]:
    ids: list[str] = []
    metas: list[dict[str, Any]] = []
    offset = 0
    while True:
        got = read_index(partial(collection.get, include=["metadatas"], limit=page, offset=offset))
        if not got["ids"]:
            break
        ids.extend(got["ids"])
        metas.extend(m or {} for m in got["metadatas"])
        offset += len(got["ids"])
        if len(got["ids"]) < page:
            break
    return ids, metas


def build_lexical_index(collection: Any, revision: str) -> LexicalIndex:
    ids, metas = _read_collection(collection)
    bm25 = BM25([str(m.get("tokens", "")) for m in metas])
    frame = pd.DataFrame.from_records(
        [{k: v for k, v in m.items() if k not in _FILTER_DROP} for m in metas]
    )
    return LexicalIndex(np.asarray(ids, dtype=object), frame, bm25, revision)


def load_lexical_index(
    collection: Any, label: str, revision: str, cache_dir: Path | None
) -> LexicalIndex:
    """The lexical index of ``collection`` at ``revision``: from memory, the disk cache, or
    built from the collection (and then cached)."""
    key = (label, collection.name)
    with _LOCK:
        hit = _MEMORY.get(key)
        if hit is not None and hit.revision == revision:
            return hit
        path = cache_dir / f"{collection.name}.bm25.pkl" if cache_dir else None
        index = None
        if path is not None and path.exists():
            try:
                with path.open("rb") as fh:
                    cached = pickle.load(fh)  # our own cache file, written below
                if isinstance(cached, LexicalIndex) and cached.revision == revision:
                    index = cached
            except Exception:  # a stale or partial cache file: rebuild it
                index = None
        if index is None:
            index = build_lexical_index(collection, revision)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                with tmp.open("wb") as fh:
                    pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
                tmp.replace(path)
        _MEMORY[key] = index
        return index
