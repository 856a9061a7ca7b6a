"""Per-language parameters of the similar-case search, read from ``retrieval_params.yml``.

The numbers are data, not code: they are chosen on the development split of the retrieval
evaluation (``python -m evals.retrieval --write-params``) and documented beside them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from semantic_layer.yaml_load import YamlFileError, read_yaml
from tools.cases.lexical import LexicalOptions

__all__ = [
    "PARAMS_FILE",
    "CategoryPriorParams",
    "FusionParams",
    "LanguageParams",
    "language_params",
    "params_to_yaml",
]

PARAMS_FILE = Path(__file__).with_name("retrieval_params.yml")
LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class FusionParams:
    """Weighted RRF: score = w_dense / (k + dense_rank) + w_lexical / (k + lexical_rank)."""

    k: float = 60.0
    w_dense: float = 1.0
    w_lexical: float = 1.0
    depth: int = 100  # candidates taken from each retriever


@dataclass(frozen=True)
class CategoryPriorParams:
    """Fused-score bonus for candidates of the query's predicted category: a candidate whose
    category the classifier gives probability p >= ``min_probability`` gains
    ``weight * p * (w_dense + w_lexical) / (k + 1)`` (``weight`` 1 = as much as ranking first in
    both lists). ``weight`` 0 = off."""

    weight: float = 0.0
    min_probability: float = 0.5


@dataclass(frozen=True)
class LanguageParams:
    fusion: FusionParams = field(default_factory=FusionParams)
    lexical: LexicalOptions = field(default_factory=LexicalOptions)
    expand_synonyms: bool = False
    strip_entities_from_query_embedding: bool = False
    category_prior: CategoryPriorParams = field(default_factory=CategoryPriorParams)


def _number(doc: Any, *path: str, minimum: float = 0.0) -> float:
    value = doc.value(*path)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise YamlFileError(
            doc.file, doc.line_of(*path), f"{'.'.join(path)} must be a number >= {minimum:g}."
        )
    return float(value)


def _flag(doc: Any, *path: str) -> bool:
    value = doc.value(*path)
    if not isinstance(value, bool):
        raise YamlFileError(doc.file, doc.line_of(*path), f"{'.'.join(path)} is true or false.")
    return value


@cache
def _load(path: Path) -> dict[str, LanguageParams]:
    doc = read_yaml(path)
    out = {}
    for lang in LANGUAGES:
        out[lang] = LanguageParams(
            fusion=FusionParams(
                k=_number(doc, lang, "fusion", "k", minimum=1),
                w_dense=_number(doc, lang, "fusion", "w_dense"),
                w_lexical=_number(doc, lang, "fusion", "w_lexical"),
                depth=int(_number(doc, lang, "fusion", "depth", minimum=1)),
            ),
            lexical=LexicalOptions(
                entity_weight=_number(doc, lang, "entity_weight"),
                ngram_weight=_number(doc, lang, "ngram_weight"),
            ),
            expand_synonyms=_flag(doc, lang, "expand_synonyms"),
            strip_entities_from_query_embedding=_flag(
                doc, lang, "strip_entities_from_query_embedding"
            ),
            category_prior=CategoryPriorParams(
                weight=_number(doc, lang, "category_prior", "weight"),
                min_probability=_number(doc, lang, "category_prior", "min_probability"),
            ),
        )
    return out


def language_params(language: str, path: Path = PARAMS_FILE) -> LanguageParams:
    """The parameters for queries in ``language`` ("zh" or "en")."""
    return _load(path)["zh" if language == "zh" else "en"]


def params_to_yaml(params: dict[str, LanguageParams]) -> str:
    """The language sections of the params file (its comment header is kept by the caller)."""
    lines = []
    for lang in LANGUAGES:
        p = params[lang]
        f = asdict(p.fusion)
        lines += [
            f"{lang}:",
            f"  fusion: {{k: {f['k']:g}, w_dense: {f['w_dense']:g}, "
            f"w_lexical: {f['w_lexical']:g}, depth: {f['depth']}}}",
            f"  entity_weight: {p.lexical.entity_weight:g}",
            f"  ngram_weight: {p.lexical.ngram_weight:g}",
            f"  expand_synonyms: {str(p.expand_synonyms).lower()}",
            "  strip_entities_from_query_embedding: "
            f"{str(p.strip_entities_from_query_embedding).lower()}",
            f"  category_prior: {{weight: {p.category_prior.weight:g}, "
            f"min_probability: {p.category_prior.min_probability:g}}}",
        ]
    return "\n".join(lines) + "\n"
