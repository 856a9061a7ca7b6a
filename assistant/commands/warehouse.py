"""``servicepilot warehouse``: create the schema, check it against the contract, show counts."""

from __future__ import annotations

import click
import sqlalchemy as sa

from assistant.cli_support import db_option, emit_json, handles_errors, json_option


@click.group("warehouse")
def command() -> None:
    """Inspect or initialise the warehouse (DuckDB file or any SQLAlchemy URL)."""


@command.command("init")
@db_option
@json_option
@handles_errors
def init(db: str | None, as_json: bool) -> None:
    """Create the contract tables that do not exist yet (idempotent)."""
    from tools.settings import warehouse_url_from
    from tools.warehouse.engine import create_schema, make_engine

    url = warehouse_url_from(db)
    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()
    if as_json:
        emit_json({"ok": True, "warehouse": url})
    else:
        click.echo(f"Schema ready: {url}")


@command.command("status")
@db_option
@json_option
@handles_errors
def status(db: str | None, as_json: bool) -> None:
    """Row counts, data span and build metadata; exit code 3 when the contract is not met."""
    from tools.errors import WarehouseError
    from tools.settings import warehouse_url_from
    from tools.warehouse.engine import make_engine, missing_contract_columns
    from tools.warehouse.schema import CONTRACT_TABLES

    url = warehouse_url_from(db)
    engine = make_engine(url, read_only=True)
    try:
        missing = missing_contract_columns(engine)
        if missing:
            detail = "; ".join(f"{t}: {', '.join(c)}" for t, c in missing.items())
            raise WarehouseError(
                f"{url} does not match the warehouse contract (missing {detail}). "
                "Run `servicepilot warehouse init` or rebuild with `servicepilot demo-data`."
            )
        with engine.connect() as conn:
            counts = {
                t: conn.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar_one()
                for t in CONTRACT_TABLES
            }
            span = conn.execute(
                sa.text("SELECT MIN(created_at), MAX(created_at) FROM tickets")
            ).one()
            meta = dict(conn.execute(sa.text("SELECT key, value FROM sp_meta")).all())
    finally:
        engine.dispose()
    payload = {
        "warehouse": url,
        "rows": counts,
        "tickets_from": span[0],
        "tickets_to": span[1],
        "meta": meta,
    }
    if as_json:
        emit_json(payload)
        return
    click.echo(f"{url}")
    for table, count in counts.items():
        click.echo(f"  {table:<10} {count:>12,}")
    click.echo(f"  tickets created {span[0]} .. {span[1]}")
    for key, value in meta.items():
        click.echo(f"  {key}: {value}")


@command.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=str))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet"]),
    default="parquet",
    show_default=True,
    help="File format (one file per contract table: DIR/<table>.parquet).",
)
@click.option("--replace", is_flag=True, help="Overwrite tables already exported to DIRECTORY.")
@db_option
@json_option
@handles_errors
def export(directory: str, fmt: str, replace: bool, db: str | None, as_json: bool) -> None:
    """Write the contract tables as Parquet files that Spark (spark+local://DIRECTORY) and any
    other engine can read. All-or-nothing: a failed export leaves DIRECTORY as it was."""
    from pathlib import Path

    from tools.settings import warehouse_url_from
    from tools.warehouse.engine import open_warehouse
    from tools.warehouse.export import export_parquet

    engine = open_warehouse(warehouse_url_from(db))
    try:
        summary = export_parquet(engine, Path(directory), replace=replace)
    finally:
        engine.dispose()
    if as_json:
        emit_json(summary)
        return
    click.echo(f"Exported to {summary['directory']} ({fmt}, {summary['seconds']}s)")
    for table, count in summary["rows"].items():
        click.echo(f"  {table:<10} {count:>12,}")
