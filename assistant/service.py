"""The assistant's one entry point: question (+ conversation state) -> Answer.

Plan with a planner (offline by default), check the asker's access (``authorize``), and hand
the plan to the handler of its kind (``assistant.answer.handlers``). Built by
``assistant.app.build_app``, which every surface (CLI, UI, API, MCP, evals) uses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from assistant.answer.base import AnswerContext, Reply, Services
from assistant.answer.handlers import Handler
from assistant.answer.sources import source_status
from assistant.authorize import authorize
from assistant.errors import AccessDenied
from assistant.messages import pick
from assistant.planning.lexicon import Lexicon, has_cjk, normalise
from assistant.planning.plans import (
    PLAN_ADAPTER,
    ConversationState,
    FollowUp,
    MetricPlan,
    Plan,
)
from assistant.roles import Role, get_role
from semantic_layer.catalog import Catalog
from semantic_layer.executor import MetricResult
from tools.audit import AuditEntry, AuditLog


class Planner(Protocol):
    name: str

    def plan(self, question: str, state: ConversationState) -> Plan: ...


@dataclass(frozen=True)
class Answer:
    question: str
    language: str
    plan: Plan
    result: MetricResult | None
    text: str
    state: ConversationState
    planner: str
    notices: tuple[str, ...] = ()
    elapsed_ms: float = 0.0
    payload: dict[str, Any] = field(default_factory=dict)  # case search / root cause details
    audit_id: str | None = None  # the sp_audit row of this answer (feedback refers to it)
    follow_ups: tuple[FollowUp, ...] = ()  # next steps offered (e.g. "why?" on an alert)

    def to_dict(self) -> dict[str, Any]:
        plan = PLAN_ADAPTER.dump_python(self.plan, mode="json", exclude_defaults=False)
        data: dict[str, Any] = {
            "question": self.question,
            "language": self.language,
            "kind": self.plan.kind,
            "plan": plan,
            "answer": self.text,
            "planner": self.planner,
            "notices": list(self.notices),
            "elapsed_ms": round(self.elapsed_ms, 1),
            "audit_id": self.audit_id,
        }
        if isinstance(self.plan, MetricPlan):
            data["query"] = self.plan.query.model_dump(mode="json", exclude_defaults=True)
            data["interpretation"] = self.plan.interpretation
            data["verified"] = self.plan.verified
        if self.result is not None:
            result = self.result.to_dict()
            data["rows"] = result["rows"]
            data["columns"] = result["columns"]
            data["provenance"] = {
                "sql": result["sql"],
                "dialect": result["dialect"],
                "metrics": result["metrics"],
                "sample_sizes": result["sample_sizes"],
                "warnings": result["warnings"],
                "data_freshness": result["data_freshness"],
                "as_of": result["as_of"],  # tables computed as of a date (customer segments)
                "sources": source_status(self.result),
                "elapsed_ms": result["elapsed_ms"],
            }
        if self.payload:
            data["details"] = self.payload
        if self.follow_ups:
            data["follow_ups"] = [f.model_dump(mode="json") for f in self.follow_ups]
        return data


def question_language(question: str) -> str:
    return "zh" if has_cjk(normalise(question)) else "en"


class Assistant:
    """Answers questions over one warehouse. Thread-safe for concurrent ``ask`` calls."""

    def __init__(
        self,
        services: Services,
        planner: Planner,
        handlers: dict[type, Handler],
        *,
        audit: AuditLog | None = None,
        surface: str = "cli",
    ) -> None:
        self.services = services
        self.planner = planner
        self.handlers = handlers
        self.audit = audit
        self.surface = surface

    @property
    def catalog(self) -> Catalog:
        return self.services.catalog

    @property
    def engine(self) -> Any:
        return self.services.engine

    @property
    def lexicon(self) -> Lexicon:
        return self.services.lexicon

    # -- asking --------------------------------------------------------------------------

    def ask(self, question: str, *, state: ConversationState) -> Answer:
        started = time.perf_counter()
        role = get_role(state.role)
        detailed = getattr(self.planner, "plan_detailed", None)
        if detailed is not None:  # the LLM planner says when it fell back, and why
            outcome = detailed(question, state)
            plan, notices = outcome.plan, tuple(outcome.notices)
            tried_llm = bool(outcome.notices or outcome.attempts)
            planner_name = (
                "llm"
                if outcome.source == "llm"
                else ("offline (LLM fallback)" if tried_llm else "offline")
            )
        else:
            plan, notices, planner_name = self.planner.plan(question, state), (), self.planner.name
        answer = self.run(
            plan,
            question=question,
            state=state,
            role=role,
            started=started,
            notices=notices,
            planner_name=planner_name,
        )
        return self.audited(answer, state)

    def audited(self, answer: Answer, state: ConversationState) -> Answer:
        """Record the answer in the audit log; a failing log is reported, not hidden. (The
        worker pool answers unaudited and the server process records here: one writer.)"""
        if self.audit is None:
            return answer
        result = answer.result
        entry = AuditEntry(
            question=answer.question,
            language=answer.language,
            plan_kind=answer.plan.kind,
            plan=PLAN_ADAPTER.dump_python(answer.plan, mode="json"),
            answer=answer.text,
            latency_ms=answer.elapsed_ms,
            planner=answer.planner,
            username=state.user,
            role=state.role,
            surface=self.surface,
            sql=result.sql if result is not None else None,
            result_rows=len(result.table) if result is not None else None,
            notices=answer.notices,
        )
        try:
            audit_id = self.audit.record(entry)
        except Exception as exc:  # noqa: BLE001 - the answer stands; the gap is made visible
            notice = pick(
                answer.language, f"审计日志写入失败：{exc}", f"Audit log unavailable: {exc}"
            )
            return replace(answer, notices=(*answer.notices, notice))
        return replace(answer, audit_id=audit_id)

    def choose(self, plan: Plan, *, question: str, state: ConversationState) -> Answer:
        """Carry out a plan the user picked (a clarification option), audited like ``ask``."""
        return self.audited(self.run(plan, question=question, state=state), state)

    def run(
        self,
        plan: Plan,
        *,
        question: str,
        state: ConversationState,
        role: Role | None = None,
        started: float | None = None,
        notices: tuple[str, ...] = (),
        planner_name: str = "offline",
    ) -> Answer:
        """Carry out a plan (also used when a user picks a clarification option)."""
        started = started if started is not None else time.perf_counter()
        role = role or get_role(state.role)
        language = question_language(question)
        try:
            authorize(role, plan)
        except AccessDenied as exc:
            reply = Reply(exc.text(language))
        else:
            handler = self.handlers.get(type(plan))
            if handler is None:  # a plan kind without a registered handler is a wiring bug
                raise TypeError(f"No answer handler for {type(plan).__name__}.")
            reply = handler(plan, AnswerContext(role, language, state, self.services))
        return Answer(
            question=question,
            language=language,
            plan=plan,
            result=reply.result,
            text=reply.text,
            state=state.with_turn(question, plan),
            planner=planner_name,
            notices=notices,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            payload=reply.payload,
            follow_ups=reply.follow_ups,
        )
