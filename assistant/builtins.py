"""The built-in plugin: ServicePilot's own commands, answer handlers and tools, registered
through the same hooks as any extension (``assistant.plugins``)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from assistant.plugins import hookimpl


@hookimpl
def servicepilot_commands() -> list[Any]:
    """The built-in commands, in the order ``servicepilot --help`` lists them."""
    from assistant.commands import (
        alerts,
        ask,
        audit,
        cases,
        demo_data,
        doctor,
        forecast,
        import_data,
        ingest,
        llm,
        mcp,
        metrics,
        quality,
        query,
        serve,
        tasks,
        warehouse,
    )

    modules = (demo_data, import_data, quality, warehouse, metrics, query, ask, llm, alerts)
    modules = (*modules, forecast, tasks)
    from assistant.commands import assist, customer, kb

    cases.command.add_command(assist.suggest_cmd)  # `cases suggest` (agent assist, issue 19)
    modules = (*modules, ingest)
    return [m.command for m in (*modules, serve, mcp, audit, cases, kb, customer, doctor)]


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
