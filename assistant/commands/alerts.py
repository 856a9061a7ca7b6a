"""`servicepilot alerts`: KPI anomaly alerts from the monitoring rules (tools/monitoring)."""

from __future__ import annotations

from datetime import date, timedelta

import click

from assistant.cli_support import db_option, emit_json, handles_errors, json_option
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
    db: str | None,
    as_json: bool,
) -> None:
    """List anomalies of certified KPIs (holiday-aware seasonal baseline). Exit 0 always when
    the run succeeds; 2 for invalid rules; 3 when the warehouse cannot be read. Subcommands
    send them to their owners (notify), acknowledge (ack) and list their states (states)."""
    if ctx.invoked_subcommand is not None:
        return
    from tools.monitoring.alerts import detect_alerts
    from tools.monitoring.rules import load_rules
    from tools.settings import warehouse_url_from
    from tools.warehouse.engine import make_engine

    config = load_rules(rules_file)  # validate before touching the warehouse
    end = until.date() if until else date.today()  # type: ignore[attr-defined]
    start = since.date() if since else end - timedelta(days=28)  # type: ignore[attr-defined]
    engine = make_engine(warehouse_url_from(db), read_only=True)
    try:
        alerts = detect_alerts(engine, start, end, rules=config, explain=not no_explain)
    finally:
        engine.dispose()
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
