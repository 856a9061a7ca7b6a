"""Complaint themes for a period and scope: clusters of cases with keywords, volume and trend.

Features: the case embeddings concatenated with an LSA projection of the stored lexical tokens
(jieba words for Chinese). The lexical part matters most for Chinese text, which the default
English model barely understands; its weight follows the share of Chinese cases. Clusters are
k-means; each theme is labelled by its c-TF-IDF keywords (words frequent in the theme and rare
elsewhere). Cases of a comparison period are assigned to the nearest theme, so each theme has
a volume now, a volume before, and a weekly trend.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

import numpy as np

from semantic_layer.periods import week_start
from tools.cases.search import AccessScope, CaseFilters, _where
from tools.cases.store import CaseStore, read_index

__all__ = ["Theme", "ThemeReport", "compute_themes", "fetch_cases"]


@dataclass(frozen=True)
class Theme:
    theme_id: int
    label: str
    keywords: tuple[str, ...]
    volume: int
    previous_volume: int | None
    growth: float | None  # volume / previous volume scaled to the same length (None: no base)
    weekly: tuple[tuple[str, int], ...]  # (week start, cases)
    top_root_causes: tuple[tuple[str, int], ...]
    scope_mix: dict[str, tuple[tuple[str, int], ...]]  # region/product_line/category -> top
    example_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "theme_id": self.theme_id,
            "label": self.label,
            "keywords": list(self.keywords),
            "volume": self.volume,
            "previous_volume": self.previous_volume,
            "growth": None if self.growth is None else round(self.growth, 3),
            "weekly": [{"week": w, "cases": n} for w, n in self.weekly],
            "top_root_causes": [{"root_cause": r, "cases": n} for r, n in self.top_root_causes],
            "scope_mix": {
                k: [{"value": v, "cases": n} for v, n in vs] for k, vs in self.scope_mix.items()
            },
            "example_ids": list(self.example_ids),
        }


@dataclass(frozen=True)
class ThemeReport:
    period: tuple[date, date]
    previous: tuple[date, date] | None
    cases: int
    previous_cases: int | None
    themes: tuple[Theme, ...]

    def grown(self, min_growth: float = 1.5, min_volume: int = 5) -> list[Theme]:
        """Themes that grew by at least ``min_growth`` x, biggest absolute increase first."""
        out = [
            t
            for t in self.themes
            if t.volume >= min_volume and (t.growth is None or t.growth >= min_growth)
        ]
        scale = self._scale()
        return sorted(out, key=lambda t: -(t.volume - (t.previous_volume or 0) * scale))

    def _scale(self) -> float:
        if not self.previous:
            return 1.0
        now = (self.period[1] - self.period[0]).days
        before = (self.previous[1] - self.previous[0]).days
        return now / before if before else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": {"start": self.period[0].isoformat(), "end": self.period[1].isoformat()},
            "previous": None
            if not self.previous
            else {"start": self.previous[0].isoformat(), "end": self.previous[1].isoformat()},
            "cases": self.cases,
            "previous_cases": self.previous_cases,
            "themes": [t.to_dict() for t in self.themes],
        }


@dataclass
class _Cases:
    ids: list[str]
    vectors: np.ndarray
    metas: list[dict[str, Any]]


def fetch_cases(
    store: CaseStore,
    filters: CaseFilters,
    access: AccessScope | None = None,
    *,
    limit: int = 50_000,
    page: int = 5_000,
) -> _Cases:
    """Ids, embeddings and metadata of the cases matching filters and access (capped)."""
    where = _where(filters, access)
    ids: list[str] = []
    vecs: list[np.ndarray] = []
    metas: list[dict[str, Any]] = []
    offset = 0
    while len(ids) < limit:
        got = read_index(  # retried while an indexing run rewrites the collection
            partial(
                store.collection.get,
                where=where,
                include=["embeddings", "metadatas"],
                limit=min(page, limit - len(ids)),
                offset=offset,
            )
        )
        if not got["ids"]:
            break
        ids.extend(got["ids"])
        vecs.append(np.asarray(got["embeddings"], dtype=np.float32))
        metas.extend(m or {} for m in got["metadatas"])
        offset += len(got["ids"])
    dim = vecs[0].shape[1] if vecs else 0
    return _Cases(ids, np.vstack(vecs) if vecs else np.zeros((0, dim), np.float32), metas)


def _l2(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def _week(day: int | None) -> str | None:
    if not day:
        return None
    d = date(day // 10000, day // 100 % 100, day % 100)
    return week_start(d).isoformat()


def compute_themes(
    store: CaseStore,
    start: date,
    end: date,
    *,
    filters: CaseFilters | None = None,
    access: AccessScope | None = None,
    previous: tuple[date, date] | None = None,
    n_themes: int | None = None,
    keywords: int = 6,
    seed: int = 0,
) -> ThemeReport:
    """Themes of the cases created in [start, end) within ``filters``/``access``; with
    ``previous`` each theme also gets its volume in that period (same scope)."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    base = filters or CaseFilters()
    now_filters = CaseFilters(base.equals, base.resolved_only, start, end)
    cur = fetch_cases(store, now_filters, access)
    prev = None
    if previous:
        prev = fetch_cases(store, CaseFilters(base.equals, base.resolved_only, *previous), access)
    n = len(cur.ids)
    if n == 0:
        return ThemeReport((start, end), previous, 0, len(prev.ids) if prev else None, ())
    k = n_themes or int(np.clip(round(np.sqrt(n / 4)), 2, 20))
    k = max(1, min(k, n))

    docs = [str(m.get("tokens", "")) for m in cur.metas]
    tfidf = TfidfVectorizer(analyzer=str.split, min_df=2 if n >= 50 else 1, sublinear_tf=True)
    try:
        lex = tfidf.fit_transform(docs)
    except ValueError:  # empty vocabulary
        lex = None
    zh_share = float(np.mean([m.get("language") == "zh" for m in cur.metas])) if n else 0.0
    parts = [_l2(cur.vectors) * (1.0 - 0.7 * zh_share)]
    svd = None
    if lex is not None and lex.shape[1] > 2:
        svd = TruncatedSVD(
            n_components=min(100, lex.shape[1] - 1, max(n - 1, 1)), random_state=seed
        )
        parts.append(_l2(svd.fit_transform(lex)) * (0.5 + 0.5 * zh_share))
    features = np.hstack(parts)
    km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(features)
    labels = km.labels_

    prev_labels = None
    if prev is not None and prev.ids:
        pparts = [_l2(prev.vectors) * (1.0 - 0.7 * zh_share)]
        if svd is not None:
            pdocs = [str(m.get("tokens", "")) for m in prev.metas]
            pparts.append(_l2(svd.transform(tfidf.transform(pdocs))) * (0.5 + 0.5 * zh_share))
        prev_labels = km.predict(np.hstack(pparts))

    # c-TF-IDF keywords: term frequency within the theme x log(1 + avg words per theme / freq).
    term_counts = [Counter() for _ in range(k)]
    for doc, lab in zip(docs, labels, strict=True):
        term_counts[lab].update(doc.split())
    total = Counter()
    for c in term_counts:
        total.update(c)
    avg_words = sum(total.values()) / k if k else 1.0

    scale = 1.0
    if previous:
        scale = (end - start).days / max((previous[1] - previous[0]).days, 1)
    themes = []
    for t in range(k):
        members = np.flatnonzero(labels == t)
        words = term_counts[t]
        size_t = sum(words.values()) or 1
        scored = sorted(
            (
                (w, (c / size_t) * np.log(1 + avg_words / total[w]))
                for w, c in words.items()
                if len(w) > 1 or not w.isascii()
            ),
            key=lambda x: (-x[1], x[0]),
        )
        kw = tuple(w for w, _ in scored[:keywords])
        dist = np.linalg.norm(features[members] - km.cluster_centers_[t], axis=1)
        examples = tuple(cur.ids[i] for i in members[np.argsort(dist)[:5]])
        weekly = Counter(_week(cur.metas[i].get("created_day")) for i in members)
        rc = Counter(
            cur.metas[i].get("root_cause") for i in members if cur.metas[i].get("root_cause")
        )
        mix = {
            key: tuple(
                Counter(
                    cur.metas[i].get(key) for i in members if cur.metas[i].get(key)
                ).most_common(3)
            )
            for key in ("region", "product_line", "category", "channel")
        }
        prev_n = int(np.sum(prev_labels == t)) if prev_labels is not None else (0 if prev else None)
        growth = None
        if prev_n:
            growth = len(members) / (prev_n * scale)
        themes.append(
            Theme(
                theme_id=t,
                label=" / ".join(kw[:3]) or f"theme {t}",
                keywords=kw,
                volume=int(len(members)),
                previous_volume=prev_n,
                growth=growth,
                weekly=tuple(sorted((w, c) for w, c in weekly.items() if w)),
                top_root_causes=tuple(rc.most_common(3)),
                scope_mix=mix,
                example_ids=examples,
            )
        )
    themes.sort(key=lambda th: (-th.volume, th.theme_id))
    return ThemeReport(
        period=(start, end),
        previous=previous,
        cases=n,
        previous_cases=len(prev.ids) if prev is not None else None,
        themes=tuple(themes),
    )
