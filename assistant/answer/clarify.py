"""Clarification -> the question back, with its (at most three) options."""

from __future__ import annotations

from assistant.answer.base import AnswerContext, Reply
from assistant.planning.plans import Clarification

PLAN = Clarification


def handle(plan: Clarification, ctx: AnswerContext) -> Reply:
    zh = ctx.language == "zh"
    options = ("；" if zh else "; ").join(o.label for o in plan.options)
    if not options:
        return Reply(plan.question)
    return Reply(plan.question + (f"（{options}）" if zh else f" ({options})"))
