"""The words the offline planner understands, all taken from the semantic layer.

Metric names, labels and synonyms; dimension labels and synonyms; code values (华东, WeChat,
VIP客户) with the dimension they filter; words that fit several metrics (ambiguous terms).
Chinese is matched as substrings (longest first), English on word boundaries with a
typo-tolerant fallback; matches never overlap.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from assistant.planning.homophones import HomophoneFixer
from semantic_layer.catalog import Catalog
from semantic_layer.spec import Label

TermKind = Literal["metric", "dimension", "value"]

# Dimensions the planner offers, in the order it prefers them when a word is ambiguous, as
# names the compiler resolves from the fact models (tickets, surveys, orders).
# How a missing or yes/no value reaches a label as text (str() of None, NaN, NaT, pandas NA).
MISSING_VALUE_TEXTS = frozenset({"", "None", "nan", "NaN", "NaT", "<NA>"})
BOOLEAN_TEXTS = {"true": True, "false": False, "1": True, "0": False}

PLANNER_DIMENSIONS = (
    "region",
    "channel",
    "ticket_type",
    "category",
    "priority",
    "status",
    "language",
    "root_cause",
    "escalated",
    "segment",
    "value_tier",  # customer segments computed as of a date (tools/customers/segments.py)
    "repeat_complainer",
    "recent_low_csat",
    "city",
    "product_line",
    "product.category",
    "product_name",
    "team",
    "agent_name",
)


@dataclass(frozen=True)
class Term:
    surface: str  # normalised form matched in questions
    kind: TermKind
    target: str  # metric name, dimension name, or code
    dimension: str | None = None  # for values: the dimension they filter
    codes: tuple[str, ...] = ()  # for a code group ("未解决"): every code it stands for

    @property
    def values(self) -> tuple[str, ...]:
        """The codes a value term filters by."""
        return self.codes or (self.target,)


@dataclass(frozen=True)
class Match:
    term: Term
    start: int
    end: int
    fuzzy: bool = False


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, single spaces (keeps character positions 1:1)."""
    return unicodedata.normalize("NFKC", text).lower()


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# Between two listed values: "high and urgent", "高、紧急", "high/urgent".
_LIST_JOIN = re.compile(r"\s*(?:,|，|、|/|\band\b|\bor\b|和|与|及|或)\s*")

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


class Lexicon:
    """Every term of a catalog, ready for matching."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        terms: list[Term] = []
        for metric in catalog.spec.metrics:
            for word in {
                metric.name,
                metric.name.replace("_", " "),
                metric.label.zh,
                metric.label.en,
                *metric.synonyms,
            }:
                terms.append(Term(normalise(word), "metric", metric.name))
        self.dimension_codes: dict[str, str | None] = {}
        self.dimension_types: dict[str, str] = {}
        self.code_count: dict[str, int] = {}
        self.dimension_labels: dict[str, tuple[str, str]] = {}
        seen_lists: set[str] = set()
        self.bare_labels: dict[str, Term] = {}  # labels that name a value only when listed
        for name in PLANNER_DIMENSIONS:
            dim = catalog.resolve_dimension("tickets", name).dimension
            if dim is None:
                continue
            self.dimension_codes[name] = dim.codes
            self.dimension_types[name] = dim.type
            self.dimension_labels[name] = (dim.label.zh, dim.label.en)
            words = {dim.label.zh, dim.label.en, *dim.synonyms}
            if "." not in name:
                words.add(name.replace("_", " "))
            words |= {_plural(w) for w in words if not has_cjk(w)}
            terms += [Term(normalise(w), "dimension", name) for w in words]
            code_list = catalog.code_list_for(dim)
            if code_list is not None:
                self.code_count[name] = len(code_list.codes)
            elif dim.type == "categorical":
                # No code list (cities, product and agent names are stored as names): the
                # listed values, or the warehouse's (values_from_data), filter as they are.
                listed = catalog.data_values.get(name, ()) if dim.values_from_data else ()
                terms += [
                    Term(normalise(v), "value", v, name)
                    for v in listed or (() if dim.values_from_data else dim.sample_values)
                    if _nameable(v)
                ]
            if code_list is None or code_list.name in seen_lists:
                continue
            seen_lists.add(code_list.name)  # a code list filters its first (preferred) dimension
            for code in code_list.codes:
                words = {code.label.zh, code.label.en, *code.synonyms}
                if code_list.labels_need_name:  # "high priority", "优先级高", not "so high"
                    words = {*code.synonyms, *_named_labels(code.label, dim)}
                    # (Not one Chinese character: 高 is also half of 最高, 提高.)
                    for label in (code.label.zh, code.label.en):
                        if len(label) == 1 and has_cjk(label):
                            continue
                        self.bare_labels[normalise(label)] = Term(
                            normalise(label), "value", code.code, name
                        )
                else:
                    if len(code.code) > 2:
                        words.add(code.code.replace("_", " "))
                    if "_" in code.code:
                        words.add(code.code)  # as written in data and reports: east_a
                words |= {_plural(w) for w in words if w and not has_cjk(w)}  # "TVs"
                # A single Chinese character (低, 高) is part of too many words (低于, 提高).
                terms += [
                    Term(normalise(w), "value", code.code, name)
                    for w in words
                    if w and not (len(w) == 1 and has_cjk(w))
                ]
            for group in code_list.groups:
                words = {group.label.zh, group.label.en, *group.synonyms}
                terms += [
                    Term(normalise(w), "value", group.name, name, codes=group.codes)
                    for w in words
                    if w
                ]
        # Words that name several metrics (semantic_layer/definitions/vocabulary.yml): the
        # planner asks which one, unless a longer metric term containing the word settles it.
        self.ambiguous: dict[str, tuple[str, ...]] = {
            normalise(word): term.metrics
            for term in catalog.spec.ambiguous_terms
            for word in term.words
        }
        self.vague_words = {
            normalise(w) for t in catalog.spec.ambiguous_terms if t.vague for w in t.words
        }
        # Longest first, so 华东区 beats 华东 and "first response time" beats "response time";
        # on equal words metrics beat dimensions beat values, then the dimension order above.
        kind_rank = {"metric": 0, "dimension": 1, "value": 2}
        dim_rank = {d: i for i, d in enumerate(PLANNER_DIMENSIONS)}
        self.terms = sorted(
            {t for t in terms if t.surface.strip()},
            key=lambda t: (
                -len(t.surface),
                t.surface,
                kind_rank[t.kind],
                dim_rank.get(t.dimension or t.target, 99),
                t.target,
            ),
        )
        self._english = [t for t in self.terms if not has_cjk(t.surface)]
        self.homophones = HomophoneFixer(
            t.surface for t in self.terms if t.kind == "metric" and has_cjk(t.surface)
        )

    def values_naming(self, word: str, limit: int = 3) -> list[tuple[str, str, str]]:
        """(dimension, code, the shortest name of it holding ``word``) of the single values
        whose name contains ``word`` as a whole English word or, in Chinese, as two or more
        characters ("chat" -> Web chat, "high" -> high priority): what an unplaced word may
        have meant. Empty when more than ``limit`` values do (too vague to offer)."""
        word = normalise(word).strip()
        if not word or (has_cjk(word) and len(word) < 2):
            return []
        english = not has_cjk(word)
        pattern = re.compile(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])") if english else None
        found: dict[tuple[str, str], str] = {}
        for term in reversed(self.terms):  # shortest first
            if term.kind != "value" or term.codes or term.dimension is None or term.surface == word:
                continue
            if pattern.search(term.surface) if pattern else word in term.surface:
                found.setdefault((term.dimension, term.target), term.surface)
                if len(found) > limit:
                    return []
        return [(dimension, code, surface) for (dimension, code), surface in found.items()]

    def value_label(self, dimension: str, code: str, language: str) -> str:
        """What users read for a stored value: the code's label, 已升级/未升级 for a yes/no
        dimension, 未知/Unknown for a missing value (never "nan" or "True")."""
        if code in MISSING_VALUE_TEXTS:
            return "未知" if language == "zh" else "Unknown"
        dim = self.catalog.resolve_dimension("tickets", dimension).dimension
        if dim.type == "boolean" and code.lower() in BOOLEAN_TEXTS:
            yes, no = dim.yes_no or (Label(zh="是", en="Yes"), Label(zh="否", en="No"))
            label = yes if BOOLEAN_TEXTS[code.lower()] else no
            return label.zh if language == "zh" else label.en
        code_list = self.catalog.code_list_for(dim)
        if code_list is not None:
            for entry in code_list.codes:
                if entry.code == code:
                    return entry.label.zh if language == "zh" else entry.label.en
        return code

    def dimension_label(self, dimension: str, language: str) -> str:
        zh, en = self.dimension_labels.get(dimension, (dimension, dimension))
        return zh if language == "zh" else en

    def condition_label(self, dimension: str, values: Iterable[object], language: str) -> str:
        """'大区=华东' / 'Region=East China'; several values joined by '/'."""
        shown = "/".join(self.value_label(dimension, str(v), language) for v in values)
        return f"{self.dimension_label(dimension, language)}={shown}"

    def scope_label(self, scope: Mapping[str, object], language: str) -> str:
        """Conditions of a scope (dimension -> value) in words, comma-separated."""
        sep = "，" if language == "zh" else ", "
        return sep.join(self.condition_label(d, (v,), language) for d, v in scope.items())

    def find(self, text: str) -> list[Match]:
        """Non-overlapping matches in ``text`` (already normalised), left to right."""
        taken = [False] * len(text)
        found: list[Match] = []
        for term in self.terms:
            for start in _occurrences(text, term.surface):
                end = start + len(term.surface)
                if any(taken[start:end]):
                    continue
                found.append(Match(term, start, end))
                for i in range(start, end):
                    taken[i] = True
        found += self._fuzzy_english(text, taken)
        found += self._listed_beside(text, taken, found)
        return sorted(found, key=lambda m: m.start)

    def _listed_beside(self, text: str, taken: list[bool], found: list[Match]) -> list[Match]:
        """A bare everyday label listed with a named value of its own dimension: "high and
        urgent tickets", "高、紧急工单" (labels_need_name code lists)."""
        extra: list[Match] = []
        named = [m for m in found if m.term.kind == "value" and m.term.dimension]
        for surface, term in self.bare_labels.items():
            for start in _occurrences(text, surface):
                end = start + len(surface)
                if any(taken[start:end]):
                    continue
                for other in named:
                    if other.term.dimension != term.dimension:
                        continue
                    gap = text[end : other.start] if end <= other.start else text[other.end : start]
                    if _LIST_JOIN.fullmatch(gap):
                        extra.append(Match(term, start, end))
                        for i in range(start, end):
                            taken[i] = True
                        break
        return extra

    def _fuzzy_english(self, text: str, taken: list[bool]) -> list[Match]:
        """Typos in English words ("custmer satisfaction", "escalaton rate")."""
        words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
        words = [w for w in words if not any(taken[w[0] : w[1]])]
        found: list[Match] = []
        used: set[int] = set()
        for term in self._english:
            size = len(term.surface.split())
            if len(term.surface) < 5:
                continue  # short words: typos are too ambiguous
            for i in range(len(words) - size + 1):
                window = words[i : i + size]
                if any(j in used for j in range(i, i + size)):
                    continue
                candidate = " ".join(w[2] for w in window)
                if _negates(candidate, term.surface):
                    continue  # "unresolved" is not a typo of "resolved"
                ratio = difflib.SequenceMatcher(None, candidate, term.surface).ratio()
                if ratio >= 0.88:
                    found.append(Match(term, window[0][0], window[-1][1], fuzzy=True))
                    used.update(range(i, i + size))
        return found


_NEGATING_PREFIXES = ("un", "non", "in", "im", "ir", "il", "dis", "mis", "not")


def _named_labels(label: Label, dimension) -> set[str]:  # noqa: ANN001 - a spec Dimension
    """A code's labels beside its dimension's names: "high priority", "priority high",
    "high-priority", "高优先级", "优先级高"."""
    zh_names = [w for w in (dimension.label.zh, *dimension.synonyms) if has_cjk(w)]
    en_names = [w for w in (dimension.label.en, *dimension.synonyms) if not has_cjk(w)]
    words = {f"{label.zh}{n}" for n in zh_names} | {f"{n}{label.zh}" for n in zh_names}
    for name in en_names:
        words |= {f"{label.en} {name}", f"{name} {label.en}", f"{label.en}-{name}"}
    return words


def _negates(candidate: str, surface: str) -> bool:
    """``candidate`` is ``surface`` with a negating prefix ("unresolved", "non-escalated",
    "dissatisfied"): the opposite word, however close the letters."""
    return any(
        candidate.startswith(prefix) and not surface.startswith(prefix)
        for prefix in _NEGATING_PREFIXES
    )


def _plural(word: str) -> str:
    """English plural of a dimension word ("categories", "product lines") for matching."""
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy")):
        return word[:-1] + "ies"
    return word if word.endswith("s") else word + "s"


def _occurrences(text: str, surface: str) -> list[int]:
    """Start positions of ``surface``; English terms only on word boundaries."""
    positions = []
    start = text.find(surface)
    english = not has_cjk(surface)
    while start != -1:
        end = start + len(surface)
        if not english or (_boundary(text, start - 1) and _boundary(text, end)):
            positions.append(start)
        start = text.find(surface, start + 1)
    return positions


def _boundary(text: str, index: int) -> bool:
    if index < 0 or index >= len(text):
        return True
    ch = text[index]
    return not (ch.isascii() and ch.isalnum())


def _nameable(value: str) -> bool:
    """A value long enough to be named in a question: two Chinese characters ("上海", an
    agent's name) or three letters; shorter ones are parts of too many words."""
    return len(value) >= (2 if has_cjk(value) else 3)


@lru_cache(maxsize=4)
def lexicon_for(catalog: Catalog) -> Lexicon:
    return Lexicon(catalog)
