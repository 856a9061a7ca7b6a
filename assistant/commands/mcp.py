"""``servicepilot mcp``: the MCP tools over stdio, running as one role."""

from __future__ import annotations

import getpass
import os

import click

from assistant.cli_support import db_option, handles_errors


@click.command("mcp")
@click.option(
    "--role",
    default=None,
    help="Role every tool call runs as (see assistant/roles.yml; default executive).",
)
@click.option(
    "--user",
    default=None,
    help="Run as this user of the users file instead of --role; the password is read "
    "from SERVICEPILOT_PASSWORD.",
)
@click.option(
    "--today",
    default=None,
    metavar="YYYY-MM-DD",
    help="Resolve relative times against this date (default: SERVICEPILOT_TODAY).",
)
@db_option
@handles_errors
def command(role: str | None, user: str | None, today: str | None, db: str | None) -> None:
    """Serve list_metrics, describe_metric, query_metrics, ask, search_similar_cases and
    explain_change over stdio for an MCP client (Claude Desktop, IDEs, agents)."""
    from assistant.api import CaseSearcher, ServicePilotAPI, build_mcp_server
    from assistant.commands.serve import parse_today
    from assistant.ratelimit import RateLimiter
    from assistant.roles import RoleError, get_role
    from assistant.service import Assistant
    from assistant.ui.auth import AuthConfigError, UserDirectory
    from tools.audit import AuditLog, OpsStore
    from tools.errors import ConfigError
    from tools.settings import load_settings, warehouse_url_from

    try:
        if user:
            users = UserDirectory.load()
            if not users.authenticate(user, os.environ.get("SERVICEPILOT_PASSWORD", "")):
                raise ConfigError(f"User '{user}': wrong or missing SERVICEPILOT_PASSWORD.")
            role = users.role_of(user)
        get_role(role)
    except (AuthConfigError, RoleError) as exc:
        raise ConfigError(str(exc)) from None
    settings = load_settings()
    url = warehouse_url_from(db, settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    audit = AuditLog(
        OpsStore(settings.resolved_ops_url), max_question_chars=settings.audit_max_question_chars
    )
    api = ServicePilotAPI(
        Assistant(url, audit=audit, surface="mcp"),
        today=parse_today(today),
        warehouse_url=url,
        cases=CaseSearcher(),
        rate_limit=RateLimiter(settings.rate_limit_per_minute),
    )
    # The audit log names who runs the server: the signed-in user, else the local OS account.
    audited_user = user or f"local:{getpass.getuser()}"
    build_mcp_server(api, role, user=audited_user).run("stdio")


if __name__ == "__main__":  # python -m assistant.commands.mcp (before registration)
    command()
