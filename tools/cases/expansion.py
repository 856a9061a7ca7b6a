"""Query expansion from the semantic layer's certified vocabulary.

Every code of the semantic layer's code lists (product lines, categories, ticket types...) has
zh/en labels and synonyms. When a query contains one of those words, the others are added to
its lexical query, so 抽油烟机 also finds 油烟机 and "fridge" finds "refrigerator".
Whether it is used is a per-language option (retrieval_params.yml), measured by the eval.
"""

from __future__ import annotations

from functools import cache

from tools.cases.text import is_chinese, tokenize

__all__ = ["expand_tokens", "synonym_groups"]


@cache
def synonym_groups() -> tuple[tuple[tuple[str, ...], ...], ...]:
    """Per code: the token sequences of its labels and synonyms (empty ones dropped)."""
    from semantic_layer.loader import load_spec

    groups = []
    for code_list in load_spec().spec.code_lists:
        for code in code_list.codes:
            words = (code.label.zh, code.label.en, *code.synonyms)
            seqs = {tuple(tokenize(w)) for w in words}
            seqs.discard(())
            if len(seqs) > 1:
                groups.append(tuple(sorted(seqs)))
    return tuple(groups)


def _contains(tokens: list[str], seq: tuple[str, ...]) -> bool:
    n = len(seq)
    return any(tuple(tokens[i : i + n]) == seq for i in range(len(tokens) - n + 1))


def expand_tokens(tokens: list[str], language: str) -> list[str]:
    """The tokens of the synonyms of every code whose label or synonym occurs in ``tokens``
    (as a whole word sequence), in the query's language, minus the tokens already there."""
    present = set(tokens)
    zh = language == "zh"
    extra: list[str] = []
    for group in synonym_groups():
        if any(_contains(tokens, seq) for seq in group):
            for seq in group:
                extra.extend(
                    t for t in seq if t not in present and t not in extra and is_chinese(t) == zh
                )
    return extra
