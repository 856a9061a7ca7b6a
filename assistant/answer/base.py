"""What every answer handler gets and gives.

A handler turns one kind of plan into a ``Reply``. It gets an ``AnswerContext``: the asker's
role, the question's language, the conversation state, and the application's ``Services``
(engine, catalog, compiled-query cache, case search, root cause, alerts, forecast) — built once
by ``assistant.app.build_app`` and shared by every surface.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from assistant.alerts import AlertSource
from assistant.messages import pick
from assistant.planning.lexicon import Lexicon, lexicon_for
from assistant.planning.plans import ConversationState, FollowUp
from assistant.roles import Role
from semantic_layer.catalog import Catalog
from semantic_layer.compiler import CompileCache
from semantic_layer.executor import MetricResult

if TYPE_CHECKING:  # the capability classes live with their handlers
    from assistant.answer.cases import CaseSearcher
    from assistant.answer.why import RootCauseAnalysis

# Forecast a volume: (engine, metric, weeks, scope, today) -> tools.monitoring ForecastResult.
ForecastFn = Callable[..., Any]


log = logging.getLogger(__name__)


@dataclass
class Services:
    """The parts an answer may use, created once per application."""

    engine: Engine
    catalog: Catalog
    compiler: CompileCache
    cases: CaseSearcher | None = None
    root_cause: RootCauseAnalysis | None = None
    alerts: AlertSource | None = None
    forecast: ForecastFn | None = None
    row_limit: int = 50_000
    timeout_s: float = 30.0
    monitoring: dict[str, Any] | None = field(default=None, repr=False)  # rules, read once
    _targets: tuple[Catalog, Any] | None = field(default=None, repr=False)

    @property
    def lexicon(self) -> Lexicon:
        return lexicon_for(self.catalog)

    def targets(self) -> Any:
        """The analysts' targets (tools/monitoring/targets.yml), read once per catalog; None
        when the file is invalid (logged; the server refuses to start on it, so this is a
        library caller's case): answers then show no target."""
        if self._targets is None or self._targets[0] is not self.catalog:
            from tools.monitoring.targets import load_targets

            try:
                loaded = load_targets(None, self.catalog)
            except Exception as exc:  # noqa: BLE001 - a number stands without its target
                log.warning("targets not loaded: %s", exc)
                loaded = None
            self._targets = (self.catalog, loaded)
        return self._targets[1]


@dataclass(frozen=True)
class AnswerContext:
    role: Role
    language: str
    state: ConversationState
    services: Services


@dataclass(frozen=True)
class Reply:
    """A handler's answer: the text, the metric result behind it (if any), details for the
    API (case hits, the why report, the forecast) and next steps offered."""

    text: str
    result: MetricResult | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    follow_ups: tuple[FollowUp, ...] = ()


t = pick  # the text in the question's language (assistant.messages, one catalog)
