"""The table Plan type -> handler: how each kind of plan is answered.

Built-in handlers register through the same plugin hook as extensions
(``assistant.plugins``); a new plan kind is one handler module (``PLAN`` + ``handle``) listed
by a plugin, one planner rule that returns the plan, and one eval file.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from assistant.answer.base import AnswerContext, Reply

Handler = Callable[[Any, AnswerContext], Reply]


def table_of(modules: list[ModuleType]) -> dict[type, Handler]:
    """``{module.PLAN: module.handle}``; two handlers for one plan type is an error."""
    table: dict[type, Handler] = {}
    for module in modules:
        plan_type = module.PLAN
        if plan_type in table:
            raise ValueError(
                f"Two answer handlers for {plan_type.__name__}: {module.__name__} and "
                f"{table[plan_type].__module__}. Keep one."
            )
        table[plan_type] = module.handle
    return table
