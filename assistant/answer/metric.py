"""MetricPlan -> numbers from the semantic layer, narrated (``narrate``).

The query runs exactly as the planner's check compiled it (through the application's
``CompileCache``), with the asker's row filters compiled in."""

from __future__ import annotations

from assistant.answer.base import AnswerContext, Reply, Services, t
from assistant.answer.narrate import before_data, narrate, no_data_yet
from assistant.answer.sources import attach_source_status
from assistant.answer.target_note import target_note
from assistant.messages import cannot_compute, computed_as_of_lines, msg
from assistant.planning.plans import MetricPlan
from assistant.roles import Role, scope_statement
from semantic_layer.errors import ComputedTableMissing, SemanticLayerError
from semantic_layer.executor import MetricResult, execute

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
    except ComputedTableMissing as exc:
        model = next(m for m in services.catalog.spec.models if m.table == exc.table)
        label = model.computed_as_of.label if model.computed_as_of else model.label
        return Reply(
            msg(
                language,
                "computed_missing",
                label=label.zh if language == "zh" else label.en,
                command=exc.built_by,
            )
        )
    except SemanticLayerError as exc:
        return Reply(cannot_compute(language, str(exc)))
    attach_source_status(result, services.engine)
    if before_data(result):
        # The whole period lies after the last data point: its "0" would be data that has not
        # arrived, not a measurement, so no table, chart or certified badge carries it.
        return Reply((scope_note or "") + no_data_yet(result, language))
    return Reply(metric_text(plan, result, ctx.role, services, language), result=result)


def metric_text(
    plan: MetricPlan, result: MetricResult, role: Role, services: Services, language: str
) -> str:
    """The answer's words from its result (no query runs): also how an answer already given
    is told again in the other language (``assistant.answer.retell``)."""
    _, scope_note = scope_statement(
        role, plan.query.filters, plan.query.dimensions, services.lexicon, language
    )
    text = (scope_note or "") + narrate(result, services.lexicon, language)
    for line in computed_as_of_lines(result, services.catalog, language):
        text += ("" if language == "zh" else " ") + line  # segments: their date, every answer
    note = target_note(
        result, role, services.targets(), language, plan.asks_target, services.lexicon
    )
    if note:
        text += ("" if language == "zh" else " ") + note
    if plan.verified:
        text = t(language, "✔ 已验证问题。", "✔ Verified question. ") + text
    return text
