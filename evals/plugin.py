"""The evals plugin: adds ``servicepilot eval`` to the CLI through the ``servicepilot`` entry
point (pyproject.toml), so the assistant never imports evals."""

from __future__ import annotations

from typing import Any

from assistant.plugins import LazyCommand, hookimpl

# The first paragraph of evals.cli's command help (tests/test_plugins.py checks they agree).
EVAL_HELP = "Ask every eval question end to end and compare with its independent check_sql."


def _load() -> Any:
    from evals.cli import command

    return command


@hookimpl
def servicepilot_commands() -> list[Any]:
    return [LazyCommand("eval", EVAL_HELP, _load)]
