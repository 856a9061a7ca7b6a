"""OutOfScope -> why it cannot be answered, and questions that can."""

from __future__ import annotations

from assistant.answer.base import AnswerContext, Reply, t
from assistant.planning.plans import OutOfScope

PLAN = OutOfScope


def handle(plan: OutOfScope, ctx: AnswerContext) -> Reply:
    language = ctx.language
    tips = ("；" if language == "zh" else "; ").join(plan.suggestions)
    if not tips:
        return Reply(plan.reason)
    return Reply(plan.reason + t(language, f" 可以这样问：{tips}", f" Try: {tips}"))
