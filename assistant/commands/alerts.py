"""`servicepilot alerts`: KPI anomaly alerts from the monitoring rules (tools/monitoring)."""

from __future__ import annotations

from datetime import date, timedelta

import click

from assistant.cli_support import (
    db_option,
    emit_json,
    handles_errors,
    identity_options,
    json_option,
)
from assistant.commands import alert_notify


@click.group(name="alerts", invoke_without_command=True)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="First day of the range: episodes open at any time in it are reported, including "
    "ones that began earlier (default: 28 days before --until).",
)
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Day after the last one to report (default: today).",
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Rules YAML (default: tools/monitoring/rules.yml).",
)
@click.option("--no-explain", is_flag=True, help="Skip the contributor drill-down (faster).")
@identity_options
@db_option
@json_option
@handles_errors
@click.pass_context
def command(
    ctx: click.Context,
    since: object,
    until: object,
    rules_file: str | None,
    no_explain: bool,
    user: str,
    role: str,
    db: str | None,
    as_json: bool,
) -> None:
    """List anomalies of certified KPIs (holiday-aware seasonal baseline), those --role may see
    (default: the local analyst); the run is audited. Exit 0 always when the run succeeds; 2
    for invalid rules or an unknown role; 3 when the warehouse cannot be read. Subcommands
    send them to their owners (notify), acknowledge (ack) and list their states (states)."""
    if ctx.invoked_subcommand is not None:
        return
    import time

    from assistant.app import build_app
    from assistant.roles import get_role, scope_visible
    from tools.monitoring.alerts import detect_alerts
    from tools.monitoring.rules import load_rules
    from tools.settings import load_settings

    viewer = get_role(role)
    end = until.date() if until else date.today()  # type: ignore[attr-defined]
    start = since.date() if since else end - timedelta(days=28)  # type: ignore[attr-defined]
    app = build_app(load_settings(), "cli", warehouse=db)
    try:
        config = load_rules(rules_file, app.catalog)  # validate before reading the warehouse
        started = time.perf_counter()
        found = detect_alerts(
            app.engine, start, end, rules=config, catalog=app.catalog, explain=not no_explain
        )
        alerts = [a for a in found if scope_visible(viewer, a.scope)]
        arguments = {"since": start, "until": end, "rules": rules_file or "packaged"}
        trouble = app.api.record_operation(
            "alerts",
            arguments,
            user=user,
            role=role,
            started=started,
            summary=f"{len(alerts)} alert(s)",
        )
    finally:
        app.close()
    if trouble:
        click.echo(f"warning: {trouble}", err=True)
    if as_json:
        emit_json(
            {
                "ok": True,
                "since": start.isoformat(),
                "until": end.isoformat(),
                "alerts": [a.to_dict() for a in alerts],
            }
        )
        return
    if not alerts:
        click.echo(f"No alerts between {start} and {end}.")
    for alert in alerts:
        click.echo(alert.headline())
        still = " (ongoing)" if alert.ongoing else ""
        click.echo(
            f"    owner: {alert.owner}; episode {alert.period_start}..{alert.period_end}{still}"
        )
        for c in alert.contributors:
            click.echo(f"    - {c.dimension}={c.value}: {c.observed:,.1f} vs {c.expected:,.1f}")


command.add_command(alert_notify.notify)
command.add_command(alert_notify.ack)
command.add_command(alert_notify.states)
