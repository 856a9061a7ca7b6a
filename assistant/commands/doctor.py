"""``servicepilot doctor``: is everything this installation needs in order?"""

from __future__ import annotations

import sys

import click

from assistant.cli_support import db_option, emit_json, handles_errors, json_option

MARKS = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


@click.command("doctor")
@click.option(
    "--collection", default=None, help="Case collection to check (default: the configured one)."
)
@db_option
@json_option
@handles_errors
def command(collection: str | None, db: str | None, as_json: bool) -> None:
    """Check the warehouse (reachable, a ServicePilot warehouse, its fingerprint), the case
    index (one case per warehouse ticket with text), the embedding model (loads and embeds)
    and the free disk space. Exit code 0 when nothing failed (warnings allowed), 3 when the
    warehouse failed, 1 when another check failed."""
    from tools.cases.embedding import encode
    from tools.cases.sources import count_warehouse_cases
    from tools.cases.store import open_store
    from tools.health import check_disk, check_index, check_model, check_warehouse
    from tools.settings import load_settings, warehouse_url_from

    settings = load_settings()
    url = warehouse_url_from(db, settings)
    warehouse = check_warehouse(url)
    checks = [
        warehouse,
        check_index(
            lambda: open_store(collection, settings=settings).count(),
            lambda: count_warehouse_cases(url),
        ),
        check_model(lambda: encode(["ServicePilot 健康检查"], settings.embedding_model_dir)),
        check_disk(settings.data_dir),
    ]
    if as_json:
        emit_json({"warehouse_url": url, "checks": [c.to_dict() for c in checks]})
    else:
        for c in checks:
            click.echo(f"{MARKS[c.status]} {c.name:9} {c.detail}")
    if warehouse.status == "fail":
        sys.exit(3)
    if any(c.status == "fail" for c in checks):
        sys.exit(1)


if __name__ == "__main__":  # python -m assistant.commands.doctor (before registration)
    command()
