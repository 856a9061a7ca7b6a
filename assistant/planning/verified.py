"""Verified questions: analyst-approved phrasings mapped to MetricQueries, matched first.

An answer from this file is labelled "Verified". Time is written as a phrase (``上个月``,
``last quarter``) resolved against "today" by the time parser, so entries never go stale.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import AssistantError
from assistant.planning.time_parser import parse_time
from semantic_layer.catalog import Catalog
from semantic_layer.compiler import compile_query
from semantic_layer.errors import SemanticLayerError
from semantic_layer.model_errors import validation_problems
from semantic_layer.query import MetricQuery, TimeRange
from semantic_layer.yaml_load import YamlDoc, YamlFileError, read_yaml

VERIFIED_FILE = Path(__file__).with_name("verified_questions.yml")
MATCH_RATIO = 0.92  # near-identical phrasings only: a verified answer must be the one meant
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


class VerifiedQuestionsError(AssistantError, ValueError):
    """The verified-questions file is invalid; the message names the entry and the field.
    (Exit 2 like every configuration error.)"""

    exit_code = 2


class VerifiedQuestion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    phrasings: tuple[str, ...] = Field(min_length=1)
    query: dict[str, Any]  # a MetricQuery without time_range
    time: str | None = None  # a time phrase, resolved against today
    owner: str
    verified_on: date


def _key(text: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).lower())


class VerifiedQuestions:
    def __init__(self, entries: tuple[VerifiedQuestion, ...] = ()) -> None:
        self.entries = entries
        self._keys = [(_key(p), entry) for entry in entries for p in entry.phrasings]

    def match(self, question: str, today: date, catalog: Catalog) -> MetricQuery | None:
        key = _key(question)
        if not key:
            return None
        best: tuple[float, VerifiedQuestion] | None = None
        for phrasing, entry in self._keys:
            ratio = 1.0 if phrasing == key else difflib.SequenceMatcher(None, phrasing, key).ratio()
            if ratio >= MATCH_RATIO and (best is None or ratio > best[0]):
                best = (ratio, entry)
        return None if best is None else self.query_for(best[1], today, catalog)

    @staticmethod
    def query_for(entry: VerifiedQuestion, today: date, catalog: Catalog) -> MetricQuery:
        query = MetricQuery.model_validate(entry.query)
        if entry.time:
            ranges = [m.range for m in parse_time(entry.time, today) if m.range is not None]
            if not ranges:
                raise VerifiedQuestionsError(
                    f"{VERIFIED_FILE.name}: entry '{entry.id}': time '{entry.time}' is not a "
                    "time phrase the parser understands (e.g. 上个月, last quarter)."
                )
            query = query.model_copy(
                update={"time_range": TimeRange(start=ranges[0].start, end=ranges[0].end)}
            )
        compile_query(query, catalog)  # an entry that no longer compiles must fail loudly
        return query


def load_verified_questions(
    path: Path = VERIFIED_FILE, catalog: Catalog | None = None
) -> VerifiedQuestions:
    """Load and check the file; with a catalog, every entry is also compiled once."""
    try:
        doc = read_yaml(path, cached=True)  # read on every question: parsed once
    except YamlFileError as exc:
        raise VerifiedQuestionsError(str(exc)) from exc
    data = doc.data or {}
    if not isinstance(data, dict):
        raise VerifiedQuestionsError(f"{path}:1: expected a mapping with a 'questions:' list.")
    unknown = set(data) - {"questions"}
    if unknown:
        raise VerifiedQuestionsError(
            f"{path}: unknown top-level key(s) {sorted(unknown)}; only 'questions' is allowed."
        )
    entries = []
    for index, raw in enumerate(data.get("questions") or []):
        try:
            entry = VerifiedQuestion.model_validate(raw)
        except ValidationError as exc:
            raise _invalid(exc, doc, VerifiedQuestion, ("questions", index)) from exc
        try:
            MetricQuery.model_validate(entry.query)
        except ValidationError as exc:
            raise _invalid(exc, doc, MetricQuery, ("questions", index, "query")) from exc
        if catalog is not None:
            try:
                VerifiedQuestions.query_for(entry, date(2026, 1, 15), catalog)
            except SemanticLayerError as exc:
                raise VerifiedQuestionsError(f"{path}: entry '{entry.id}': {exc}") from exc
        entries.append(entry)
    ids = [e.id for e in entries]
    if len(ids) != len(set(ids)):
        raise VerifiedQuestionsError(
            f"{path}: duplicate ids: {sorted({i for i in ids if ids.count(i) > 1})}"
        )
    return VerifiedQuestions(tuple(entries))


def _invalid(exc: ValidationError, doc: YamlDoc, model: type[BaseModel], base: tuple) -> Exception:
    return VerifiedQuestionsError("\n".join(validation_problems(exc, doc, model, base=base)))
