"""MetricPlan -> numbers from the semantic layer, narrated (``narrate``).

The query runs exactly as the planner's check compiled it (through the application's
``CompileCache``), with the asker's row filters compiled in."""

from __future__ import annotations

from assistant.answer.base import AnswerContext, Reply, t
from assistant.answer.narrate import narrate
from assistant.answer.sources import attach_source_status
from assistant.messages import cannot_compute
from assistant.planning.plans import MetricPlan
from assistant.roles import scope_statement
from semantic_layer.errors import SemanticLayerError
from semantic_layer.executor import execute

PLAN = MetricPlan


def handle(plan: MetricPlan, ctx: AnswerContext) -> Reply:
    services, language = ctx.services, ctx.language
    policy = ctx.role.policy
    # Rows outside the role: "outside your access", never 0; narrowed rows: said.
    outside, scope_note = scope_statement(
        ctx.role, plan.query.filters, plan.query.dimensions, services.lexicon, language
    )
    if outside is not None:
        return Reply(outside)
    try:
        result = execute(
            plan.query,
            services.engine,
            catalog=services.catalog,
            policy=policy,
            row_limit=services.row_limit,
            timeout_s=services.timeout_s,
            compiled=services.compiler.compile(plan.query, policy),
        )
    except SemanticLayerError as exc:
        return Reply(cannot_compute(language, str(exc)))
    attach_source_status(result, services.engine)
    text = (scope_note or "") + narrate(result, services.lexicon, language)
    if plan.verified:
        text = t(language, "✔ 已验证问题。", "✔ Verified question. ") + text
    return Reply(text, result=result)
