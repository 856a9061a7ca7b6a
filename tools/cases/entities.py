"""Entity vocabulary: the names (brand, model, product, shop, company) in complaint text.

Why: in real complaints the entity words — often at the start of a title — dominate lexical
similarity, so a search finds "the same product" instead of "the same fault". Entity terms get
a reduced weight in BM25 and are dropped from the query text that is embedded.

Everything is computed on the indexed corpus (never on queries or on evaluation labels):

- **metadata names**: the tokens of the values of name-holding columns (``ENTITY_COLUMNS``:
  product, brand, model, shop, company...);
- **concentrated but spread**: a token whose documents sit mostly in one value of an entity
  column (e.g. one product line) while spreading evenly over the categories (root cause,
  category, label) — it says *what* the complaint is about, not *what went wrong*;
- **proper nouns** (Latin script): words written capitalised in the middle of a sentence
  nearly every time they occur (company and brand names in English narratives).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tools.cases.text import tokenize

__all__ = [
    "CATEGORY_COLUMNS",
    "ENTITY_COLUMNS",
    "EntityVocabulary",
    "build_entity_vocabulary",
    "proper_nouns",
    "strip_entities",
]

# Metadata columns that hold names of things (their values' tokens are entities) and columns
# whose values group the corpus by entity (concentration is measured on them). First match wins
# for the category column.
ENTITY_COLUMNS = ("product", "brand", "model", "shop", "store", "merchant", "seller", "company")
GROUP_COLUMNS = (*ENTITY_COLUMNS, "product_line")
CATEGORY_COLUMNS = ("root_cause", "category", "issue", "label")

MIN_DF = 10  # rarer tokens give no reliable distribution
CONCENTRATION = 0.6  # share of a token's documents in its most frequent entity value ...
MIN_LIFT = 3.0  # ... and at least this many times that value's share of the corpus
SPREAD = 0.8  # category entropy of the token's documents / entropy of the whole corpus
PROPER_NOUN_SHARE = 0.9  # mid-sentence occurrences written capitalised


@dataclass(frozen=True)
class EntityVocabulary:
    """Entity terms by the source that found them (a term may come from several)."""

    from_metadata: frozenset[str] = frozenset()
    concentrated: frozenset[str] = frozenset()
    proper_nouns: frozenset[str] = frozenset()
    group_columns: tuple[str, ...] = ()
    category_column: str | None = None
    terms: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "terms", self.from_metadata | self.concentrated | self.proper_nouns
        )

    def __contains__(self, token: object) -> bool:
        return token in self.terms

    def __len__(self) -> int:
        return len(self.terms)

    def weights(self, weight: float) -> dict[str, float]:
        """Term -> BM25 query-weight multiplier (1.0 for every term not listed)."""
        return dict.fromkeys(self.terms, weight)

    def summary(self, top: int = 15) -> dict[str, Any]:
        return {
            "group_columns": list(self.group_columns),
            "category_column": self.category_column,
            "from_metadata": sorted(self.from_metadata)[:top],
            "concentrated": sorted(self.concentrated)[:top],
            "proper_nouns": sorted(self.proper_nouns)[:top],
            "total": len(self.terms),
        }


def _entropy(counts: Iterable[int]) -> float:
    arr = np.asarray([c for c in counts if c], dtype=float)
    if arr.size <= 1:
        return 0.0
    p = arr / arr.sum()
    return float(-(p * np.log(p)).sum())


def _metadata_terms(metas: Sequence[Mapping[str, Any]]) -> set[str]:
    names = {str(m[c]) for m in metas for c in ENTITY_COLUMNS if m.get(c) not in (None, "")}
    return {t for name in names for t in tokenize(name) if not t.isdigit()}


def _concentrated_terms(
    doc_tokens: Sequence[Sequence[str]],
    metas: Sequence[Mapping[str, Any]],
    group_column: str,
    category_column: str,
) -> set[str]:
    groups = [m.get(group_column) for m in metas]
    cats = [m.get(category_column) for m in metas]
    group_prior = Counter(g for g in groups if g is not None)
    n_grouped = sum(group_prior.values()) or 1
    corpus_entropy = _entropy(Counter(c for c in cats if c is not None).values())
    if not corpus_entropy or len(group_prior) < 2:
        return set()
    by_group: dict[str, Counter] = defaultdict(Counter)
    by_cat: dict[str, Counter] = defaultdict(Counter)
    for tokens, g, c in zip(doc_tokens, groups, cats, strict=True):
        for t in set(tokens):
            if g is not None:
                by_group[t][g] += 1
            if c is not None:
                by_cat[t][c] += 1
    found = set()
    for t, per_group in by_group.items():
        df = sum(per_group.values())
        if df < MIN_DF:
            continue
        value, top = per_group.most_common(1)[0]
        share = top / df
        if share < CONCENTRATION or share < MIN_LIFT * group_prior[value] / n_grouped:
            continue
        if _entropy(by_cat[t].values()) >= SPREAD * corpus_entropy:
            found.add(t)
    return found


_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")


def _starts_sentence(doc: str, start: int) -> bool:
    before = doc[max(0, start - 12) : start]
    stripped = before.rstrip()
    return not stripped or stripped[-1] in '.!?:;"(' or "\n" in before[len(stripped) :]


def proper_nouns(documents: Iterable[str], min_df: int = MIN_DF) -> set[str]:
    """Tokens (as :func:`tokenize` writes them) whose words are capitalised in the middle of
    sentences at least ``PROPER_NOUN_SHARE`` of the time; all-caps words (XXXX masks,
    acronyms written in capitals) and sentence-initial words are not counted."""
    upper: Counter = Counter()
    seen: Counter = Counter()
    for doc in documents:
        for m in _WORD.finditer(doc):
            word = m.group(0)
            if word.isupper() or _starts_sentence(doc, m.start()):
                continue
            tokens = tokenize(word)
            if len(tokens) != 1:
                continue
            seen[tokens[0]] += 1
            upper[tokens[0]] += word[0].isupper()
    return {t for t, n in seen.items() if n >= min_df and upper[t] >= PROPER_NOUN_SHARE * n}


def build_entity_vocabulary(
    doc_tokens: Sequence[Sequence[str]],
    metas: Sequence[Mapping[str, Any]],
    documents: Sequence[str] | None = None,
) -> EntityVocabulary:
    """The entity vocabulary of an indexed corpus (tokens, metadata and texts, same order)."""
    present = set().union(*(m.keys() for m in metas[:500])) if metas else set()
    groups = [c for c in GROUP_COLUMNS if c in present]
    category = next((c for c in CATEGORY_COLUMNS if c in present), None)
    concentrated: set[str] = set()
    for group in groups if category else ():
        concentrated |= _concentrated_terms(doc_tokens, metas, group, category)
    return EntityVocabulary(
        from_metadata=frozenset(_metadata_terms(metas)),
        concentrated=frozenset(concentrated),
        proper_nouns=frozenset(proper_nouns(documents) if documents else ()),
        group_columns=tuple(groups),
        category_column=category,
    )


_SEGMENT = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z][A-Za-z'’]*")


def strip_entities(text: str, vocabulary: EntityVocabulary) -> str:
    """``text`` without its entity words (Chinese cut with jieba, Latin words by token), so
    what is embedded says what went wrong rather than which brand it happened to."""
    if not vocabulary.terms:
        return text
    from tools.jieba_loader import cut_words

    def drop(match: re.Match[str]) -> str:
        seg = match.group(0)
        if "\u4e00" <= seg[0] <= "\u9fff":
            words = cut_words(seg)
            return "".join(w for w in words if w not in vocabulary)
        tokens = tokenize(seg)
        return "" if tokens and all(t in vocabulary for t in tokens) else seg

    return _SEGMENT.sub(drop, text)
