"""An answer already given, told again in the other language from what it was made of (its
plan, its metric result or why report), without running a query: the chat re-renders its
earlier answers this way when the user switches between 中文 and English.

A kind of answer is re-told when its words come from structure (a metric result, a why
report); the others (case search, forecast, alerts, clarifications, refusals) keep the language
they were answered in, whole: text, table and chart stay one language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from assistant.answer.metric import metric_text
from assistant.answer.why import why_answer_text
from assistant.planning.interpret import describe_query, describe_root_cause
from assistant.planning.plans import MetricPlan, Plan, RootCause
from assistant.roles import Role

if TYPE_CHECKING:
    from assistant.answer.base import Services
    from semantic_layer.executor import MetricResult

Told = tuple[Plan, str]  # the plan with its reading in the new language, and the answer text


def _metric(
    plan: Any, result: MetricResult | None, payload: dict, role: Role, lang: str, services: Services
) -> Told | None:
    if result is None:
        return None
    # The planner's assumptions are sentences in the question's language: they are said once
    # more below the reading, so the reading itself is rebuilt without them.
    reading = describe_query(plan.query, services.catalog, services.lexicon, lang)
    plan = plan.model_copy(update={"interpretation": reading})
    return plan, metric_text(plan, result, role, services, lang)


def _why(
    plan: Any, result: MetricResult | None, payload: dict, role: Role, lang: str, services: Services
) -> Told | None:
    report = payload.get("why")
    if not report:
        return None
    reading = describe_root_cause(
        plan.metric, plan.period, plan.compare_period, services.catalog, lang
    )
    plan = plan.model_copy(update={"interpretation": reading})
    return plan, why_answer_text(plan, report, services, lang)


RETELLERS: dict[type, Callable[..., Told | None]] = {MetricPlan: _metric, RootCause: _why}


def retell(
    plan: Plan,
    result: MetricResult | None,
    payload: dict[str, Any],
    role: Role,
    language: str,
    services: Services,
) -> Told | None:
    """The answer of ``plan`` (with its ``result`` or ``payload``) in ``language``, for ``role``;
    None when its kind is not re-told (see the module docstring)."""
    teller = RETELLERS.get(type(plan))
    return teller(plan, result, payload, role, language, services) if teller else None
