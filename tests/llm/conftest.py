"""Fixtures for the LLM planner and agent tests."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.planning.plans import ConversationState, OutOfScope, Plan
from semantic_layer.catalog import Catalog
from semantic_layer.catalog_loader import default_catalog

TODAY = date(2026, 11, 5)  # the demo data ends 2026-10-31: "last month" is October 2026


class RecordingFallback:
    """Stands in for the offline planner; records the questions it had to answer."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    def plan(self, question: str, state: ConversationState) -> Plan:
        self.questions.append(question)
        return OutOfScope(reason="offline fallback answered")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return default_catalog()


@pytest.fixture
def state() -> ConversationState:
    return ConversationState(today=TODAY)


@pytest.fixture
def fallback() -> RecordingFallback:
    return RecordingFallback()
