"""``servicepilot demo-data``: build the deterministic demo warehouse, or list its planted facts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import click

from assistant.cli_support import db_option, emit_json, handles_errors, json_option


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date:
    if value is None:
        return date.today() - timedelta(days=1)
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-10-31.") from None


@click.command("demo-data")
@click.option(
    "--tickets",
    default=100_000,
    show_default=True,
    type=click.IntRange(min=1_000),
    help="Number of tickets over the 24 months (orders are 3x, customers 1/3x).",
)
@click.option("--seed", default=42, show_default=True, type=int, help="Random seed.")
@click.option(
    "--end",
    "end",
    callback=_parse_date,
    metavar="YYYY-MM-DD",
    help="Last day with data (default: yesterday). Same seed+tickets+end = same data.",
)
@click.option("--replace", is_flag=True, help="Rebuild when the warehouse already has data.")
@click.option(
    "--facts",
    "facts_only",
    is_flag=True,
    help="Only print the planted facts for --end (with their SQL checks); build nothing.",
)
@click.option(
    "--if-missing",
    is_flag=True,
    help="Do nothing when the warehouse already exists (used by `make run`).",
)
@click.option(
    "--live",
    is_flag=True,
    help="Then keep appending and updating tickets now through the ingest writer "
    "(servicepilot ingest run --demo-rate); Ctrl-C stops.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Live events per second with --live.",
)
@click.option(
    "--parquet",
    "parquet_dir",
    type=click.Path(file_okay=False),
    help="Also write the contract tables to DIR/<table>.parquet, the layout the Spark engine "
    "reads (spark+local://DIR); with --replace, existing files there are overwritten.",
)
@db_option
@json_option
@handles_errors
def command(
    tickets: int,
    seed: int,
    end: date,
    replace: bool,
    facts_only: bool,
    if_missing: bool,
    live: bool,
    rate: float,
    parquet_dir: str | None,
    db: str | None,
    as_json: bool,
) -> None:
    """Build a realistic, deterministic demo warehouse (24 months ending at --end).

    Chinese and English tickets of a home-appliance company with seasonal volumes, SLAs,
    surveys, churn, complaint texts with root causes, and planted events to discover
    (see docs/demo-data.md). Example:

        servicepilot demo-data --tickets 200000 --seed 42 --end 2026-10-31 --db data/demo.duckdb
    """
    from tools.demo_data.facts import planted_facts

    if facts_only:
        facts = planted_facts(end)
        if as_json:
            emit_json({"end": end.isoformat(), "facts": [f.to_json() for f in facts]})
            return
        for fact in facts:
            click.echo(f"{fact.fact_id}  {fact.start} .. {fact.end} (exclusive)")
            click.echo(f"  {fact.title_en} / {fact.title_zh}")
            click.echo(f"  metric {fact.metric} goes {fact.direction}; scope {fact.scope}")
        return

    from tools.demo_data.generator import generate_demo_warehouse
    from tools.settings import warehouse_url_from
    from tools.warehouse.engine import duckdb_path, is_duckdb

    url = warehouse_url_from(db)
    if live:
        if_missing = True  # --live continues an existing demo warehouse
    if if_missing and is_duckdb(url):
        path = duckdb_path(url)
        if path is not None and path.exists():
            message = f"Warehouse {path} already exists; leaving it as it is."
            if as_json:
                emit_json({"ok": True, "skipped": True, "message": message})
            else:
                click.echo(message)
            if live:
                _go_live(db, rate)
            return
    summary = generate_demo_warehouse(
        url, tickets=tickets, seed=seed, end=end, replace=replace, progress=not as_json
    )
    if parquet_dir:
        from pathlib import Path

        from tools.warehouse.engine import make_engine
        from tools.warehouse.export import export_parquet

        engine = make_engine(url, read_only=True)
        try:
            summary["parquet"] = export_parquet(engine, Path(parquet_dir), replace=replace)
        finally:
            engine.dispose()
    if as_json:
        emit_json({"ok": True, "warehouse": url, **summary})
        return
    rows = ", ".join(f"{table} {count:,}" for table, count in summary["rows"].items())
    click.echo(f"Built {url}\n  {summary['start']} .. {summary['end']}: {rows}")
    click.echo(
        f"  {summary['seconds']} s ({summary['tickets_per_second']:,} tickets/s), "
        f"checksum {summary['checksum'][:16]}"
    )
    click.echo("  Planted facts: servicepilot demo-data --facts --end " + summary["end"])
    if parquet_dir:
        click.echo(f"  Parquet tables in {parquet_dir} (spark+local://{parquet_dir})")
    if live:
        _go_live(db, rate)


def _go_live(db: str | None, rate: float) -> None:
    from assistant.commands.ingest import run

    click.get_current_context().invoke(run, db=db, demo_rate=rate)
