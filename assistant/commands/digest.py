"""`servicepilot digest`: the executive digest (周报/月报) as HTML or PDF, written to a file
and/or sent through the notification channels (assistant/digest)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from assistant.cli_support import (
    db_option,
    emit_json,
    handles_errors,
    identity_options,
    json_option,
    parse_now,
    today_option,
)


@click.command("digest")
@click.option(
    "--period",
    type=click.Choice(["last-week", "last-month"]),
    default="last-week",
    show_default=True,
    help="The last full week (Monday-Sunday) or the last full month before --today.",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["html", "pdf"]), default="html", show_default=True
)
@click.option("--region", default=None, help="Only this region (within the role's rows).")
@click.option(
    "--to",
    "to",
    multiple=True,
    help="A channel of the notify config or an e-mail address (repeatable).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the digest here (default without --to: digest-PERIOD-START.FORMAT).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Channels YAML for --to (default: SERVICEPILOT_NOTIFY_FILE or <data_dir>/notify.yml).",
)
@today_option("The digest covers the last full week or month before this date.")
@click.option("--now", "now_text", default=None, help="Time of this run (default: now).")
@identity_options
@db_option
@json_option
@handles_errors
def command(
    period: str,
    lang: str,
    fmt: str,
    region: str | None,
    to: tuple[str, ...],
    out: Path | None,
    config_file: str | None,
    today: date,
    now_text: str | None,
    user: str,
    role: str,
    db: str | None,
    as_json: bool,
) -> None:
    """The executive digest (周报/月报) as HTML or PDF, role-scoped, written to a file or sent
    through the notify channels; every number from the certified semantic layer.

    KPIs against targets with the change, the biggest movements with their why-analysis and
    chart, open alerts, complaint themes, the forecast, data freshness and quality, within the
    role's rows. Exit 1 when a delivery failed (recorded), 2 for an invalid config, e.g.

        servicepilot digest --period last-week --role east_manager --format pdf --to mail
    """
    from assistant.digest.service import produce_digest

    result = produce_digest(
        db=db,
        period=period,
        lang=lang,
        fmt=fmt,
        role=role,
        user=user,
        region=region,
        to=list(to),
        out=out,
        config_file=config_file,
        today=today,
        now=parse_now(now_text),
    )
    if as_json:
        emit_json({"ok": not result["failed"], **result})
    else:
        if result["file"]:
            click.echo(f"{result['subject']}: {result['file']}")
        for line in result["sent"]:
            click.echo(f"sent: {line}")
        for line in result["failed"]:
            click.echo(f"FAILED: {line}", err=True)
    if result["failed"]:
        raise SystemExit(1)
