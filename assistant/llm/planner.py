"""The LLM planner: a chat model fills a tight Draft; the semantic layer validates it.

``LLMPlanner(chat_model, catalog, fallback).plan(question, state) -> Plan`` has the same shape as
the offline planner. The model sees the catalog (names, labels, synonyms, definitions), the
earlier turns (PII-masked, fenced as data) and the question (PII-masked); it fills ``Draft``
through ``with_structured_output(Draft, method="function_calling")``. The draft becomes a
MetricQuery (or another Plan) that is compiled once; a rejection's text goes back to the model
for at most ``max_retries`` corrections.

Whenever the LLM cannot give a valid plan (endpoint down or slow, garbage output, corrections
used up, token budget spent) the *fallback* planner answers and a notice says so. Notices do
not fit in the frozen Plan types, so they travel in a wrapper: ``plan_detailed()`` returns a
``PlanOutcome(plan, source, notices, attempts, tokens_used, elapsed_ms)``; ``plan()`` returns
``plan_detailed(...).plan`` for callers that only need the Protocol. Show ``notices`` to the
user (e.g. "LLM unavailable, answered with the offline planner: no answer within 30s").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from assistant.llm.budget import Budget, BudgetExceeded, usage_tokens
from assistant.llm.context import (
    CatalogDetail,
    Mask,
    catalog_text,
    default_mask,
    fenced,
    history_text,
    language_of,
)
from assistant.llm.draft import Check, DraftRejected, draft_json, draft_model, draft_to_plan
from assistant.llm.local_server import crash_report
from assistant.planning.plans import Clarification, ConversationState, Plan
from assistant.planning.time_parser import TimeParseError, parse_time
from assistant.prompts import render_prompt
from semantic_layer.catalog import Catalog
from semantic_layer.catalog_loader import default_catalog

DEFAULT_MAX_RETRIES = 2
DEFAULT_TOKEN_BUDGET = 12_000
DEFAULT_TIMEOUT_S = 30.0
MAX_QUESTION_CHARS = 2_000


class Planner(Protocol):
    def plan(self, question: str, state: ConversationState) -> Plan: ...


@dataclass(frozen=True)
class Attempt:
    """One model call: what it drafted (JSON) and why it was rejected, if it was."""

    draft: str
    error: str | None
    tokens: int
    elapsed_ms: float


@dataclass(frozen=True)
class PlanOutcome:
    """A plan plus how it was made. ``notices`` are for the user (always show them)."""

    plan: Plan
    source: Literal["llm", "offline"]
    notices: tuple[str, ...] = ()
    attempts: tuple[Attempt, ...] = ()
    tokens_used: int = 0
    elapsed_ms: float = 0.0

    @property
    def fallback_reason(self) -> str | None:
        return self.notices[0] if self.source == "offline" and self.notices else None


def fallback_notice(reason: str, language: str) -> str:
    if language == "zh":
        return f"大模型不可用，已使用离线规划器回答：{reason}"
    return f"LLM unavailable, answered with the offline planner: {reason}"


def _crashed_local_server(exc: BaseException) -> str | None:
    """The crash report of a local llama.cpp server behind a failed request, if it died."""
    seen: BaseException | None = exc
    while seen is not None:
        url = getattr(getattr(seen, "request", None), "url", None)
        if url is not None:
            return crash_report(str(url))
        seen = seen.__cause__ or seen.__context__
    return None


def describe_failure(exc: BaseException) -> str:
    """A one-line reason for a failed call (type and first line, no stack, no secrets).

    When the endpoint is a local llama.cpp server started here and it has died, the reason says
    so with its exit status and log tail instead of a bare connection error.
    """
    if isinstance(exc, TimeoutError | BudgetExceeded):
        return str(exc)
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    name = type(exc).__name__
    if "timeout" in name.lower() or "timed out" in first.lower():
        return f"the endpoint did not answer in time ({name})"
    if "connect" in name.lower() or "connection" in first.lower():
        return _crashed_local_server(exc) or f"the endpoint cannot be reached ({name}: {first})"
    return f"{name}: {first}" if first else name


class LLMPlanner:
    """Question + conversation state -> Plan, drafted by a chat model, checked by the compiler."""

    name = "llm"

    def __init__(
        self,
        chat_model: BaseChatModel,
        catalog: Catalog | None = None,
        fallback: Planner | None = None,
        *,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_tokens_per_question: int = DEFAULT_TOKEN_BUDGET,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        mask: Mask | None = None,
        catalog_detail: CatalogDetail = "full",
        check: Check | None = None,
    ) -> None:
        self.chat_model = chat_model
        # Compiles a draft's query to check it; the application passes its CompileCache, so
        # the answer runs the very compiled query checked here (as the offline planner does).
        self.check = check
        self.catalog_detail = catalog_detail
        self.catalog = catalog or default_catalog()
        self._fallback = fallback
        self.max_retries = max_retries
        self.max_tokens_per_question = max_tokens_per_question
        self.timeout_s = timeout_s
        self.mask = mask or default_mask()
        self.draft_schema = draft_model(self.catalog)
        self._structured = chat_model.with_structured_output(
            self.draft_schema, method="function_calling", include_raw=True
        )

    @classmethod
    def from_settings(
        cls,
        settings: Any,
        *,
        catalog: Catalog | None = None,
        fallback: Planner | None = None,
        mask: Mask | None = None,
        check: Check | None = None,
    ) -> LLMPlanner | None:
        """The planner the settings describe, or None when ``llm_provider`` is ``none``."""
        from assistant.llm.provider import chat_model_from_settings

        model = chat_model_from_settings(settings)
        if model is None:
            return None
        return cls(
            model,
            catalog,
            fallback,
            max_retries=settings.llm_max_retries,
            max_tokens_per_question=settings.llm_max_tokens_per_question,
            timeout_s=settings.llm_timeout_s,
            mask=mask,
            catalog_detail=settings.llm_catalog_detail,
            check=check,
        )

    @property
    def fallback(self) -> Planner:
        if self._fallback is None:
            from assistant.planning.offline import OfflinePlanner

            self._fallback = OfflinePlanner(self.catalog)
        return self._fallback

    # -- entry points ------------------------------------------------------------------------

    def plan(self, question: str, state: ConversationState) -> Plan:
        """The Planner protocol. Use :meth:`plan_detailed` to also get the notices."""
        return self.plan_detailed(question, state).plan

    def plan_detailed(self, question: str, state: ConversationState) -> PlanOutcome:
        started = time.perf_counter()
        language = language_of(question)
        budget = Budget(self.max_tokens_per_question, self.timeout_s)
        attempts: list[Attempt] = []

        def done(plan: Plan, source: Literal["llm", "offline"], notices=()) -> PlanOutcome:
            return PlanOutcome(
                plan,
                source,
                tuple(notices),
                tuple(attempts),
                budget.used_tokens,
                (time.perf_counter() - started) * 1000,
            )

        early = self._before_llm(question, state, language)
        if early == "offline":
            return done(self.fallback.plan(question, state), "offline")
        if early is not None:
            return done(early, "offline")  # decided without the model
        messages = self._messages(question, state)
        reason = "the model gave no valid plan"
        for attempt in range(self.max_retries + 1):
            try:
                budget.check(messages)
            except BudgetExceeded as exc:
                reason = str(exc)
                break
            call_started = time.perf_counter()
            try:
                out = budget.run(partial(self._structured.invoke, list(messages)))
            except Exception as exc:  # endpoint down, slow, refusing: answer offline now
                reason = describe_failure(exc)
                attempts.append(Attempt("(no answer)", reason, 0, _ms(call_started)))
                break
            raw, parsed, error = _unpack(out)
            tokens = usage_tokens(raw, messages)
            budget.charge(tokens)
            if error is None and parsed is not None:
                try:
                    plan = draft_to_plan(parsed, question, state, self.catalog, self.check)
                except DraftRejected as exc:
                    error = str(exc)
                except Exception as exc:  # a draft we failed to read must not lose the answer
                    error = f"the draft could not be used ({type(exc).__name__}: {exc})"
                else:
                    attempts.append(Attempt(draft_json(parsed), None, tokens, _ms(call_started)))
                    return done(plan, "llm")
            shown = draft_json(parsed) if parsed is not None else _raw_text(raw)
            attempts.append(Attempt(shown, error, tokens, _ms(call_started)))
            reason = f"the model's plan was rejected {attempt + 1} time(s); last problem: {error}"
            messages = [*messages, self._correction(shown, error or "no draft")]
        notice = fallback_notice(reason, language)
        return done(self.fallback.plan(question, state), "offline", (notice,))

    # -- helpers -----------------------------------------------------------------------------

    def _before_llm(
        self, question: str, state: ConversationState, language: str
    ) -> Plan | Literal["offline"] | None:
        """Questions the LLM should not see: empty, too long, or with an impossible date."""
        text = question.strip()
        if not text or len(text) > MAX_QUESTION_CHARS:
            return "offline"  # the offline planner words these refusals
        if _asks_for_alerts(text, self.catalog):
            return "offline"  # monitoring alerts: no Draft intent; planned offline (no model)
        try:
            parse_time(text, state.today)
        except TimeParseError as exc:
            return Clarification(
                question=f"时间“{exc.phrase}”无效：{exc.reason}。请换一个时间段。"
                if language == "zh"
                else f"{exc}. Which period do you mean?"
            )
        return None

    def _messages(self, question: str, state: ConversationState) -> list[BaseMessage]:
        system = render_prompt(
            "planner_system",
            today=state.today.isoformat(),
            catalog=catalog_text(self.catalog, self.catalog_detail),
            history=history_text(state, self.mask),
        )
        return [SystemMessage(content=system), HumanMessage(content=self.mask(question.strip()))]

    def _correction(self, draft: str, error: str) -> HumanMessage:
        return HumanMessage(
            content=render_prompt("planner_retry", draft=fenced(draft, self.mask), error=error)
        )


def _asks_for_alerts(question: str, catalog: Catalog) -> bool:
    """The question asks for monitoring alerts ("最近有什么异常？") and not why something
    changed: the offline planner's AlertReview, which the Draft schema has no intent for."""
    from assistant.planning import cues
    from assistant.planning.lexicon import lexicon_for, normalise
    from assistant.planning.offline import asks_for_alerts

    text = normalise(question)
    if cues.WHY.search(text) or cues.FORECAST.search(text) or cues.CASE_SEARCH.search(text):
        return False
    return asks_for_alerts(text, lexicon_for(catalog))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _unpack(out: Any) -> tuple[Any, Any, str | None]:
    """(raw message, parsed draft, error text) from an ``include_raw=True`` result."""
    if not isinstance(out, dict):
        return None, None, f"unexpected structured-output result {type(out).__name__}"
    raw, parsed, error = out.get("raw"), out.get("parsed"), out.get("parsing_error")
    if error is not None:
        from pydantic import ValidationError

        from assistant.llm.draft import validation_text

        cause = error if isinstance(error, ValidationError) else error.__cause__
        text = validation_text(cause) if isinstance(cause, ValidationError) else str(error)
        return raw, None, f"the draft is not valid for the Draft schema: {text[:600]}"
    if parsed is None:
        return raw, None, "no Draft call in the answer: call the Draft function with the plan"
    return raw, parsed, None


def _raw_text(raw: Any) -> str:
    if raw is None:
        return "(none)"
    calls = getattr(raw, "tool_calls", None) or getattr(raw, "invalid_tool_calls", None)
    if calls:
        return str(calls[0].get("args"))[:600]
    return str(getattr(raw, "content", raw))[:600]
