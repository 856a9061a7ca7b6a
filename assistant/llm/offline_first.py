"""Offline first, the LLM for what it cannot read.

The offline planner answers every question it reads completely: its readings are checked word
by word, so they are the ones to trust. When it could not place a word (a clarification marked
``incomplete``), the configured LLM planner drafts a reading against the same catalog, checked
by the semantic layer. A metric plan from the model is answered and says so; anything else
(no draft, a rejected one, another clarification) keeps the offline clarification: the user is
asked, never given a guess.
"""

from __future__ import annotations

from assistant.llm.context import language_of
from assistant.llm.planner import LLMPlanner, PlanOutcome
from assistant.planning.offline import OfflinePlanner
from assistant.planning.plans import Clarification, ConversationState, MetricPlan


def llm_read_notice(language: str) -> str:
    if language == "zh":
        return "离线规划器未能读懂问题中的每个词，这个回答由大模型规划器解读（已经过语义层校验）。"
    return (
        "The offline planner could not place every word of the question; the LLM planner read "
        "it (checked by the semantic layer)."
    )


class OfflineFirstPlanner:
    """The offline planner, with the LLM planner reading its incomplete questions."""

    name = "offline+llm"

    def __init__(self, offline: OfflinePlanner, llm: LLMPlanner) -> None:
        self.offline = offline
        self.llm = llm

    def plan(self, question: str, state: ConversationState):
        return self.plan_detailed(question, state).plan

    def plan_detailed(self, question: str, state: ConversationState) -> PlanOutcome:
        offline_plan = self.offline.plan(question, state)
        if not (isinstance(offline_plan, Clarification) and offline_plan.incomplete):
            return PlanOutcome(offline_plan, "offline")
        outcome = self.llm.plan_detailed(question, state)
        if outcome.source == "llm" and isinstance(outcome.plan, MetricPlan):
            return PlanOutcome(
                outcome.plan,
                "llm",
                (*outcome.notices, llm_read_notice(language_of(question))),
                outcome.attempts,
                outcome.tokens_used,
                outcome.elapsed_ms,
            )
        # The model did not give a checked metric reading: ask, as the offline planner would.
        return PlanOutcome(
            offline_plan, "offline", (), outcome.attempts, outcome.tokens_used, outcome.elapsed_ms
        )
