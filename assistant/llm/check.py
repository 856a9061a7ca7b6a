"""``servicepilot llm check``: does the configured model answer, and can it plan a question?

Three timed steps: build the model (for ``gguf`` this starts the local llama.cpp server), a
one-line ping, and planning a sample question with the LLM planner *without* a fallback, so the
report says whether the model itself filled a MetricQuery the semantic layer accepts.

A server that starts but dies on inference is reported as a crash, not a connection error: for
the local ``gguf`` server with its exit status (signal) and the last lines of its log; for an
endpoint someone else runs, by noticing that it answered before the chat request and not after.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from langchain_core.messages import HumanMessage

from assistant.llm.local_server import server_for_url
from assistant.llm.planner import LLMPlanner, describe_failure
from assistant.llm.provider import LLMConfig, chat_model_from_config
from assistant.planning.plans import ConversationState, MetricPlan, OutOfScope, Plan

SAMPLE_QUESTION = "What was CSAT by region last month?"


class _NoFallback:
    """Stands in for the offline planner so a failed LLM plan shows up as a failure."""

    def plan(self, question: str, state: ConversationState) -> Plan:
        return OutOfScope(reason="(llm check: no fallback)")


@dataclass
class CheckReport:
    provider: str
    model: str | None = None
    base_url: str | None = None
    ok: bool = False
    answered: bool = False
    planned: bool = False
    startup_ms: float | None = None
    ping_ms: float | None = None
    plan_ms: float | None = None
    reply: str | None = None
    question: str = SAMPLE_QUESTION
    plan_kind: str | None = None
    query: dict[str, Any] | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    tokens_used: int = 0
    notices: list[str] = field(default_factory=list)
    error: str | None = None
    server_crashed: bool = False
    server_exit: int | None = None  # the local server's return code (negative: the signal)
    server_log: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _answers(base_url: str | None) -> bool:
    """Does the endpoint list its models (``GET {base_url}/models``) right now?"""
    if not base_url:
        return False
    try:
        with urllib.request.urlopen(f"{base_url.rstrip('/')}/models", timeout=3) as resp:
            return resp.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, ValueError):
        return False


def _note_crash(report: CheckReport, answered_before: bool) -> None:
    """Mark the report when the server behind the model died during a call."""
    server = server_for_url(f"{(report.base_url or '').rstrip('/')}/")
    if server is not None:
        code = server.exit_status(wait_s=3.0)
        if code is not None:
            report.server_crashed = True
            report.server_exit = code
            report.server_log = server.log_tail(12)
            report.error = f"The model crashed: {server.crash_report()}"
        return
    if answered_before and not _answers(report.base_url):
        report.server_crashed = True
        report.error = (
            f"The server at {report.base_url} answered before the chat request and does not "
            "answer now: it most likely crashed during inference. Look at the end of its own "
            f"log. ({report.error})"
        )


def run_check(
    settings: Any, *, question: str = SAMPLE_QUESTION, today: date | None = None
) -> CheckReport:
    config = LLMConfig.from_settings(settings)
    report = CheckReport(provider=config.provider, question=question)
    if config.provider == "none":
        report.error = (
            "No LLM configured (llm_provider=none): the offline planner answers. Set "
            "SERVICEPILOT_LLM_PROVIDER=openai or gguf; see docs/llm.md."
        )
        return report
    started = time.perf_counter()
    model = chat_model_from_config(config)  # ConfigError / LocalServerError propagate
    assert model is not None
    report.startup_ms = _ms(started)
    report.model = getattr(model, "model_name", None) or config.model
    report.base_url = getattr(model, "openai_api_base", None) or config.base_url
    answered_before = _answers(report.base_url)
    started = time.perf_counter()
    try:
        reply = model.invoke([HumanMessage(content="Reply with the single word: OK")])
    except Exception as exc:
        report.error = f"The model did not answer: {describe_failure(exc)}"
        _note_crash(report, answered_before)
        return report
    report.ping_ms = _ms(started)
    report.answered = True
    report.reply = str(reply.content)[:200]
    planner = LLMPlanner(
        model,
        fallback=_NoFallback(),
        max_retries=config.max_retries,
        max_tokens_per_question=config.max_tokens_per_question,
        timeout_s=config.timeout_s,
        catalog_detail=config.catalog_detail,  # type: ignore[arg-type]
    )
    state = ConversationState(today=today or date.today())
    started = time.perf_counter()
    outcome = planner.plan_detailed(question, state)
    report.plan_ms = _ms(started)
    report.tokens_used = outcome.tokens_used
    report.notices = list(outcome.notices)
    report.attempts = [asdict(a) for a in outcome.attempts]
    report.plan_kind = outcome.plan.kind if outcome.source == "llm" else None
    if outcome.source == "llm" and isinstance(outcome.plan, MetricPlan):
        report.query = outcome.plan.query.model_dump(mode="json", exclude_defaults=True)
        report.planned = True
    elif outcome.source == "llm":
        report.error = f"The model answered with a {outcome.plan.kind} plan, not a metric query."
    else:
        reason = outcome.notices[0].split(": ", 1)[-1] if outcome.notices else "no draft"
        report.error = f"The model gave no valid plan: {reason}"
        _note_crash(report, answered_before)
    report.ok = report.answered and report.planned
    return report
