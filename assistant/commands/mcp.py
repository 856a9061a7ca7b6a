"""``servicepilot mcp``: the MCP tools over stdio, running as one role."""

from __future__ import annotations

import getpass
import os
from datetime import date

import click

from assistant.cli_support import db_option, handles_errors, role_option, today_option


@click.command("mcp")
@role_option("Role every tool call runs as (see assistant/roles.yml; default executive).")
@click.option(
    "--user",
    default=None,
    help="Run as this user of the users file instead of --role; the password is read "
    "from SERVICEPILOT_PASSWORD.",
)
@today_option()
@db_option
@handles_errors
def command(role: str | None, user: str | None, today: date, db: str | None) -> None:
    """Serve list_metrics, describe_metric, query_metrics, ask, search_similar_cases and
    explain_change over stdio for an MCP client (Claude Desktop, IDEs, agents)."""
    from assistant.api import build_mcp_server
    from assistant.app import build_app
    from assistant.roles import RoleError, get_role
    from assistant.ui.auth import AuthConfigError, UserDirectory
    from tools.errors import ConfigError
    from tools.settings import load_settings

    try:
        if user:
            users = UserDirectory.load()
            if not users.authenticate(user, os.environ.get("SERVICEPILOT_PASSWORD", "")):
                raise ConfigError(f"User '{user}': wrong or missing SERVICEPILOT_PASSWORD.")
            role = users.role_of(user)
        get_role(role)
    except (AuthConfigError, RoleError) as exc:
        raise ConfigError(str(exc)) from None
    app = build_app(load_settings(), "mcp", warehouse=db, today=today)
    # The audit log names who runs the server: the signed-in user, else the local OS account.
    audited_user = user or f"local:{getpass.getuser()}"
    try:
        build_mcp_server(app.api, role, user=audited_user).run("stdio")
    finally:
        app.close()


if __name__ == "__main__":  # python -m assistant.commands.mcp (before registration)
    command()
