"""Shared plumbing for CLI commands: the options several commands take (``--db``, ``--json``,
``--today``, ``--role``, ``--user``, ``--llm``), output, exit codes.

Exit codes: 0 success, 1 a user-recoverable error, 2 bad configuration or usage,
3 warehouse unreachable or malformed, 4 input validation failed (nothing written).
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import click

from assistant.jsonable import json_default
from semantic_layer.errors import SemanticLayerError
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
llm_option = click.option(
    "--llm",
    "llm",
    type=click.Choice(["none", "config"]),
    default="none",
    show_default=True,
    help="none: the offline planner; config: the LLM configured in settings.",
)


def parse_day(value: str | None) -> date:
    """``YYYY-MM-DD``, else SERVICEPILOT_TODAY, else the real date."""
    value = value or os.environ.get("SERVICEPILOT_TODAY")
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-22.") from None


def parse_now(value: str | None) -> datetime:
    """An ISO time (``2026-11-01T09:00``), or the current time to the second."""
    if not value:
        return datetime.now().replace(microsecond=0)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time like 2026-11-01T09:00.") from None


def today_option(
    help: str = "Resolve relative times (上个月, last quarter) against this date.",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--today YYYY-MM-DD`` as a ``date`` (default: SERVICEPILOT_TODAY or the real date)."""
    return click.option(
        "--today",
        callback=lambda ctx, param, value: parse_day(value),
        metavar="YYYY-MM-DD",
        help=f"{help} Default: SERVICEPILOT_TODAY or the real date.",
    )


def role_option(
    help: str = "Role whose row access applies (see assistant/roles.yml; default executive).",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--role", default=None, help=help)


LOCAL_ROLE = "analyst"


def local_user() -> str:
    """The identity of a person running the CLI on this machine: ``local:<os user>``."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        name = "unknown"
    return f"local:{name}"


def identity_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--user`` and ``--role`` for a command that reads data: the role's row policy applies
    and the audit log records both. Default: the local analyst (``local:<os user>``,
    role analyst — all regions, as on the analyst's own machine)."""
    func = click.option(
        "--role",
        default=LOCAL_ROLE,
        show_default=True,
        help="Role whose row access applies (see assistant/roles.yml).",
    )(func)
    return click.option(
        "--user",
        default=None,
        metavar="NAME",
        help="Who runs the command, as the audit log records it (default: local:<os user>).",
        callback=lambda ctx, param, value: value or local_user(),
    )(func)


def emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=json_default))


def handles_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a user-recoverable error (ServicePilotError: tools and assistant; SemanticLayerError)
    into a clean message (JSON when --json) and its exit code; the one CLI error decorator."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ServicePilotError, SemanticLayerError) as exc:
            if kwargs.get("as_json"):
                emit_json({"ok": False, "error": type(exc).__name__, "message": str(exc)})
            else:
                click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper
