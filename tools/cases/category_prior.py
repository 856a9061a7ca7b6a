"""Category prior: which category (root cause, category, issue, label) a new complaint likely
belongs to, learned from the indexed cases' own labels.

Why: the embedding model and BM25 each see one text at a time; the resolved cases' labels say
which words separate the categories across the whole corpus. A light classifier (multinomial
logistic regression on TF-IDF of words, adjacent word pairs and, for Chinese, character
bigrams — the lexical index's own tokens) predicts the new complaint's category with a
probability; the search adds a fused-score bonus to candidates of the predicted categories,
weighted by that probability (only above a confidence threshold; weight and threshold per
language, chosen on the retrieval evaluation's dev split). The prediction is shown with the
results ("likely: 信用卡 (82%)") so an agent sees why cases of that category rose.

Trained on the indexed cases only, when the lexical index is built (at the end of indexing),
and stored in the same cache file (versioned with it). Off when the index has no category
column or too few labelled cases. Prediction is numpy only (no scikit-learn import at query
time): a sparse dot product over the query's features, well under a millisecond.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tools.cases.text import char_ngrams, tokenize

__all__ = [
    "MIN_CASES",
    "CategoryPrior",
    "features",
    "train_category_prior",
]

MIN_CASES = 200  # labelled cases needed to train at all
MIN_CLASS_CASES = 5  # a category needs this many labelled cases to be predicted
MIN_DF = 2  # a feature must occur in this many labelled cases
C = 10.0  # inverse L2 regularisation of the logistic regression


def features(tokens: Sequence[str], text: str) -> list[str]:
    """Classifier features of a case: its lexical tokens (jieba words / stemmed English words),
    adjacent token pairs, and the character bigrams of its Chinese text."""
    out = list(tokens)
    out += [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    out += [f"#{g}" for g in char_ngrams(text)]
    return out


@dataclass(frozen=True)
class CategoryPrior:
    """A trained classifier over the categories of ``column``."""

    column: str
    classes: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray  # float32, per feature
    coef: np.ndarray  # float32, features x classes
    intercept: np.ndarray  # float32, per class
    n_cases: int

    def probabilities(self, text: str, tokens: Sequence[str] | None = None) -> np.ndarray:
        """Class probabilities of a (PII-masked) text, in ``classes`` order."""
        feats = features(tokenize(text) if tokens is None else tokens, text)
        counts = Counter(f for f in feats if f in self.vocabulary)
        logits = self.intercept.astype(np.float64)
        if counts:
            cols = np.fromiter((self.vocabulary[f] for f in counts), dtype=np.int64)
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))
            weights = tf * self.idf[cols]
            weights /= np.linalg.norm(weights) or 1.0
            logits = logits + weights @ self.coef[cols].astype(np.float64)
        logits -= logits.max()
        p = np.exp(logits)
        return p / p.sum()

    def predict(self, text: str, tokens: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """(category, probability) of every category, most likely first."""
        p = self.probabilities(text, tokens)
        order = np.argsort(-p, kind="stable")
        return [(self.classes[i], float(p[i])) for i in order]

    def summary(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "categories": len(self.classes),
            "labelled_cases": self.n_cases,
            "features": len(self.vocabulary),
        }


def _tfidf_rows(
    doc_features: Sequence[Sequence[str]], vocabulary: Mapping[str, int], idf: np.ndarray
) -> Any:
    from scipy.sparse import csr_matrix

    indptr, indices, data = [0], [], []
    for feats in doc_features:
        counts = Counter(f for f in feats if f in vocabulary)
        cols = [vocabulary[f] for f in counts]
        vals = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * idf[cols]
        vals /= np.linalg.norm(vals) or 1.0
        indices.extend(cols)
        data.extend(vals.tolist())
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(doc_features), len(idf)))


def train_category_prior(
    column: str | None,
    labels: Sequence[Any],
    doc_tokens: Sequence[Sequence[str]],
    documents: Sequence[str],
) -> CategoryPrior | None:
    """Train on the cases that carry a label in ``column`` (same order as the tokens and
    texts); None when there is no column, fewer than ``MIN_CASES`` labelled cases or fewer
    than two categories with ``MIN_CLASS_CASES`` cases each.

    Runs when the lexical index is built (index time): scikit-learn is imported here only."""
    if column is None:
        return None
    rows = [i for i, y in enumerate(labels) if y not in (None, "")]
    per_class = Counter(str(labels[i]) for i in rows)
    kept = sorted(c for c, n in per_class.items() if n >= MIN_CLASS_CASES)
    rows = [i for i in rows if str(labels[i]) in kept]
    if len(rows) < MIN_CASES or len(kept) < 2:
        return None
    from sklearn.linear_model import LogisticRegression

    doc_features = [features(doc_tokens[i], documents[i]) for i in rows]
    df = Counter(f for feats in doc_features for f in set(feats))
    vocabulary = {f: j for j, f in enumerate(sorted(f for f, n in df.items() if n >= MIN_DF))}
    n = len(rows)
    counts = np.array([df[f] for f in vocabulary], dtype=np.float64)
    idf = np.log((1.0 + n) / (1.0 + counts)) + 1.0
    x = _tfidf_rows(doc_features, vocabulary, idf)
    y = np.array([kept.index(str(labels[i])) for i in rows])
    model = LogisticRegression(C=C, max_iter=300)
    model.fit(x, y)
    coef = model.coef_.T  # features x classes (binary: one column for class 1)
    intercept = model.intercept_
    if len(kept) == 2:  # sklearn's binary form: logit of class 1 vs class 0
        coef = np.hstack([np.zeros_like(coef), coef])
        intercept = np.array([0.0, intercept[0]])
    return CategoryPrior(
        column=column,
        classes=tuple(kept),
        vocabulary=vocabulary,
        idf=idf.astype(np.float32),
        coef=np.ascontiguousarray(coef, dtype=np.float32),
        intercept=intercept.astype(np.float32),
        n_cases=n,
    )
