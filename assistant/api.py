"""The programmable surface: one role-aware API used by the web UI, the Gradio API endpoints and
the MCP tools (``list_metrics``, ``describe_metric``, ``query_metrics``,
``search_similar_cases``, ``explain_change``).

Every call takes the caller's role; row access is enforced by the semantic layer's compiler
(``role.policy``) and by case search (``AccessScope``), never by what the caller asks for.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, get_origin, get_type_hints

from assistant import operations, toolset
from assistant.answer.cases import INDEX_MISSING, CaseSearcher
from assistant.answer.sources import source_status
from assistant.audit_ops import record_operation
from assistant.authorize import require_metrics
from assistant.errors import AccessDenied
from assistant.jsonable import json_safe
from assistant.planning.plans import ConversationState, Plan
from assistant.ratelimit import RateLimiter
from assistant.roles import get_role
from assistant.service import Answer, Assistant
from assistant.toolset import Tool, ToolError, check_result_size
from semantic_layer.catalog import Catalog
from semantic_layer.errors import SemanticLayerError
from semantic_layer.executor import MetricResult
from semantic_layer.query import Filter, MetricQuery, TimeRange
from tools.errors import ServicePilotError
from tools.monitoring.live import LiveView, live_view

if TYPE_CHECKING:
    from assistant.app import App

__all__ = ["INDEX_MISSING", "AccessDenied", "CaseSearcher", "ServicePilotAPI", "build_mcp_server"]


class ServicePilotAPI:
    """Role-aware operations over one application; what the UI, Gradio API and MCP call.

    Built by ``assistant.app.build_app`` (``app.api``); every part comes from the app, so a
    catalog reload reaches the API, the chat and the cockpit at once."""

    def __init__(self, app: App, *, rate_limit: RateLimiter | None = None) -> None:
        self.app = app
        self.rate_limit = rate_limit

    @property
    def assistant(self) -> Assistant:
        return self.app.assistant

    @property
    def catalog(self) -> Catalog:
        return self.app.catalog

    @property
    def today(self) -> date:
        return self.app.today

    @property
    def warehouse_url(self) -> str:
        return self.app.warehouse_url

    @property
    def cases(self) -> CaseSearcher | None:
        return self.app.services.cases

    def replace_catalog(self, catalog: Catalog) -> None:
        """Swap in freshly loaded definitions (same warehouse connection)."""
        self.app.replace_catalog(catalog)

    # -- questions -------------------------------------------------------------------------

    def new_state(
        self, role: str | None, today: date | None = None, user: str | None = None
    ) -> ConversationState:
        get_role(role)  # raises RoleError for an unknown role
        return ConversationState(today=today or self.today, role=role, user=user)

    def ask(self, question: str, state: ConversationState) -> Answer:
        if self.rate_limit is not None:
            self.rate_limit.check(state.user or state.role)
        self.app.refresh_data_values()
        return self.assistant.ask(question, state=state)

    def choose(self, plan: Plan, *, question: str, state: ConversationState) -> Answer:
        """Carry out a plan the user picked (a clarification option or a follow-up)."""
        self.app.refresh_data_values()
        return self.assistant.choose(plan, question=question, state=state)

    def ask_dict(
        self, question: str, role: str | None, today: date | None = None, user: str | None = None
    ) -> dict:
        """One question, no conversation: the answer as JSON (what the ``ask`` endpoint returns)."""
        answer = self.ask(question, self.new_state(role, today, user))
        data = json_safe(answer.to_dict())
        data["role"] = role
        data["value"] = headline_value(answer.result)
        return data

    # -- metrics ---------------------------------------------------------------------------

    def list_metrics(self) -> list[dict[str, Any]]:
        return toolset.list_metrics(self)  # the tool's own listing (it reads only .catalog)

    def describe_metric(self, name: str) -> dict[str, Any]:
        metric = self.catalog.metric(name)  # raises "Unknown metric ... Did you mean ..."
        data = json_safe(metric.model_dump(mode="json", exclude_none=True))
        components = self.catalog.components(metric)
        data["time_attribution"] = sorted({c.time_dimension or "period end" for c in components})
        return data

    def query_metrics(
        self, query: MetricQuery | dict[str, Any], role: str | None, row_limit: int | None = None
    ) -> MetricResult:
        """Run ``query`` as ``role``; ``row_limit`` (default: the warehouse's) caps the rows
        fetched — a larger result comes back ``truncated``."""
        return self.app.query_metrics(query, role, row_limit)

    def query_dict(self, query: dict[str, Any], role: str | None) -> dict[str, Any]:
        result = self.query_metrics(query, role)
        data = json_safe(result.to_dict())
        data["value"] = headline_value(result)
        data["sources"] = source_status(result)
        return data

    def record_operation(self, operation: str, arguments: dict[str, Any], **kw: Any) -> str | None:
        """Audit a data operation run through this application (see ``record_operation``)."""
        return record_operation(self.app.audit, self.app.surface, operation, arguments, **kw)

    # -- limits of the tool surfaces -------------------------------------------------------

    def check_tool_call(self, caller: str | None) -> None:
        """Count one tool call for ``caller`` (user, else role); RateLimited when over."""
        if self.app.tool_rate_limit is not None:
            self.app.tool_rate_limit.check(caller)

    @property
    def tool_max_rows(self) -> int:
        return self.app.settings.tool_max_rows

    @property
    def tool_max_bytes(self) -> int:
        return self.app.settings.tool_max_bytes

    # -- cases, root cause, alerts ---------------------------------------------------------

    def search_cases(self, text: str, role: str | None, **filters: Any) -> list[dict[str, Any]]:
        from tools.errors import CaseIndexError

        if self.cases is None:
            raise CaseIndexError(INDEX_MISSING["en"])
        return self.cases.search(text, get_role(role), **filters)

    def explain_change(
        self,
        metric: str,
        start: date,
        end: date,
        role: str | None,
        scope: dict[str, str] | None = None,
        previous: tuple[date, date] | None = None,
    ) -> dict[str, Any]:
        """Why ``metric`` changed in [start, end) against ``previous`` (default: the period a
        metric answer compares with)."""
        analysis = self.app.services.root_cause
        assert analysis is not None  # build_app always wires it
        return analysis.explain(
            metric,
            TimeRange(start=start, end=end),
            get_role(role),
            scope,
            previous=TimeRange(start=previous[0], end=previous[1]) if previous else None,
        )

    # -- agent assist: suggested resolution and customer 360 -------------------------------

    def agent_assist(self) -> Any:
        """The application's AgentAssist (built on first use; an LLM drafts replies when the
        application plans with one)."""
        if getattr(self, "_assist", None) is None:
            from assistant.assist import AgentAssist

            chat_model = None
            if self.app.planner_kind != "offline":
                from assistant.llm.provider import chat_model_from_settings

                chat_model = chat_model_from_settings(self.app.settings)
            collection = self.cases.collection if self.cases is not None else None
            self._assist = AgentAssist(
                engine=self.app.engine,
                catalog=self.catalog,
                chat_model=chat_model,
                collection=collection,
            )
        return self._assist

    def suggest_resolution(self, text: str, role: str | None, **filters: Any) -> dict[str, Any]:
        """The suggested resolution for complaint ``text`` as ``role`` may see it."""
        return self.agent_assist().suggest(text, get_role(role), **filters)

    def customer_profile(self, customer_id: str, role: str | None) -> dict[str, Any]:
        """The customer 360 view of ``customer_id`` as ``role`` may see it."""
        ops = self.app.audit.store if self.app.audit is not None else None
        return self.agent_assist().customer(customer_id, get_role(role), ops=ops)

    def live_view(self, role: str | None, wall_clock: datetime | None = None) -> LiveView:
        """Today's live view (tools.monitoring.live) as ``role`` may see it: the certified
        numbers through ``query_metrics`` (access check, row filters compiled in), the SLA
        queue through the same row filters."""
        role_obj = get_role(role)
        require_metrics(role_obj)
        return live_view(
            lambda query: self.query_metrics(query, role),
            self.app.services.engine,
            self.catalog,
            role_obj.policy,
            wall_clock=wall_clock or datetime.now(),
            around=self.today,
        )

    def current_alerts(self, role: str | None) -> list[dict[str, Any]] | None:
        """The cockpit's alerts (the last ``app.cockpit_alert_days`` days) as JSON, or None
        when this application shows no alerts."""
        return self.app.cockpit_alerts(get_role(role))


def headline_value(result: MetricResult | None) -> float | None:
    """The first metric's value when the result is a single number (else None)."""
    if result is None or len(result.data) != 1:
        return None
    metric = result.query.metrics[0]
    value = result.data.iloc[0].get(metric)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


# -- the shared tools over this API (MCP and the HTTP endpoints) ------------------------------


@dataclass
class AppBackend:
    """The tools of ``assistant.toolset`` running as one caller (role, user) over the API."""

    api: ServicePilotAPI
    role: str | None
    user: str | None = None

    @property
    def catalog(self) -> Catalog:
        return self.api.catalog

    @property
    def today(self) -> date:
        return self.api.today

    def run_query(self, query: MetricQuery) -> MetricResult:
        # Fetch one row past the cap, so a larger result is refused without reading it all.
        return self.api.query_metrics(query, self.role, row_limit=self.api.tool_max_rows)

    def find_cases(
        self, text: str, filters: tuple[Filter, ...], k: int, resolved_only: bool
    ) -> list[dict[str, Any]]:
        equals: dict[str, list[Any]] = {}
        for flt in filters:
            if flt.op not in ("=", "in"):
                raise ToolError(
                    f"filters: similar-case search can only keep values of '{flt.field}', not "
                    "exclude them; list the values to keep."
                )
            equals[flt.field] = list(flt.values)
        return self.api.search_cases(
            text, self.role, k=k, equals=equals, resolved_only=resolved_only
        )

    def why(
        self, metric: str, period: TimeRange, previous: TimeRange, scope: tuple[Filter, ...]
    ) -> dict[str, Any]:
        fixed: dict[str, str] = {}
        for flt in scope:
            if flt.op != "=" or len(flt.values) != 1:
                raise ToolError(
                    f"scope: one value per dimension, e.g. {{'dimension': '{flt.field}', "
                    "'values': ['east']}."
                )
            fixed[flt.field] = str(flt.values[0])
        return self.api.explain_change(
            metric,
            period.start,
            period.end,
            self.role,
            fixed,
            previous=(previous.start, previous.end),
        )

    def answer(self, question: str, today: date | None) -> dict[str, Any]:
        return self.api.ask_dict(question, self.role, today, user=self.user)

    def suggest(self, text: str, product_line: str | None, region: str | None) -> dict[str, Any]:
        return self.api.suggest_resolution(
            text, self.role, product_line=product_line, region=region
        )

    def customer(self, customer_id: str) -> dict[str, Any]:
        return self.api.customer_profile(customer_id, self.role)

    def alerts(self) -> list[dict[str, Any]]:
        return operations.alerts_with_state(self.api, self.role)

    def act_on_alert(self, episode: str, action: Any, owner: str | None) -> dict[str, Any]:
        return operations.act_on_alert(self.api, self.role, self.user, episode, action, owner)

    def tasks(self, include_done: bool) -> list[dict[str, Any]]:
        return operations.role_tasks(self.api, self.role, include_done=include_done)

    def change_task(self, task_id: str, status: str | None, owner: str | None) -> dict[str, Any]:
        return operations.change_task(
            self.api, self.role, self.user, task_id, status=status, owner=owner
        )

    def offers(self, tool: str) -> bool:
        return True


def tool_json(tool: Tool, out: Any) -> Any:
    """A tool's structured result as JSON (what MCP and HTTP return)."""
    if tool.name == "query_metrics":
        result, notes = out
        data = json_safe(result.to_dict())
        data["value"] = headline_value(result)
        data["sources"] = source_status(result)
        if notes:
            data["assumptions"] = list(notes)
        return data
    if tool.name == "explain_change":
        report, notes = out
        return {**report, "assumptions": list(notes)} if notes else report
    return json_safe(out)


RECOVERABLE = (SemanticLayerError, ServicePilotError, ValueError, LookupError)


def tool_endpoint(tool: Tool, backend: Callable[..., AppBackend]) -> Callable[..., Any]:
    """``tool`` as a plain function with the tool's own keyword parameters (what MCP and Gradio
    read to publish its schema); ``backend(**extra)`` gives the caller's backend.

    The limits of every tool surface live here, once: tool calls per user per minute, and the
    largest answer in bytes (rows are capped by the tool itself, see ``query_metrics``)."""

    fields = tool.arguments.model_fields
    optional = {name for name, info in fields.items() if not info.is_required()}

    def endpoint(**kwargs: Any) -> Any:
        extra = {k: kwargs.pop(k) for k in list(kwargs) if k not in fields}
        # An optional argument left empty (None, or "" from a form or gradio_client) takes the
        # tool's default.
        args = {k: v for k, v in kwargs.items() if not (k in optional and v in (None, ""))}
        caller = backend(**extra)
        caller.api.check_tool_call(caller.user or caller.role)
        data = tool_json(tool, tool.call(caller, args))
        check_result_size(tool.name, data, caller.api.tool_max_bytes)
        return data

    params = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=inspect.Parameter.empty if info.is_required() else info.default,
            annotation=tool.hints[name],
        )
        for name, info in tool.arguments.model_fields.items()
    ]
    # What the JSON is: a list for listings and hits, else an object (Gradio reads this).
    hint = get_type_hints(tool.function).get("return")
    returns = list if get_origin(hint) in (list, Sequence) else dict
    endpoint.__signature__ = inspect.Signature(params, return_annotation=returns)  # type: ignore[attr-defined]
    endpoint.__annotations__ = {p.name: p.annotation for p in params} | {"return": returns}
    endpoint.__name__ = endpoint.__qualname__ = tool.name
    endpoint.__doc__ = tool.description
    return endpoint


# -- MCP ---------------------------------------------------------------------------------------


def build_mcp_server(api: ServicePilotAPI, role: str | None, user: str | None = None) -> Any:
    """An MCP server whose tools all run as ``role`` (fixed by whoever starts the server:
    a stdio server belongs to one user, ``user``, whom the audit log records). The tools are
    ``assistant.toolset``'s: their docstrings are the descriptions and their argument models the
    input schemas; arguments are validated by the tool (clear errors naming the argument), and
    user-recoverable errors reach the client's model with their full text (unknown metric ->
    did you mean ...)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError as McpToolError
    from mcp.server.mcpserver.tools.base import Tool as McpTool

    get_role(role)
    backend = AppBackend(api, role, user)
    registered = []
    for tool in tools():
        endpoint = tool_endpoint(tool, lambda: backend)

        def run(_endpoint: Callable[..., Any] = endpoint, **kwargs: Any) -> Any:
            try:
                return _endpoint(**kwargs)
            except RECOVERABLE as exc:
                raise McpToolError(str(exc)) from exc

        # MCP passes the arguments through as they came; the tool's own model validates them.
        loose = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Any)
            for name in tool.arguments.model_fields
        ]
        run.__signature__ = inspect.Signature(loose)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: Any for p in loose}
        spec = McpTool.from_function(run, name=tool.name, description=tool.description)
        registered.append(spec.model_copy(update={"parameters": tool.schema()}))
    return MCPServer(
        "servicepilot",
        instructions="Certified customer-service KPIs (CSAT, NPS, SLA, FRT, complaints, ...) "
        "and similar resolved cases. Numbers come only from the semantic layer; call "
        "list_metrics first, then query_metrics with metric names.",
        tools=registered,
    )


def tools() -> list[Tool]:
    """The tools every surface offers: the built-ins and those of plugins."""
    from assistant.plugins import tools as plugin_tools

    return plugin_tools()
