"""RootCause -> "why did it change?": the change decomposed by dimension plus the complaint
themes that grew (``tools.cases.why``), worded by ``why_text``.

``RootCauseAnalysis`` is the application's one root-cause capability: the chat, the cockpit's
alert "why?", the API and MCP all call it, with the application's engine and catalog, and a
missing comparison period is always the one a metric answer compares with
(``semantic_layer.periods.comparison_range``) — so one why gives one set of numbers everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.answer.base import AnswerContext, Reply, t
from assistant.answer.why_text import why_text
from assistant.authorize import authorize
from assistant.jsonable import json_safe
from assistant.planning.plans import RootCause
from assistant.roles import Role
from semantic_layer.periods import comparison_range
from semantic_layer.query import Filter, TimeRange

if TYPE_CHECKING:
    from assistant.answer.base import Services

PLAN = RootCause


@dataclass
class RootCauseAnalysis:
    services: Services

    def explain(
        self,
        metric: str,
        period: TimeRange,
        role: Role,
        scope: dict[str, str] | None = None,
        previous: TimeRange | None = None,
    ) -> dict[str, Any]:
        """The why report as JSON (``tools.cases.why.WhyReport`` plus its summary)."""
        from tools.cases.search import AccessScope
        from tools.cases.why import explain_change

        services = self.services
        scope = dict(scope or {})
        previous = previous or comparison_range(period)
        filters = tuple(Filter(field=k, op="=", values=(v,)) for k, v in scope.items())
        authorize(
            role, RootCause(metric=metric, period=period, compare_period=previous, scope=filters)
        )
        access = (
            AccessScope.of(**{k: list(v) for k, v in role.row_filters.items()})
            if role.row_filters
            else None
        )
        store = None
        if services.cases is not None:
            try:
                store = services.cases.store()
            except Exception:  # no case index: the metric decomposition still works
                store = None
        report = explain_change(
            metric,
            (period.start, period.end),
            (previous.start, previous.end),
            warehouse=services.engine,
            catalog=services.catalog,
            scope=scope,
            policy=role.policy,
            access=access,
            store=store,
        )
        return json_safe({**report.to_dict(), "summary": report.summary()})


def handle(plan: RootCause, ctx: AnswerContext) -> Reply:
    services = ctx.services
    if services.root_cause is None:
        return Reply(t(ctx.language, "原因分析暂不可用。", "Root-cause analysis is not available."))
    scope = {f.field: str(f.values[0]) for f in plan.scope if f.op == "=" and len(f.values) == 1}
    report = services.root_cause.explain(
        plan.metric, plan.period, ctx.role, scope, previous=plan.compare_period
    )
    return Reply(why_answer_text(plan, report, services, ctx.language), payload={"why": report})


def why_answer_text(
    plan: RootCause, report: dict[str, Any], services: Services, language: str
) -> str:
    """How the question was read, then the analysis, from the report (no query runs)."""
    text = why_text(report, services.lexicon, services.catalog, language)
    return f"{plan.interpretation}\n{text}"
