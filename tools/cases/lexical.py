"""BM25 over the tokens stored with each case (jieba words for zh, words for en), beside a
second BM25 field of Chinese character bigrams, with entity terms down-weighted.

The index is derived from the Chroma collection (ids, tokens and filterable metadata) and
cached in memory and on disk per collection revision, so a new process does not re-read
and re-tokenise the corpus. Scoring is a sparse matrix-vector product; metadata filters are
boolean masks over the same rows, so lexical hits obey the same filters as dense ones.

Everything here is plain numpy (the BM25 weights as compressed-column arrays, the metadata as
coded columns): a cold ``cases search`` loads the cached index without importing pandas or
scipy, whose imports alone cost it about a third of a second.

The entity vocabulary (tools.cases.entities) and the bigram field are derived from the corpus
when the index is built; how much they count is a query-time option (``LexicalOptions``), so
the evaluation can switch each one off. So is the category prior (tools.cases.category_prior),
a classifier of the cases' category column trained on the indexed cases and stored here.
"""

from __future__ import annotations

import pickle
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from tools.cases.category_prior import CategoryPrior, train_category_prior
from tools.cases.entities import EntityVocabulary, build_entity_vocabulary
from tools.cases.store import read_index
from tools.cases.text import char_ngrams

__all__ = ["BM25", "LexicalIndex", "LexicalOptions", "MetaColumns", "load_lexical_index"]

# Version of the cached lexical index (a pickle per collection revision); a cache written by an
# older version is rebuilt from the collection instead of being used.
# 3: numpy-only BM25 arrays and MetaColumns (2 held scipy matrices and a pandas DataFrame).
# 4: the category prior (a classifier of the category column) stored with the index.
LEXICAL_FORMAT = 4


@dataclass(frozen=True)
class LexicalOptions:
    """How the lexical score is put together (per query language, see retrieval_params)."""

    entity_weight: float = 1.0  # multiplier of entity terms in the query; 1 = not down-weighted
    ngram_weight: float = 0.0  # weight of the character-bigram field; 0 = words only


_FILTER_DROP = ("tokens", "resolution", "content_hash", "embed_hash")


class MetaColumns:
    """The filterable metadata of the indexed cases, column by column, rows in index order.

    Each column is stored as codes into its distinct values (-1 where a case lacks the field),
    so a filter is one membership test per distinct value and a numpy lookup, with Python's
    equality (as ``pandas.Series.isin`` on these object columns)."""

    def __init__(self, n_rows: int, columns: dict[str, tuple[list[Any], np.ndarray]]) -> None:
        self.n_rows = n_rows
        self._columns = columns  # name -> (distinct values, int32 codes per row)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> MetaColumns:
        rows = list(records)
        names: dict[str, None] = {}
        for row in rows:
            names.update(dict.fromkeys(row))
        columns: dict[str, tuple[list[Any], np.ndarray]] = {}
        for name in names:
            values: list[Any] = []
            seen: dict[tuple[type, Any], int] = {}
            codes = np.full(len(rows), -1, dtype=np.int32)
            for i, row in enumerate(rows):
                value = row.get(name)
                if value is None:
                    continue
                key = (type(value), value)
                code = seen.get(key)
                if code is None:
                    code = seen[key] = len(values)
                    values.append(value)
                codes[i] = code
            columns[name] = (values, codes)
        return cls(len(rows), columns)

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def __len__(self) -> int:
        return self.n_rows

    def _select(self, name: str, keep: Any) -> np.ndarray:
        values, codes = self._columns[name]
        wanted = np.fromiter((bool(keep(v)) for v in values), dtype=bool, count=len(values))
        return np.append(wanted, False)[codes]  # code -1 (missing) picks the appended False

    def isin(self, name: str, allowed: Iterable[Any]) -> np.ndarray:
        """Rows whose ``name`` equals one of ``allowed`` (a missing value matches nothing)."""
        allowed = list(allowed)
        return self._select(name, lambda v: any(v == a for a in allowed))

    def equals(self, name: str, value: Any) -> np.ndarray:
        return self._select(name, lambda v: v == value)

    def codes(self, name: str) -> tuple[list[Any], np.ndarray]:
        """The column's distinct values and each row's code into them (-1: missing)."""
        return self._columns[name]

    def numbers(self, name: str) -> np.ndarray:
        """The column as float64, NaN where missing."""
        values, codes = self._columns[name]
        as_float = np.array([float(v) for v in values] + [np.nan], dtype=np.float64)
        return as_float[codes]


def _term_frequencies(
    token_strings: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """Documents x terms counts of whitespace-separated tokens as compressed-row arrays
    (data, column indices, row pointers), and the term -> column map. Counted here rather than
    with scikit-learn, whose import alone costs a CLI search seconds."""
    vocabulary: dict[str, int] = {}
    indptr, indices, data = [0], [], []
    for text in token_strings:
        for token, count in Counter(text.split()).items():
            indices.append(vocabulary.setdefault(token, len(vocabulary)))
            data.append(count)
        indptr.append(len(indices))
    return (
        np.asarray(data, dtype=np.float32),
        np.asarray(indices, dtype=np.int64),
        np.asarray(indptr, dtype=np.int64),
        vocabulary,
    )


class BM25:
    """Okapi BM25 with precomputed document weights (k1, b as usual), kept column by column
    (compressed sparse column arrays: a query reads only its terms' columns)."""

    def __init__(self, token_strings: list[str], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.n_docs = len(token_strings)
        self.vocabulary: dict[str, int] = {}
        self.col_ptr = np.zeros(1, dtype=np.int64)
        self.col_rows = np.zeros(0, dtype=np.int64)
        self.col_data = np.zeros(0, dtype=np.float32)
        if not token_strings:
            return
        tf, indices, indptr, self.vocabulary = _term_frequencies(token_strings)
        n_docs, n_terms = len(token_strings), len(self.vocabulary)
        df = np.bincount(indices, minlength=n_terms).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        rows = np.repeat(np.arange(n_docs), np.diff(indptr))
        # counts are small integers, so these float32 row sums are exact in any order
        doc_len = np.bincount(rows, weights=tf, minlength=n_docs).astype(np.float32)
        avg = float(doc_len.mean()) or 1.0
        norm = k1 * (1.0 - b + b * doc_len / avg)
        data = tf * (k1 + 1.0) / (tf + norm[rows])
        data *= idf[indices]
        # rows to columns; stable, so each column lists its documents in row order
        order = np.argsort(indices, kind="stable")
        self.col_data = data.astype(np.float32)[order]
        self.col_rows = rows[order]
        self.col_ptr = np.concatenate(([0], np.cumsum(np.bincount(indices, minlength=n_terms))))

    def scores(
        self, query_tokens: list[str], term_weights: Mapping[str, float] | None = None
    ) -> np.ndarray:
        """BM25 of every document; a query term counts ``term_weights.get(term, 1)`` times
        its number of occurrences."""
        terms = [t for t in dict.fromkeys(query_tokens) if t in self.vocabulary]
        scores = np.zeros(self.n_docs, dtype=np.float32)
        if not terms or not self.n_docs:
            return scores
        weights = term_weights or {}
        counts = np.array(
            [query_tokens.count(t) * weights.get(t, 1.0) for t in terms], dtype=np.float32
        )
        # column by column in query-term order, float32 multiply then add: the same
        # arithmetic, in the same order, as a sparse column-matrix times vector product
        for term, count in zip(terms, counts, strict=True):
            col = self.vocabulary[term]
            start, end = self.col_ptr[col], self.col_ptr[col + 1]
            scores[self.col_rows[start:end]] += self.col_data[start:end] * count
        return scores


@dataclass
class LexicalIndex:
    """BM25 plus the metadata frame (one row per case, same order) used for filtering."""

    ids: np.ndarray
    meta: MetaColumns
    bm25: BM25
    revision: str
    ngrams: BM25 | None = None  # character bigrams of the Chinese text; None: no Chinese
    entities: EntityVocabulary = field(default_factory=EntityVocabulary)
    category_prior: CategoryPrior | None = None  # None: no category column / too few labels
    format: int = LEXICAL_FORMAT

    def __post_init__(self) -> None:
        # bigrams inside an entity term (云睿 of 云睿热水器) are entity bigrams
        self.entity_ngrams = frozenset(
            g for term in self.entities.terms for g in char_ngrams(term) if len(term) > 1
        )
        self._rows: dict[str, int] | None = None

    def row_of(self, case_id: str) -> int | None:
        """The row of ``case_id`` (None when it is not indexed)."""
        if self._rows is None:
            self._rows = {str(cid): i for i, cid in enumerate(self.ids)}
        return self._rows.get(case_id)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_rows": None}  # rebuilt on first use, not pickled

    def scores(
        self, query_tokens: list[str], query_ngrams: list[str], options: LexicalOptions
    ) -> np.ndarray:
        weight = options.entity_weight
        scores = self.bm25.scores(
            query_tokens, self.entities.weights(weight) if weight != 1.0 else None
        )
        if options.ngram_weight and self.ngrams is not None and query_ngrams:
            ngram_weights = dict.fromkeys(self.entity_ngrams, weight) if weight != 1.0 else None
            scores = scores + options.ngram_weight * self.ngrams.scores(query_ngrams, ngram_weights)
        return scores

    def search(
        self,
        query_tokens: list[str],
        mask: np.ndarray | None,
        depth: int,
        *,
        query_ngrams: list[str] | None = None,
        options: LexicalOptions | None = None,
    ) -> list[tuple[str, float]]:
        """Top ``depth`` (id, score) with a positive score among rows where ``mask`` is True."""
        scores = self.scores(query_tokens, query_ngrams or [], options or LexicalOptions())
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


def _read_collection(
    collection: Any, page: int = 5_000
) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    ids: list[str] = []
    metas: list[dict[str, Any]] = []
    docs: list[str] = []
    offset = 0
    while True:
        got = read_index(
            partial(collection.get, include=["metadatas", "documents"], limit=page, offset=offset)
        )
        if not got["ids"]:
            break
        ids.extend(got["ids"])
        metas.extend(m or {} for m in got["metadatas"])
        docs.extend(d or "" for d in got["documents"])
        offset += len(got["ids"])
        if len(got["ids"]) < page:
            break
    return ids, metas, docs


def build_lexical_index(collection: Any, revision: str) -> LexicalIndex:
    ids, metas, docs = _read_collection(collection)
    token_strings = [str(m.get("tokens", "")) for m in metas]
    bm25 = BM25(token_strings)
    ngram_strings = [" ".join(char_ngrams(d)) for d in docs]
    ngrams = BM25(ngram_strings) if any(ngram_strings) else None
    filterable = [{k: v for k, v in m.items() if k not in _FILTER_DROP} for m in metas]
    doc_tokens = [t.split() for t in token_strings]
    entities = build_entity_vocabulary(doc_tokens, filterable, docs)
    frame = MetaColumns.from_records(filterable)
    column = entities.category_column
    prior = train_category_prior(
        column, [m.get(column) for m in filterable] if column else [], doc_tokens, docs
    )
    return LexicalIndex(
        np.asarray(ids, dtype=object), frame, bm25, revision, ngrams, entities, prior
    )


def load_lexical_index(
    collection: Any, label: str, revision: str, cache_dir: Path | None
) -> LexicalIndex:
    """The lexical index of ``collection`` at ``revision``: from memory, the disk cache, or
    built from the collection (and then cached)."""
    key = (label, collection.name)
    with _LOCK:
        hit = _MEMORY.get(key)
        if hit is not None and hit.revision == revision and hit.format == LEXICAL_FORMAT:
            return hit
        path = cache_dir / f"{collection.name}.bm25.pkl" if cache_dir else None
        index = None
        if path is not None and path.exists():
            try:
                with path.open("rb") as fh:
                    cached = pickle.load(fh)  # our own cache file, written below
                if (
                    isinstance(cached, LexicalIndex)
                    and cached.revision == revision
                    # From the instance, not the class: a pickle written before ``format``
                    # existed has none, and the class default would claim the current one.
                    and vars(cached).get("format", 1) == LEXICAL_FORMAT
                ):
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
