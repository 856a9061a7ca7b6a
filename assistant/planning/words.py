"""The offline planner's word lists, read once from ``planner_words.yml`` beside this module.

Words are data (a linguist can add a filler word without reading Python); the grammar that uses
them — regular expressions and planner rules in ``cues``, ``coverage``, ``offline`` and
``time_parser`` — stays in code. A broken edit is a YamlFileError naming file:line.
"""

from __future__ import annotations

from pathlib import Path

from semantic_layer.yaml_load import YamlDoc, YamlFileError, read_yaml

_DOC = read_yaml(Path(__file__).with_name("planner_words.yml"), cached=True)


def _mapping(doc: YamlDoc, key: str, kind: type, example: str) -> dict:
    """A non-empty mapping word → ``kind`` (``english_numbers: {one: 1, ...}``)."""
    value = doc.value(key)
    if (
        not value
        or not isinstance(value, dict)
        or not all(isinstance(v, kind) and not isinstance(v, bool) for v in value.values())
    ):
        raise YamlFileError(
            doc.file, doc.line_of(key), f"{key} must map words to {kind.__name__} ({example})."
        )
    return dict(value)


def _numbers(doc: YamlDoc, key: str) -> dict[str, int]:
    return _mapping(doc, key, int, "one: 1")


def _words(doc: YamlDoc, *path: str) -> tuple[str, ...]:
    """Words separated by spaces and line breaks (``key: |`` block)."""
    return tuple(word for line in doc.text_lines(*path) for word in line.split())


# Words that carry no meaning for the number (particles, politeness, question frames, filler).
FUNCTION_WORDS_ZH = _words(_DOC, "function_words", "zh")
FUNCTION_WORDS_EN = frozenset(_words(_DOC, "function_words", "en"))
PARTICLES = frozenset("".join(_words(_DOC, "particles")))  # single characters
SCOPE_MODIFIERS = _DOC.texts("scope_modifiers")
STATISTIC_WORDS = {
    statistic: _DOC.texts("statistic_words", statistic)
    for statistic in _DOC.value("statistic_words")
}
GENERIC_METRIC_WORDS = frozenset(_DOC.texts("generic_metric_words"))
TYPO_FIXES: dict[str, str] = _mapping(_DOC, "typo_fixes", str, "mth: month")
HOMOPHONES_ZH = _words(_DOC, "homophones_zh")  # each: characters that stand for each other
THRESHOLD_WORDS = {op: _DOC.texts("threshold_words", op) for op in (">", "<", ">=", "<=")}
THRESHOLD_WORDS_AFTER = {op: _DOC.texts("threshold_words_after", op) for op in (">=", "<=")}
CHINESE_DIGITS = _numbers(_DOC, "chinese_digits")
CHINESE_UNITS = _numbers(_DOC, "chinese_units")
ENGLISH_NUMBERS = _numbers(_DOC, "english_numbers")
ENGLISH_ORDINALS = _numbers(_DOC, "english_ordinals")
ENGLISH_MONTH_ABBREVIATIONS = _numbers(_DOC, "english_month_abbreviations")
