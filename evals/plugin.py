"""The evals plugin: adds ``servicepilot eval`` to the CLI through the ``servicepilot`` entry
point (pyproject.toml), so the assistant never imports evals."""

from __future__ import annotations

from typing import Any

from assistant.plugins import hookimpl


@hookimpl
def servicepilot_commands() -> list[Any]:
    from evals.cli import command

    return [command]
