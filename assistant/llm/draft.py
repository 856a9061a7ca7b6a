"""The structured draft an LLM fills for a question, and turning a draft into a Plan.

The draft is deliberately tight so that even a small model fills it validly: an intent, metric
and dimension names as enums of the catalog, filters as (dimension, codes), time as a phrase
copied from the question (resolved by ``parse_time`` against the conversation's today) or
absolute dates, a comparison, and a ranking. No SQL, no numbers.

``draft_to_plan`` builds the Plan and validates it with the semantic layer (``compile_query``);
every problem is raised as ``DraftRejected`` whose text (often the semantic layer's own
"Unknown metric 'csta'. Did you mean 'csat'?") goes back to the model for a correction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from assistant.llm.context import dimension_of, groupable_dimensions, language_of
from assistant.messages import pick as _t
from assistant.planning import cues
from assistant.planning.interpret import describe_query, suggestions
from assistant.planning.lexicon import lexicon_for, normalise
from assistant.planning.plans import (
    CaseSearch,
    Clarification,
    ClarificationOption,
    ConversationState,
    MetricPlan,
    OutOfScope,
    Plan,
    RootCause,
)
from assistant.planning.time_parser import TimeMatch, TimeParseError, parse_time
from semantic_layer.catalog import Catalog
from semantic_layer.compiler import compile_query
from semantic_layer.errors import SemanticLayerError
from semantic_layer.periods import comparison_range, last_full_month
from semantic_layer.query import Filter, MetricQuery, OrderBy, TimeRange

Intent = Literal["metric", "clarify", "case_search", "root_cause", "out_of_scope"]
Grain = Literal["day", "week", "month", "quarter", "year"]
Compare = Literal["previous_period", "same_period_last_year"]

# Fields the schema shown to the model marks required (null or [] allowed), so that a small model
# under a grammar considers each one instead of stopping after `intent`; parsing keeps defaults.
SHOWN_REQUIRED = ("intent", "metrics", "dimensions", "filters", "time_phrase")

# Filters a similar-case search understands (metadata stored with every case).
CASE_FILTER_FIELDS = ("region", "channel", "category", "product_line", "ticket_type")


class DraftRejected(Exception):
    """A draft the semantic layer (or a grounding rule) refused; the text says how to fix it."""


def _names(values: tuple[str, ...], *, many: bool, optional: bool = False) -> dict[str, Any]:
    """JSON-schema extras that show the model an enum of catalog names.

    The schema the model fills lists the valid names (constrained decoding on llama.cpp,
    guidance everywhere), but parsing accepts any string: a wrong name is then rejected by the
    semantic layer, whose error names the closest valid one ("Did you mean 'csat'?").
    """
    enum = {"type": "string", "enum": list(values)}
    if many:
        return {"items": enum}
    if optional:
        return {"anyOf": [enum, {"type": "null"}]}
    return enum


@lru_cache(maxsize=8)
def draft_model(catalog: Catalog) -> type[BaseModel]:
    """The ``Draft`` schema for ``catalog``: metric and dimension names shown as enums."""
    metric_names = tuple(m.name for m in catalog.spec.metrics)
    dimension_names = groupable_dimensions(catalog)
    config = ConfigDict(extra="ignore", frozen=True)
    shown_required = ConfigDict(
        extra="ignore", frozen=True, json_schema_extra={"required": list(SHOWN_REQUIRED)}
    )
    draft_filter = create_model(
        "DraftFilter",
        __config__=config,
        __doc__="A condition: rows whose `dimension` is one of `values` (codes).",
        dimension=(
            str,
            Field(
                description="Dimension name from the catalog.",
                json_schema_extra=_names(dimension_names, many=False),
            ),
        ),
        values=(list[str], Field(min_length=1, max_length=8, description="Codes, e.g. east.")),
        exclude=(bool, Field(False, description="True for 'except' / '不含'.")),
    )
    return create_model(
        "Draft",
        __config__=shown_required,
        __doc__="How to answer the question: metric names, dimensions, filters and time. "
        "Never SQL, never numbers.",
        intent=(Intent, Field(description="What kind of question this is.")),
        metrics=(
            list[str],
            Field(
                default_factory=list,
                max_length=4,
                json_schema_extra=_names(metric_names, many=True),
            ),
        ),
        dimensions=(
            list[str],
            Field(
                default_factory=list,
                max_length=3,
                json_schema_extra=_names(dimension_names, many=True),
            ),
        ),
        filters=(list[draft_filter], Field(default_factory=list, max_length=4)),  # type: ignore[valid-type]
        time_phrase=(
            str | None,
            Field(None, max_length=60, description="Time words copied from the question."),
        ),
        start_date=(date | None, Field(None, description="Explicit start date (inclusive).")),
        end_date=(date | None, Field(None, description="Explicit end date (exclusive).")),
        time_grain=(Grain | None, Field(None, description="Grain of a trend.")),
        compare_to=(Compare | None, Field(None, description="Comparison period.")),
        rank_by=(
            str | None,
            Field(
                None,
                description="Metric to rank by (top N).",
                json_schema_extra=_names(metric_names, many=False, optional=True),
            ),
        ),
        descending=(bool, Field(True, description="True: highest first.")),
        limit=(int | None, Field(None, ge=1, le=100, description="How many rows (top N).")),
        clarify_metrics=(
            list[str],
            Field(
                default_factory=list,
                max_length=3,
                description="Candidates to ask about.",
                json_schema_extra=_names(metric_names, many=True),
            ),
        ),
    )


def draft_json(draft: BaseModel | dict[str, Any] | None) -> str:
    if draft is None:
        return "(none)"
    if isinstance(draft, BaseModel):
        return draft.model_dump_json(exclude_defaults=True)
    import json

    return json.dumps(draft, ensure_ascii=False, default=str)


def validation_text(exc: ValidationError) -> str:
    """A pydantic error in a form a model can act on (field path, message, the bad input)."""
    parts = []
    for err in exc.errors()[:6]:
        loc = ".".join(str(p) for p in err["loc"]) or "(draft)"
        bad = repr(err.get("input"))[:80]
        parts.append(f"{loc}: {err['msg']} (got {bad})")
    return "; ".join(parts)


# -- time -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Time:
    time_range: TimeRange | None
    compare: str | None
    grain: str | None
    assumptions: tuple[str, ...] = ()


def _norm(text: str) -> str:
    return "".join(text.lower().split())


def _ranges(matches: list[TimeMatch]) -> list[TimeRange]:
    return [TimeRange(start=m.range.start, end=m.range.end) for m in matches if m.range]


def resolve_time(draft: Any, question: str, state: ConversationState, language: str) -> _Time:
    """Time from the draft, grounded in the question: a phrase must appear in the question (or
    mean the same period as one that does), dates need a date-like question; a model that
    names no period while the question does gets the question's own period."""
    try:
        in_question = parse_time(question, state.today)
    except TimeParseError:
        in_question = []
    q_ranges = _ranges(in_question)
    q_compare = next((m.compare for m in in_question if m.compare), None)
    q_grain = next((m.grain_hint for m in in_question if m.grain_hint), None)
    compare = draft.compare_to or q_compare
    grain = draft.time_grain
    if draft.time_phrase:
        try:
            found = parse_time(draft.time_phrase, state.today)
        except TimeParseError as exc:
            raise DraftRejected(f"time_phrase: {exc}") from exc
        ranges = _ranges(found)
        if not ranges:
            raise DraftRejected(
                f"time_phrase '{draft.time_phrase}' is not a period I can read. Copy the time "
                "words from the question exactly (e.g. '上个月', 'last quarter'), or leave "
                "time_phrase empty when the question names no period."
            )
        rng = ranges[0]
        if _norm(draft.time_phrase) not in _norm(question) and rng not in q_ranges:
            raise DraftRejected(
                f"time_phrase '{draft.time_phrase}' does not appear in the question. Copy the "
                "time words from the question, or leave time_phrase empty."
            )
        grain = grain or next((m.grain_hint for m in found if m.grain_hint), None)
        return _Time(rng, compare or next((m.compare for m in found if m.compare), None), grain)
    if draft.start_date or draft.end_date:
        if not (draft.start_date and draft.end_date):
            raise DraftRejected("Give both start_date and end_date (end exclusive), or neither.")
        if draft.end_date <= draft.start_date:
            raise DraftRejected(
                f"end_date {draft.end_date} must be after start_date {draft.start_date} "
                "(end is exclusive: March is 2026-03-01 to 2026-04-01)."
            )
        rng = TimeRange(start=draft.start_date, end=draft.end_date)
        if rng not in q_ranges and str(draft.start_date.year) not in question:
            raise DraftRejected(
                "The question gives no explicit dates: set time_phrase to the question's time "
                "words instead of start_date/end_date, or leave all three empty."
            )
        return _Time(rng, compare, grain)
    if q_ranges:
        first = q_ranges[0]
        if compare is None and len(q_ranges) > 1:
            for kind in ("previous_period", "same_period_last_year"):
                if comparison_range(first, kind) == q_ranges[1]:
                    compare = kind
        return _Time(first, compare, grain or q_grain)
    last = state.last_query
    if last is not None and last.time_range is not None:
        note = _t(
            language, "未指定时间，沿用上一问的时间段", "no period given: same period as before"
        )
        return _Time(last.time_range, compare, grain or q_grain, (note,))
    note = _t(language, "未指定时间，按上一个完整月份", "no period given: the last full month")
    return _Time(last_full_month(state.today), compare, grain or q_grain, (note,))


# -- filters --------------------------------------------------------------------------------


def _code(catalog: Catalog, dimension: str, value: str) -> str:
    """A code for ``value``: the code itself, or the code whose label/synonym it is exactly."""
    codes = catalog.code_list_for(dimension_of(catalog, dimension))
    if codes is None:
        return value
    lowered = value.strip().lower()
    for code in codes.codes:
        words = (code.code, code.label.zh, code.label.en, *code.synonyms)
        if lowered in {w.lower() for w in words}:
            return code.code
    return value  # the compiler names the valid codes and the closest one


def draft_filters(catalog: Catalog, draft: Any) -> tuple[Filter, ...]:
    out = []
    for flt in draft.filters:
        values = tuple(dict.fromkeys(_code(catalog, flt.dimension, str(v)) for v in flt.values))
        if len(values) == 1:
            op = "!=" if flt.exclude else "="
        else:
            op = "not in" if flt.exclude else "in"
        out.append(Filter(field=flt.dimension, op=op, values=values))
    return tuple(dict.fromkeys(out))


# -- plans ----------------------------------------------------------------------------------


Check = Callable[[MetricQuery], object]


def _compile(query: MetricQuery, catalog: Catalog, check: Check | None) -> None:
    """Compile ``query`` to check it, through the app's CompileCache when given (the answer
    then runs this compiled query instead of compiling it again)."""
    try:
        if check is not None:
            check(query)
        else:
            compile_query(query, catalog)
    except SemanticLayerError as exc:
        raise DraftRejected(str(exc)) from exc


def _query(
    catalog: Catalog, draft: Any, metrics: tuple[str, ...], time: _Time, check: Check | None
) -> MetricQuery:
    order_by: tuple[OrderBy, ...] = ()
    limit = draft.limit
    if draft.rank_by:
        if draft.rank_by not in metrics:
            raise DraftRejected(
                f"rank_by '{draft.rank_by}' must be one of the draft's metrics {list(metrics)}."
            )
        order_by = (OrderBy(field=draft.rank_by, descending=draft.descending),)
    elif limit is not None:
        order_by = (OrderBy(field=metrics[0], descending=draft.descending),)
    try:
        query = MetricQuery(
            metrics=tuple(dict.fromkeys(metrics)),
            dimensions=tuple(dict.fromkeys(draft.dimensions)),
            time_grain=time.grain,
            time_range=time.time_range,
            filters=draft_filters(catalog, draft),
            compare_to=time.compare,
            order_by=order_by,
            limit=limit,
        )
    except ValidationError as exc:
        raise DraftRejected(validation_text(exc)) from exc
    _compile(query, catalog, check)
    return query


def _describe(query: MetricQuery, catalog: Catalog, language: str, notes: tuple[str, ...]) -> str:
    try:
        return describe_query(query, catalog, lexicon_for(catalog), language, notes)
    except SemanticLayerError:
        return query.to_json()


def _metric_plan(
    catalog: Catalog, query: MetricQuery, language: str, notes: tuple[str, ...], state
) -> MetricPlan:
    last = state.last_query
    follow_up = last if last is not None and set(last.metrics) & set(query.metrics) else None
    return MetricPlan(
        query=query,
        interpretation=_describe(query, catalog, language, notes),
        follow_up_of=follow_up if follow_up != query else None,
        assumptions=notes,
    )


def draft_to_plan(
    draft: Any,
    question: str,
    state: ConversationState,
    catalog: Catalog,
    check: Check | None = None,
) -> Plan:
    """Turn a validated draft into a Plan whose queries compile (through ``check``, the app's
    CompileCache, when given); raise DraftRejected."""
    language = language_of(question)
    intent = draft.intent
    if intent == "out_of_scope":
        return OutOfScope(
            reason=_t(
                language,
                "这个问题不在客服数据的范围内。",
                "This question is not about the service data ServicePilot covers.",
            ),
            suggestions=suggestions(language),
        )
    if intent == "case_search":
        _check_case_search(question, catalog)
        filters = tuple(f for f in draft_filters(catalog, draft) if f.field in CASE_FILTER_FIELDS)
        return CaseSearch(
            text=question.strip(),
            filters=filters,
            interpretation=_t(language, "查找相似的已解决案例", "Find similar resolved cases"),
        )
    metrics = tuple(draft.metrics)
    for name in (*metrics, *draft.clarify_metrics, *([draft.rank_by] if draft.rank_by else [])):
        try:
            catalog.metric(name)
        except SemanticLayerError as exc:
            raise DraftRejected(str(exc)) from exc
    if intent == "clarify":
        return _clarify(draft, question, state, catalog, language, check)
    if not metrics:
        raise DraftRejected(
            f"intent '{intent}' needs at least one metric name from the catalog in `metrics`; "
            "use intent out_of_scope if no metric fits."
        )
    time = resolve_time(draft, question, state, language)
    if intent == "root_cause":
        return _root_cause(draft, catalog, metrics[0], time, language, check)
    query = _query(catalog, draft, metrics, time, check)
    return _metric_plan(catalog, query, language, time.assumptions, state)


def _check_case_search(question: str, catalog: Catalog) -> None:
    """A question that names a metric and asks for no cases is not a case search."""
    text = normalise(question)
    if cues.CASE_SEARCH.search(text):
        return
    named = [m.term.target for m in lexicon_for(catalog).find(text) if m.term.kind == "metric"]
    if named:
        raise DraftRejected(
            f"The question names the metric '{named[0]}' and does not ask for similar cases: "
            "use intent 'metric' with that metric."
        )


def _clarify(
    draft: Any, question: str, state, catalog: Catalog, language: str, check: Check | None
) -> Plan:
    candidates = tuple(dict.fromkeys([*draft.clarify_metrics, *draft.metrics]))[:3]
    if len(candidates) < 2:
        raise DraftRejected(
            "intent 'clarify' needs 2-3 candidate metric names in clarify_metrics; if one "
            "metric fits, use intent 'metric'."
        )
    time = resolve_time(draft, question, state, language)
    options = []
    for name in candidates:
        query = _query(catalog, draft.model_copy(update={"rank_by": None}), (name,), time, check)
        label = catalog.metric(name).label
        options.append(
            ClarificationOption(
                label=label.zh if language == "zh" else label.en,
                plan=_metric_plan(catalog, query, language, time.assumptions, state),
            )
        )
    return Clarification(
        question=_t(language, "您指的是哪个指标？", "Which metric do you mean?"),
        options=tuple(options),
    )


def _root_cause(
    draft: Any, catalog: Catalog, metric: str, time: _Time, language: str, check: Check | None
) -> Plan:
    period = time.time_range
    assert period is not None  # resolve_time always gives a period
    compare = time.compare or "previous_period"
    before = comparison_range(period, compare)
    scope = draft_filters(catalog, draft)
    probe = MetricQuery(metrics=(metric,), time_range=period, filters=scope)
    _compile(probe, catalog, check)
    label = catalog.metric(metric).label
    last_day, prev_last = period.end - timedelta(days=1), before.end - timedelta(days=1)
    notes = "".join(f" ({n})" for n in time.assumptions)
    return RootCause(
        metric=metric,
        period=period,
        compare_period=before,
        scope=scope,
        interpretation=_t(
            language,
            f"分析{label.zh}在 {period.start}~{last_day} 相比 {before.start}~{prev_last} "
            f"的变化原因{notes}",
            f"Explain the change of {label.en} in {period.start} to {last_day} vs "
            f"{before.start} to {prev_last}{notes}",
        ),
    )
