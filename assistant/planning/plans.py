"""The Plan contract (shared/DESIGN.md): what a planner returns for a question.

A plan is exactly one of MetricPlan, Clarification, CaseSearch, RootCause, Forecast, AlertReview
or OutOfScope. No planner ever produces SQL or computes a number: numbers come from the semantic
layer only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from semantic_layer.query import Filter, MetricQuery, TimeRange

Language = Literal["zh", "en"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MetricPlan(_Frozen):
    """Answer with numbers: run ``query`` through the semantic layer."""

    kind: Literal["metric"] = "metric"
    query: MetricQuery
    interpretation: str  # "I read this as: ..." in the question's language
    verified: bool = False  # matched an analyst-verified question
    follow_up_of: MetricQuery | None = None  # the previous query this one rewrote
    assumptions: tuple[str, ...] = ()  # defaults the planner filled in, said out loud
    asks_target: bool = False  # "达标了吗": the answer must say the target, or that none is set


class ClarificationOption(_Frozen):
    label: str
    plan: MetricPlan  # what choosing this option runs


class Clarification(_Frozen):
    """Two or more readings are plausible: ask, with at most three options."""

    kind: Literal["clarification"] = "clarification"
    question: str
    options: tuple[ClarificationOption, ...] = Field(default=(), max_length=3)
    # The planner could not place every word (not: the words fit several metrics). Another
    # planner (an LLM) may read such a question before the user is asked.
    incomplete: bool = False


class CaseSearch(_Frozen):
    """Find resolved cases similar to ``text``."""

    kind: Literal["case_search"] = "case_search"
    text: str
    filters: tuple[Filter, ...] = ()
    interpretation: str = ""


class RootCause(_Frozen):
    """Explain a change of ``metric`` in ``period`` (vs ``compare_period``) within ``scope``."""

    kind: Literal["root_cause"] = "root_cause"
    metric: str
    period: TimeRange
    compare_period: TimeRange
    scope: tuple[Filter, ...] = ()
    interpretation: str = ""


class Forecast(_Frozen):
    """Forecast a volume metric for the next ``weeks`` weeks within ``scope`` (monitoring part);
    with ``period`` (a calendar period asked for: "下个月" = the next calendar month), the total
    covers exactly that period.

    Beyond the five kinds of shared/DESIGN.md: forecasts are a statistical model's output,
    not a certified metric, so they get a kind of their own and are labelled as such.
    """

    kind: Literal["forecast"] = "forecast"
    metric: str
    weeks: int = Field(ge=1, le=26)
    scope: tuple[Filter, ...] = ()
    interpretation: str = ""
    period: TimeRange | None = None


class AlertReview(_Frozen):
    """List the monitoring alerts whose window ends in ``period`` within ``scope`` (and for
    ``metric`` when one is named): "最近有什么异常？" (monitoring part).

    Beyond the kinds of shared/DESIGN.md: alerts are findings of statistical rules over
    certified metrics (an expected value and an interval, not a metric value), so they get a
    kind of their own. Each alert carries a RootCause plan for its "why" (see ``FollowUp``).
    """

    kind: Literal["alerts"] = "alerts"
    period: TimeRange  # alerts whose strongest window ends in [start, end)
    scope: tuple[Filter, ...] = ()  # dimensions the monitoring rules scope by (region, ...)
    metric: str | None = None
    interpretation: str = ""


class FollowUp(_Frozen):
    """A next step an answer offers (e.g. "why?" on one alert): a label and the plan it runs."""

    label: str
    plan: RootCause


class OutOfScope(_Frozen):
    """Not a question about service data: say so and suggest answerable questions."""

    kind: Literal["out_of_scope"] = "out_of_scope"
    reason: str
    suggestions: tuple[str, ...] = ()


Plan = Annotated[
    MetricPlan | Clarification | CaseSearch | RootCause | Forecast | AlertReview | OutOfScope,
    Field(discriminator="kind"),
]
PLAN_ADAPTER: TypeAdapter[Plan] = TypeAdapter(Plan)


class Turn(_Frozen):
    """One answered question of a conversation (what follow-ups build on)."""

    question: str
    plan: Plan


class ConversationState(_Frozen):
    """What a planner knows besides the question: earlier turns, who asks, and when."""

    turns: tuple[Turn, ...] = ()
    today: date
    role: str | None = None
    user: str | None = None  # who asks (for the audit log; access comes from the role)

    @property
    def last_query(self) -> MetricQuery | None:
        for turn in reversed(self.turns):
            if isinstance(turn.plan, MetricPlan):
                return turn.plan.query
        return None

    def with_turn(self, question: str, plan: Plan) -> ConversationState:
        return self.model_copy(update={"turns": (*self.turns, Turn(question=question, plan=plan))})
