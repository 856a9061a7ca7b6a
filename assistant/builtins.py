"""The built-in plugin: ServicePilot's own commands, answer handlers and tools, registered
through the same hooks as any extension (``assistant.plugins``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from assistant.plugins import LazyCommand, hookimpl

# (name, module, first paragraph of its help) of each built-in command, in the order
# `servicepilot --help` lists them. The module is imported only when its command runs, so the
# CLI starts without pandas and the other commands' imports; tests/test_plugins.py checks the
# names and help texts against the modules' own commands.
BUILTIN_COMMANDS: tuple[tuple[str, str, str], ...] = (
    (
        "demo-data",
        "assistant.commands.demo_data",
        "Build a realistic, deterministic demo warehouse (24 months ending at --end).",
    ),
    (
        "import",
        "assistant.commands.import_data",
        "Import FILE (.csv, .csv.gz, .parquet, .xlsx) into the warehouse through a MAPPING.",
    ),
    (
        "quality",
        "assistant.commands.quality",
        "Data-quality report per source: duplicates, missing required values, invalid codes, "
        "impossible timestamps, quarantined import rows, and a score (100 = no problem found).",
    ),
    (
        "warehouse",
        "assistant.commands.warehouse",
        "Inspect or initialise the warehouse (DuckDB file or any SQLAlchemy URL).",
    ),
    (
        "metrics",
        "assistant.commands.metrics",
        "Certified KPI definitions: validate the spec, list and show metrics.",
    ),
    (
        "query",
        "assistant.commands.query",
        "Compute certified metrics, e.g. `--metric csat --by region --grain month`. Runs as "
        "--user/--role (default: the local analyst): the role's row access applies, and the run"
        " is written to the audit log.",
    ),
    (
        "ask",
        "assistant.commands.ask",
        "Ask a question in Chinese or English, e.g.",
    ),
    (
        "llm",
        "assistant.commands.llm",
        "The optional LLM planner: check that the configured model works (docs/llm.md).",
    ),
    (
        "alerts",
        "assistant.commands.alerts",
        "List anomalies of certified KPIs (holiday-aware seasonal baseline), those --role may "
        "see (default: the local analyst); the run is audited. Exit 0 always when the run "
        "succeeds; 2 for invalid rules or an unknown role; 3 when the warehouse cannot be read."
        " Subcommands send them to their owners (notify), acknowledge (ack) and list their "
        "states (states).",
    ),
    (
        "forecast",
        "assistant.commands.forecast",
        "Forecast weekly volume with 80/95 % intervals; backtested against seasonal-naive. Runs"
        " within the rows --role may see (default: the local analyst); the run is audited.",
    ),
    (
        "tasks",
        "assistant.commands.tasks",
        "Follow-up tasks opened by customer-level rules (call-backs, escalations, reviews).",
    ),
    (
        "digest",
        "assistant.commands.digest",
        "The executive digest (周报/月报) as HTML or PDF, role-scoped, written to a file or sent "
        "through the notify channels; every number from the certified semantic layer.",
    ),
    (
        "serve",
        "assistant.commands.serve",
        "Start the web UI and its API on http://HOST:PORT (chat, similar cases, cockpit, metric"
        " catalog), e.g.",
    ),
    (
        "mcp",
        "assistant.commands.mcp",
        "Serve list_metrics, describe_metric, query_metrics, ask, search_similar_cases and "
        "explain_change over stdio for an MCP client (Claude Desktop, IDEs, agents).",
    ),
    (
        "audit",
        "assistant.commands.audit",
        "Show the audit log (sp_audit in the operations store, SERVICEPILOT_OPS_URL) with the "
        "feedback given on each answer, or with --logins the sign-in attempts (ok, failed, "
        "throttled). Analysts can also query the tables directly.",
    ),
    (
        "cases",
        "assistant.commands.cases",
        "Similar resolved cases: index complaint texts, search them, themes, root causes.",
    ),
    (
        "ingest",
        "assistant.commands.ingest",
        "Live data in: run the writer, make API keys, see each source's freshness "
        "(docs/ingest.md).",
    ),
    (
        "kb",
        "assistant.commands.kb",
        "Knowledge base: import SOP/FAQ/policy documents, search them.",
    ),
    (
        "customer",
        "assistant.commands.customer",
        "One customer's whole history (customer 360); customer segments.",
    ),
    (
        "doctor",
        "assistant.commands.doctor",
        "Check the warehouse (reachable, a ServicePilot warehouse, its fingerprint), the case "
        "index (one case per warehouse ticket with text), the embedding model (loads and "
        "embeds) and the free disk space. Exit code 0 when nothing failed (warnings allowed), 3"
        " when the warehouse failed, 1 when another check failed.",
    ),
)


def _loader(module: str) -> Callable[[], Any]:
    return lambda: importlib.import_module(module).command


@hookimpl
def servicepilot_commands() -> list[Any]:
    """The built-in commands, in the order ``servicepilot --help`` lists them."""
    return [LazyCommand(name, help, _loader(module)) for name, module, help in BUILTIN_COMMANDS]


@hookimpl
def servicepilot_answer_handlers() -> list[ModuleType]:
    from assistant.answer import alerts, cases, clarify, forecast, metric, refuse, why

    return [metric, clarify, refuse, cases, why, forecast, alerts]


@hookimpl
def servicepilot_tools() -> list[Any]:
    from assistant.toolset import builtin_tools

    return builtin_tools()


@hookimpl
def servicepilot_notification_channels() -> list[Any]:
    """The channels of the configured notify file (webhook, wecom, dingtalk, feishu, email);
    none when there is no file."""
    from tools.notify.channels import build_channel
    from tools.notify.config import load_notify_config
    from tools.settings import load_settings

    path = load_settings().resolved_notify_file
    if not path.exists():
        return []
    return [build_channel(spec) for spec in load_notify_config(path).channels]
