"""`servicepilot alerts notify | ack | states`: alerts sent to their owners (tools/notify).

``notify`` detects the current alert episodes and routes them (new → owner, unacknowledged
past ``escalate_after`` → next owner, ended → follow-up); run it on a schedule, each run sends
only what is new. ``ack`` acknowledges an episode (stops its escalation); ``states`` lists them.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from assistant.cli_support import (
    db_option,
    emit_json,
    handles_errors,
    json_option,
    parse_now,
    today_option,
)

config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Channels and owners YAML (default: SERVICEPILOT_NOTIFY_FILE or <data_dir>/notify.yml).",
)


def _store() -> Any:
    from tools.audit import open_ops_store
    from tools.notify.store import NotifyStore
    from tools.settings import load_settings

    return NotifyStore(open_ops_store(load_settings()))


def _config(config_file: str | None) -> Any:
    from tools.notify.config import load_notify_config
    from tools.settings import load_settings

    return load_notify_config(Path(config_file or load_settings().resolved_notify_file))


@click.command("notify")
@config_option
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Alert rules YAML (default: tools/monitoring/rules.yml); each rule's `owner` is "
    "looked up in the notify config.",
)
@today_option("Detect alerts in the --lookback days before this date.")
@click.option("--lookback", default=28, show_default=True, type=click.IntRange(1, 366))
@click.option("--now", "now_text", default=None, help="Time of this run (default: now).")
@click.option(
    "--quiet-owner",
    default="data-engineering",
    show_default=True,
    help="Owner (in the notify config) of the alert a live-ingest source raises when it goes "
    "quiet for longer than its usual gap (docs/ingest.md).",
)
@db_option
@json_option
@handles_errors
def notify(
    config_file: str | None,
    rules_file: str | None,
    today: date,
    lookback: int,
    now_text: str | None,
    quiet_owner: str,
    db: str | None,
    as_json: bool,
) -> None:
    """Send new alert episodes to their owners, escalate unacknowledged ones, follow up on
    ended ones. Exit 2 for an invalid config or rules file, 3 when the warehouse is unreadable."""
    from assistant import plugins
    from assistant.messages import msg
    from semantic_layer.catalog_loader import default_catalog
    from tools.ingest.freshness import quiet_source_alerts
    from tools.monitoring.alerts import detect_alerts
    from tools.monitoring.rules import load_rules
    from tools.monitoring.series import alert_series
    from tools.notify.channels import build_channel
    from tools.notify.routing import AlertNotifier
    from tools.settings import warehouse_url_from
    from tools.warehouse.engine import make_engine

    config = _config(config_file)
    catalog = default_catalog()  # this command's application: the packaged catalog
    rules = load_rules(rules_file, catalog)
    now = parse_now(now_text)
    channels = {c.name: c for c in plugins.notification_channels()}
    channels.update({spec.name: build_channel(spec) for spec in config.channels})
    engine = make_engine(warehouse_url_from(db), read_only=True)
    store = None
    try:
        alerts = detect_alerts(
            engine,
            today - timedelta(days=lookback),
            today,
            catalog=catalog,
            rules=rules,
            explain=False,
        )
        with engine.connect() as conn:  # live-ingest sources that stopped sending
            alerts += quiet_source_alerts(conn, now, quiet_owner)
        store = _store()
        notifier = AlertNotifier(
            config,
            channels,
            store,
            msg,
            series=lambda alert: alert_series(alert, engine, catalog),  # e-mails' chart
        )
        report = notifier.run(alerts, now)
    finally:
        if store is not None:
            store.store.close()
        engine.dispose()
    payload = {
        "ok": report.failed == 0,
        "alerts": len(alerts),
        **{k: getattr(report, k) for k in ("opened", "escalated", "resolved", "suppressed")},
        "unrouted": report.unrouted,
        "sent": report.sent,
        "failed": report.failed,
    }
    if as_json:
        emit_json(payload)
    else:
        click.echo(
            f"{len(alerts)} alert(s): {len(report.opened)} new, {len(report.escalated)} "
            f"escalated, {len(report.resolved)} resolved, {len(report.suppressed)} in cool-down; "
            f"{report.sent} message(s) sent, {report.failed} failed."
        )
        if report.unrouted:
            click.echo(
                f"{len(report.unrouted)} episode(s) have an owner missing from the notify "
                "config (add it under owners:)."
            )
    if report.failed:
        raise SystemExit(1)


@click.command("ack")
@click.argument("episode")
@click.option("--user", default=None, help="Who acknowledges (default: $USER).")
@click.option("--now", "now_text", default=None, help="Time of the acknowledgement.")
@json_option
@handles_errors
def ack(episode: str, user: str | None, now_text: str | None, as_json: bool) -> None:
    """Acknowledge an open alert episode: its escalation stops; the change is audited."""
    import getpass

    from tools.notify.routing import acknowledge

    store = _store()
    try:
        row = acknowledge(store, episode, user or getpass.getuser(), parse_now(now_text))
    finally:
        store.store.close()
    if as_json:
        emit_json({"ok": True, "episode": row})
    else:
        click.echo(f"{episode}: {row['state']} by {row['acknowledged_by'] or '-'}")


@click.command("states")
@click.option("--all", "show_all", is_flag=True, help="Include resolved episodes.")
@json_option
@handles_errors
def states(show_all: bool, as_json: bool) -> None:
    """Alert episodes and their state (open, acknowledged, resolved) with the current owner."""
    from tools.audit import printable

    store = _store()
    try:
        rows = store.states() if show_all else store.states("open", "acknowledged")
    finally:
        store.store.close()
    if as_json:
        emit_json({"ok": True, "episodes": rows})
        return
    if not rows:
        click.echo("No alert episodes.")
    for row in rows:
        click.echo(
            f"{row['episode_key']} {row['state']:12} level {row['level']} owner "
            f"{printable(row['owner'])}: {printable(row['headline'])}"
        )
