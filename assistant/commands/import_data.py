"""``servicepilot import FILE --mapping MAPPING``: load CSV/Parquet/Excel through a YAML mapping."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from assistant.cli_support import db_option, emit_json, handles_errors, json_option
from tools.errors import ImportValidationError
from tools.importers import import_file
from tools.importers.readers import ROW_NUMBERING
from tools.settings import warehouse_url_from


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    "mapping",
    required=True,
    metavar="MAPPING",
    help="Column mapping: a YAML file, or the name of a built-in mapping (e.g. cfpb).",
)
@db_option
@json_option
@click.option("--dry-run", is_flag=True, help="Read and validate everything, write nothing.")
@click.option(
    "--on-bad-rows",
    type=click.Choice(["refuse", "quarantine"]),
    default=None,
    help="refuse: any bad row refuses the whole file (default, or the mapping's "
    "`checks: on_bad_rows`); quarantine: write the good rows and record each bad one in "
    "the sp_quarantine table.",
)
@handles_errors
def command(
    file: Path, mapping: str, db: str | None, as_json: bool, dry_run: bool, on_bad_rows: str | None
) -> None:
    """Import FILE (.csv, .csv.gz, .parquet, .xlsx) into the warehouse through a MAPPING.

    Every row is validated before anything is written; any bad value refuses the whole file
    (exit code 4) and lists each problem with its row and column (spreadsheet rows: the header
    is row 1), or with --on-bad-rows quarantine only the bad rows are left out and recorded in
    sp_quarantine. All tables of the file are written in one transaction. Importing the same file
    with the same mapping again adds nothing; rows whose id already exists are skipped.

    Example: servicepilot import complaints.csv --mapping cfpb --db data/warehouse.duckdb
    """
    url = warehouse_url_from(db)
    try:
        result = import_file(
            file, mapping, url, dry_run=dry_run, quiet=as_json, on_bad_rows=on_bad_rows
        )
    except ImportValidationError as exc:
        if as_json:
            emit_json(
                {
                    "ok": False,
                    "error": type(exc).__name__,
                    "problems": exc.problems,
                    "total_problems": exc.total,
                    "row_numbering": ROW_NUMBERING,
                    "rows": {},
                    "skipped": {},
                    "quarantined_rows": 0,
                }
            )
        else:
            click.echo(f"Error: {exc}\n({ROW_NUMBERING}.)", err=True)
        sys.exit(exc.exit_code)
    if as_json:
        emit_json(result)
        return
    if result.status == "already_imported":
        click.echo(
            f"{file.name} was already imported with mapping {result.mapping} "
            "(same file and mapping content): nothing to do."
        )
        return
    verb = "Would import" if result.status == "dry_run" else "Imported"
    tables = ", ".join(
        f"{table} {n:,}"
        + (f" (+{result.skipped[table]:,} existing skipped)" if result.skipped.get(table) else "")
        for table, n in result.rows.items()
    )
    click.echo(
        f"{verb} {file.name} with mapping {result.mapping}: {tables} "
        f"from {result.rows_read:,} rows in {result.elapsed_s:.1f} s."
    )
    if result.quarantined_rows:
        click.echo(
            f"Quarantined {result.quarantined_rows:,} bad row(s) ({result.quarantined_problems:,} "
            "problem(s)) in sp_quarantine, not imported:",
            err=True,
        )
        for message in result.problems[:20]:
            click.echo(f"  - {message}", err=True)
    if result.total_warnings:
        click.echo(f"{result.total_warnings:,} warning(s) (imported with a change):", err=True)
        for message in result.warnings[:20]:
            click.echo(f"  - {message}", err=True)
