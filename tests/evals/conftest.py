"""Fixtures for the eval tests: a read-only engine and an "oracle" assistant.

The oracle assistant answers every case question with the case's own ``expected_query``
through the real semantic layer: it implements the assistant's public interface
(``ask(question, state=...) -> Answer``) without any planner, so the runner and the case files
can be tested before and independently of the real planners.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from assistant.planning.plans import (
    Clarification,
    ConversationState,
    MetricPlan,
    OutOfScope,
    Plan,
)
from semantic_layer.query import MetricQuery


@dataclass(frozen=True)
class FakeAnswer:
    plan: Plan
    result: Any
    text: str
    state: ConversationState


class PlanAssistant:
    """Answers each question with a plan from ``plan_for``; runs MetricPlans for real."""

    def __init__(self, engine: sa.Engine, plan_for: Callable[[str], Plan]) -> None:
        self.engine = engine
        self.plan_for = plan_for
        self.asked: list[str] = []

    def ask(self, question: str, *, state: ConversationState) -> FakeAnswer:
        from semantic_layer.executor import execute

        self.asked.append(question)
        plan = self.plan_for(question)
        result = execute(plan.query, self.engine) if isinstance(plan, MetricPlan) else None
        return FakeAnswer(plan, result, "", state.with_turn(question, plan))


def metric_plan(query: MetricQuery) -> MetricPlan:
    return MetricPlan(query=query, interpretation="test")


def clarification() -> Clarification:
    return Clarification(question="Which one?")


def out_of_scope() -> OutOfScope:
    return OutOfScope(reason="not service data")


@pytest.fixture(scope="session")
def eval_engine(demo_warehouse_url: str) -> Iterator[sa.Engine]:
    from tools.warehouse.engine import make_engine

    engine = make_engine(demo_warehouse_url, read_only=True)
    yield engine
    engine.dispose()
