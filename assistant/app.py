"""The one application builder: every surface gets its ServicePilot from ``build_app``.

The CLI commands, the web UI (``serve``), the Gradio API, MCP, the eval runner and the
benchmarks all call ``build_app(settings, surface)``, so evals measure exactly the wiring users
get. It creates each part once — warehouse engine, catalog, compiled-query cache, planner,
case search, root cause, alerts, forecast, audit log — and hands the same objects to the
assistant (chat) and to the role-aware API (``ServicePilotAPI``).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.engine import Engine

from assistant.alerts import AlertCache, AlertNarrator, AlertSource
from assistant.answer.base import Services
from assistant.answer.cases import CaseSearcher
from assistant.answer.sources import attach_source_status
from assistant.answer.why import RootCauseAnalysis
from assistant.audit_ops import open_audit_log
from assistant.authorize import authorize, require_metrics, require_query_within_rows
from assistant.planning.plans import MetricPlan
from assistant.plugins import answer_handlers
from assistant.ratelimit import RateLimiter
from assistant.roles import Role, get_role
from assistant.service import Assistant, Planner
from semantic_layer.catalog import Catalog
from semantic_layer.catalog_loader import default_catalog
from semantic_layer.compiler import CompileCache
from semantic_layer.data_values import DataValuesWatch, with_data_values
from semantic_layer.executor import MetricResult, execute
from semantic_layer.query import MetricQuery
from tools.audit import AuditLog
from tools.errors import ConfigError
from tools.settings import Settings, load_settings, warehouse_url_from
from tools.warehouse.engine import open_warehouse

if TYPE_CHECKING:  # imported when first used: a CLI question never needs the API's tool layer
    from assistant.api import ServicePilotAPI

Surface = Literal["cli", "ui", "mcp", "eval", "bench", "test"]
# Surfaces whose questions are written to the audit log and rate-limited per user.
AUDITED: frozenset[str] = frozenset({"cli", "ui", "mcp"})
RATE_LIMITED: frozenset[str] = frozenset({"ui", "mcp"})


@dataclass
class App:
    """One application: its parts, and the two faces over them (chat and API)."""

    settings: Settings
    surface: str
    warehouse_url: str
    services: Services
    assistant: Assistant
    today: date
    planner_kind: str = "offline"
    audit: AuditLog | None = None
    rate_limit: RateLimiter | None = None
    tool_rate_limit: RateLimiter | None = None  # every tool endpoint and MCP tool, per user
    cockpit_alert_days: int | None = None  # the cockpit's alert window; None: no alert panel
    _closers: list[Any] = field(default_factory=list, repr=False)
    _values_watch: DataValuesWatch | None = field(default=None, repr=False)

    @cached_property
    def api(self) -> ServicePilotAPI:
        """The role-aware API over this application (UI, Gradio endpoints, MCP)."""
        from assistant.api import ServicePilotAPI

        return ServicePilotAPI(self, rate_limit=self.rate_limit)

    def query_metrics(
        self, query: MetricQuery | dict[str, Any], role: str | None, row_limit: int | None = None
    ) -> MetricResult:
        """Run ``query`` as ``role``; ``row_limit`` (default: the warehouse's) caps the rows
        fetched — a larger result comes back ``truncated``. (``servicepilot query`` calls this
        directly: the API's tool layer, and the pandas its alert tools import, stay unloaded.)"""
        role_obj = get_role(role)
        mq = query if isinstance(query, MetricQuery) else MetricQuery.model_validate(query)
        authorize(role_obj, MetricPlan(query=mq, interpretation=""))
        require_query_within_rows(role_obj, mq.filters)
        services = self.services
        result = execute(
            mq,
            services.engine,
            catalog=services.catalog,
            policy=role_obj.policy,
            row_limit=row_limit or services.row_limit,
            timeout_s=services.timeout_s,
            compiled=services.compiler.compile(mq, role_obj.policy),
        )
        attach_source_status(result, services.engine)
        return result

    def cockpit_alerts(self, role: Role) -> list[dict[str, Any]] | None:
        """The alerts ``role`` may see over the cockpit's window, as JSON with their zh/en
        titles and why links; None when this application has no alert panel."""
        require_metrics(role)  # the panel is hidden from such roles; its endpoint refuses too
        source = self.services.alerts
        if self.cockpit_alert_days is None or source is None:
            return None
        narrator = AlertNarrator(self.services.lexicon)
        since = self.today - timedelta(days=self.cockpit_alert_days)
        return [narrator.to_dict(a) for a in source(role, since, self.today)]

    @property
    def engine(self) -> Engine:
        return self.services.engine

    @property
    def catalog(self) -> Catalog:
        return self.services.catalog

    def replace_catalog(self, catalog: Catalog) -> None:
        """Swap in freshly loaded definitions: every answer (chat, API, why, cockpit) uses
        them from now on; the warehouse connection, case index and caches stay."""
        self._install(with_data_values(catalog, self.services.engine))

    def _install(self, catalog: Catalog) -> None:
        self.services.catalog = catalog
        self.services.compiler = CompileCache(catalog, self.services.compiler.dialect)
        self.services.monitoring = None
        if isinstance(self.services.alerts, AlertCache):
            self.services.alerts.clear()  # computed with the old definitions
        self.assistant.planner = make_planner(self.planner_kind, self.services, self.settings)

    def refresh_data_values(self) -> None:
        """Names the warehouse gained since they were read (an import while the server runs)
        are understood from the next question on: the definitions are re-applied with them."""
        values = self._values_watch.changed(self.catalog) if self._values_watch else None
        if values is not None:
            self._install(self.catalog.with_data_values(values))

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer()
        self._closers.clear()


def make_planner(kind: str, services: Services, settings: Settings) -> Planner:
    """The offline planner, or the configured LLM planner falling back to it."""
    from assistant.planning.offline import OfflinePlanner

    offline = OfflinePlanner(services.catalog, check=services.compiler.compile)
    if kind == "offline":
        return offline
    if kind == "llm":
        from assistant.llm.planner import LLMPlanner  # LangChain loads only when asked for

        llm = LLMPlanner.from_settings(
            settings, catalog=services.catalog, fallback=offline, check=services.compiler.compile
        )
        if llm is None:
            raise ConfigError(
                "No LLM is configured (llm_provider = none). Set SERVICEPILOT_LLM_PROVIDER "
                "and its endpoint or GGUF file (docs/llm.md), or use the offline planner."
            )
        if settings.llm_planner_mode == "llm_first":
            return llm
        from assistant.llm.offline_first import OfflineFirstPlanner

        return OfflineFirstPlanner(offline, llm)
    raise ConfigError(f"Unknown planner '{kind}'. Valid planners: offline, llm.")


def build_app(
    settings: Settings | None = None,
    surface: Surface = "cli",
    *,
    warehouse: str | Engine | None = None,
    today: date | None = None,
    planner: str = "offline",
    catalog: Catalog | None = None,
    audit: AuditLog | bool | None = None,
    cases: CaseSearcher | None = None,
    alerts: AlertSource | None = None,
    rate_limit: RateLimiter | None = None,
    tool_rate_limit: RateLimiter | None = None,
    cockpit_alert_days: int | None = None,
) -> App:
    """Build the application for one surface.

    ``warehouse``: a URL or path (default: the settings' warehouse) or an open Engine.
    ``audit``: an AuditLog, True (the settings' operations store), False, or None (on for the
    cli/ui/mcp surfaces). ``cases``/``alerts``/``rate_limit`` replace the defaults (the case
    index of the settings, alerts detected over this warehouse and cached, the settings' rate
    limit on ui/mcp) — tests pass their own. ``tool_rate_limit``: tool calls per user per
    minute on every surface (default: the settings' ``tool_rate_limit_per_minute``).
    ``cockpit_alert_days``: the cockpit's alert window (the web UI sets it; other surfaces
    show no alert panel).
    """
    settings = settings or load_settings()
    closers: list[Any] = []
    if isinstance(warehouse, Engine):
        engine, url = warehouse, warehouse.url.render_as_string(hide_password=False)
    else:
        url = warehouse_url_from(warehouse, settings)
        engine = open_warehouse(url)
        closers.append(engine.dispose)
    catalog = with_data_values(catalog or default_catalog(), engine)
    services = Services(
        engine=engine,
        catalog=catalog,
        compiler=CompileCache(catalog, engine.dialect.name),
        cases=cases if cases is not None else CaseSearcher(),
        alerts=alerts if alerts is not None else AlertCache(engine, catalog=lambda: catalog_now()),
        forecast=_forecaster(),
        row_limit=settings.max_result_rows,
        timeout_s=settings.query_timeout_s,
    )
    services.root_cause = RootCauseAnalysis(services)

    def catalog_now() -> Catalog:
        return services.catalog  # the monitoring rules and alerts use the app's catalog

    audit_log = _audit_log(audit, surface, settings, closers)
    if rate_limit is None and surface in RATE_LIMITED:
        rate_limit = RateLimiter(settings.rate_limit_per_minute)
    if tool_rate_limit is None:
        tool_rate_limit = RateLimiter(
            settings.tool_rate_limit_per_minute,
            what="tool calls",
            setting="SERVICEPILOT_TOOL_RATE_LIMIT_PER_MINUTE",
        )
    assistant = Assistant(
        services,
        make_planner(planner, services, settings),
        answer_handlers(),
        audit=audit_log,
        surface=surface,
    )
    return App(
        settings=settings,
        surface=surface,
        warehouse_url=url,
        services=services,
        assistant=assistant,
        today=today or date.today(),
        planner_kind=planner,
        audit=audit_log,
        rate_limit=rate_limit,
        tool_rate_limit=tool_rate_limit,
        cockpit_alert_days=cockpit_alert_days,
        _closers=closers,
        # The servers learn names added while they run; a CLI call or an eval lives too short.
        _values_watch=DataValuesWatch(engine) if surface in ("ui", "mcp") else None,
    )


def _audit_log(
    audit: AuditLog | bool | None, surface: str, settings: Settings, closers: list[Any]
) -> AuditLog | None:
    if isinstance(audit, AuditLog):
        return audit
    if audit is False or (audit is None and surface not in AUDITED):
        return None
    log = open_audit_log(settings)
    closers.append(log.store.close)
    return log


def _forecaster() -> Any:
    """``tools.monitoring.forecast_volume``, or None when monitoring is not installed. The
    package (its detectors and baselines) is imported at the first forecast, not at start-up:
    most questions never ask for one."""
    if importlib.util.find_spec("tools.monitoring") is None:  # pragma: no cover - ships
        return None

    def forecast_volume(*args: Any, **kwargs: Any) -> Any:
        from tools.monitoring import forecast_volume

        return forecast_volume(*args, **kwargs)

    return forecast_volume
