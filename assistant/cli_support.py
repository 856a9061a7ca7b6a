"""Shared plumbing for CLI commands: ``--db`` and ``--json`` options, output, exit codes.

Exit codes: 0 success, 1 a user-recoverable error, 2 bad configuration or usage,
3 warehouse unreachable or malformed, 4 input validation failed (nothing written).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from assistant.jsonable import json_default
from tools.errors import ServicePilotError

db_option = click.option(
    "--db",
    "db",
    metavar="PATH_OR_URL",
    default=None,
    help="Warehouse: a DuckDB file path or a SQLAlchemy URL "
    "(default: SERVICEPILOT_WAREHOUSE_URL or <data_dir>/warehouse.duckdb).",
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout."
)


def emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=json_default))


def handles_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn ServicePilotError into a clean message (JSON when --json) and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ServicePilotError as exc:
            if kwargs.get("as_json"):
                emit_json({"ok": False, "error": type(exc).__name__, "message": str(exc)})
            else:
                click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper
