"""Built-in CLI commands, registered through the same registry extensions use."""

from __future__ import annotations

import importlib

import click

# Each module exposes ``command`` (a click command or group). Order = order in --help.
BUILTIN_COMMAND_MODULES = (
    "assistant.commands.demo_data",
    "assistant.commands.import_data",
    "assistant.commands.quality",
    "assistant.commands.warehouse",
    "assistant.commands.metrics",
    "assistant.commands.query",
    "assistant.commands.ask",
    "assistant.commands.llm",
    "assistant.commands.alerts",
    "assistant.commands.forecast",
    "assistant.commands.serve",
    "assistant.commands.mcp",
    "assistant.commands.audit",
    "assistant.commands.cases",
    # Higher parts register by name: assistant never imports evals (one direction of imports).
    "evals.cli",
)


def builtin_commands() -> list[click.Command]:
    commands = []
    for module_name in BUILTIN_COMMAND_MODULES:
        module = importlib.import_module(module_name)
        commands.append(module.command)
    return commands
