"""The agent loop: LangChain tool calling over the typed tools, a bounded number of steps.

``run_agent(chat_model, question, toolkit)`` binds the toolkit's tools to the model, runs
model -> tool calls -> tool results until the model answers in text (or ``max_steps`` model
calls, the token budget or the deadline run out), and returns an ``AgentRun``: the final text,
every tool call made, and every MetricResult by id (R1, R2, ...), so each number shown traces
to a query and its SQL. Numbers in the final text that appear in no result are listed in
``untraced_numbers`` (the caller should not show such an answer as computed).

Invalid tool calls (unknown tool or argument, malformed JSON arguments, a semantic-layer error)
come back to the model as error tool results so it can correct itself on the next step.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import partial

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from assistant.llm.budget import Budget, BudgetExceeded, usage_tokens
from assistant.llm.context import language_of, numbers_in
from assistant.llm.planner import describe_failure
from assistant.llm.tools import AgentToolkit, ToolCallRecord
from assistant.prompts import render_prompt
from semantic_layer.executor import MetricResult

DEFAULT_MAX_STEPS = 6
_NUMBER = re.compile(r"(?<![\w.\-])-?\d+(?:[.,]\d+)*(?:\.\d+)?")
_IGNORED = re.compile(
    r"\[R\d+\]|\b(?:19|20)\d{2}-\d{2}(?:-\d{2})?\b|\b(?:19|20)\d{2}年|\d{1,2}月|\d{1,2}日"
    r"|\bQ[1-4]\b|\bR\d+\b|\bp\d{2}\b|\bP\d{2}\b"
)


@dataclass(frozen=True)
class AgentRun:
    """What an agent run produced. ``ok`` is False when the model could not be used."""

    text: str
    tool_calls: tuple[ToolCallRecord, ...]
    results: dict[str, MetricResult]
    notices: tuple[str, ...] = ()
    steps: int = 0
    tokens_used: int = 0
    elapsed_ms: float = 0.0
    untraced_numbers: tuple[str, ...] = ()
    ok: bool = True
    messages: tuple[BaseMessage, ...] = field(default=(), repr=False)


def untraced_numbers(text: str, results: dict[str, MetricResult], question: str) -> list[str]:
    """Numbers in ``text`` that no result (and not the question) contains."""
    known = numbers_in(results.values())
    known |= set(_NUMBER.findall(question))
    cleaned = _IGNORED.sub(" ", text)
    out = []
    for raw in _NUMBER.findall(cleaned):
        plain = raw.replace(",", "")
        if plain in known or raw in known:
            continue
        try:
            value = float(plain)
        except ValueError:
            continue
        if value.is_integer() and abs(value) <= 10:  # "top 3", "2 channels"
            continue
        if any(_same(value, k) for k in known):
            continue
        out.append(raw)
    return out


def _same(value: float, known: str) -> bool:
    try:
        other = float(known.replace(",", "").rstrip("%"))
    except ValueError:
        return False
    return abs(value - other) <= max(abs(other) * 1e-9, 1e-9)


def run_agent(
    chat_model: BaseChatModel,
    question: str,
    toolkit: AgentToolkit,
    *,
    max_steps: int = DEFAULT_MAX_STEPS,
    max_tokens: int = 12_000,
    timeout_s: float = 60.0,
) -> AgentRun:
    """Answer ``question`` with tool calls; see the module docstring for the guarantees."""
    started = time.perf_counter()
    language = language_of(question)
    budget = Budget(max_tokens, timeout_s)
    tools = toolkit.tools()
    bound = chat_model.bind_tools(tools)
    messages: list[BaseMessage] = [
        SystemMessage(content=render_prompt("agent_system", today=toolkit.today.isoformat())),
        HumanMessage(content=toolkit.mask(question.strip())),
    ]
    notices: list[str] = []
    text = ""
    ok = True
    steps = 0
    for _ in range(max_steps):
        try:
            budget.check(messages)
            ai = budget.run(partial(bound.invoke, list(messages)))
        except (BudgetExceeded, TimeoutError) as exc:
            notices.append(_notice(str(exc), language))
            ok = steps > 0
            break
        except Exception as exc:  # endpoint down or refusing
            notices.append(_notice(describe_failure(exc), language))
            ok = False
            break
        steps += 1
        budget.charge(usage_tokens(ai, messages))
        if not isinstance(ai, AIMessage):
            ai = AIMessage(content=str(getattr(ai, "content", ai)))
        messages.append(ai)
        if not ai.tool_calls and not ai.invalid_tool_calls:
            text = ai.content if isinstance(ai.content, str) else str(ai.content)
            break
        for call in ai.tool_calls:
            record = toolkit.call(call["name"], call.get("args") or {})
            messages.append(
                ToolMessage(
                    content=record.output,
                    tool_call_id=call.get("id") or call["name"],
                    name=call["name"],
                    status="success" if record.ok else "error",
                )
            )
        for bad in ai.invalid_tool_calls:
            messages.append(
                ToolMessage(
                    content=f"Error: the arguments of {bad.get('name')} are not valid JSON "
                    f"({bad.get('error') or 'unparseable'}). Call it again with a JSON object.",
                    tool_call_id=bad.get("id") or str(bad.get("name")),
                    name=str(bad.get("name")),
                    status="error",
                )
            )
    else:
        notices.append(
            "已达到最大步骤数，回答可能不完整。"
            if language == "zh"
            else f"Stopped after {max_steps} steps; the answer may be incomplete."
        )
    results = dict(toolkit.results)
    untraced = untraced_numbers(text, results, question) if text else []
    if untraced:
        notices.append(
            f"Numbers not traced to any query: {', '.join(untraced)}; do not show them as computed."
        )
    return AgentRun(
        text=text,
        tool_calls=tuple(toolkit.records),
        results=results,
        notices=tuple(notices),
        steps=steps,
        tokens_used=budget.used_tokens,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        untraced_numbers=tuple(untraced),
        ok=ok and bool(text),
        messages=tuple(messages),
    )


def _notice(reason: str, language: str) -> str:
    if language == "zh":
        return f"大模型不可用：{reason}"
    return f"LLM unavailable: {reason}"
