"""``servicepilot quality``: the data-quality report per source."""

from __future__ import annotations

import click

from assistant.cli_support import db_option, emit_json, handles_errors, json_option
from tools.ingest.quality import DUPLICATE_DAYS, quality_report
from tools.settings import warehouse_url_from
from tools.warehouse.engine import open_warehouse

COLUMNS = (
    ("rows", "rows"),
    ("duplicates", "duplicates"),
    ("missing_required", "missing"),
    ("invalid_codes", "bad codes"),
    ("impossible_timestamps", "bad times"),
    ("quarantined_rows", "quarantined"),
    ("score", "score"),
)


@click.command("quality")
@db_option
@json_option
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=DUPLICATE_DAYS,
    show_default=True,
    help="Tickets of one customer with the same text within this many days are duplicates.",
)
@handles_errors
def command(db: str | None, as_json: bool, days: int) -> None:
    """Data-quality report per source: duplicates, missing required values, invalid codes,
    impossible timestamps, quarantined import rows, and a score (100 = no problem found).

    Example: servicepilot quality --db data/warehouse.duckdb --json
    """
    engine = open_warehouse(warehouse_url_from(db))
    try:
        report = quality_report(engine, days=days)
    finally:
        engine.dispose()
    if as_json:
        emit_json({"ok": True, **report.to_dict()})
        return
    if not report.sources:
        click.echo("The warehouse has no rows yet.")
        return
    click.echo(f"{'source':<16}" + "".join(f"{label:>13}" for _, label in COLUMNS))
    for source in report.sources:
        values = [getattr(source, key) for key, _ in COLUMNS]
        cells = "".join(f"{v:>13.1f}" if isinstance(v, float) else f"{v:>13,}" for v in values)
        click.echo(f"{source.source:<16}{cells}")
        for kind, examples in source.examples.items():
            click.echo(f"    {kind}: {'; '.join(examples)}")
    start, end = report.window
    click.echo(
        f"Plausible timestamps: {start} .. {end} (end exclusive); duplicates within "
        f"{report.duplicate_days} days. " + " ".join(report.notes)
    )
