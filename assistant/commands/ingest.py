"""``servicepilot ingest``: the live-ingest writer, API keys, and freshness per source."""

from __future__ import annotations

import signal
import threading
from datetime import datetime
from pathlib import Path

import click

from assistant.cli_support import db_option, emit_json, handles_errors, json_option
from tools.errors import ConfigError


def _paths(db: str | None) -> tuple[Path, Path]:
    """(published warehouse file, ingest directory)."""
    from tools.settings import load_settings, warehouse_url_from
    from tools.warehouse.engine import duckdb_path, is_duckdb

    settings = load_settings()
    url = warehouse_url_from(db, settings)
    path = duckdb_path(url) if is_duckdb(url) else None
    if path is None:
        raise ConfigError(
            f"Live ingest with snapshots needs a DuckDB warehouse file; {url} is not one. On "
            "PostgreSQL, readers and the writer share the database directly (docs/ingest.md)."
        )
    return path, settings.data_dir / "ingest"


@click.group("ingest")
def command() -> None:
    """Live data in: run the writer, make API keys, see each source's freshness
    (docs/ingest.md)."""


@command.command("run")
@db_option
@click.option(
    "--publish-every",
    type=click.FloatRange(min=0.0),
    default=5.0,
    show_default=True,
    help="Seconds between published snapshots (readers see new data within this).",
)
@click.option("--once", is_flag=True, help="Apply what is waiting, publish, and exit.")
@click.option(
    "--nice",
    type=click.IntRange(0, 19),
    default=10,
    show_default=True,
    help="Lower the writer's CPU priority by this much (os.nice) so user queries get the "
    "cores first when they are busy; 0 keeps the priority.",
)
@click.option(
    "--demo-rate",
    type=click.FloatRange(min=0.0),
    default=0.0,
    help="Also feed live demo tickets at this many events per second (see demo-data --live).",
)
@click.option("--pull-url", help="Pull from this SQLAlchemy URL (with --pull-table).")
@click.option("--pull-table", help="Source table to pull by its updated_at watermark.")
@click.option(
    "--pull-kind",
    type=click.Choice(["ticket", "survey", "order", "customer"]),
    default="ticket",
    show_default=True,
)
@click.option("--pull-id", default="id", show_default=True, help="The table's id column.")
@click.option("--pull-updated", default="updated_at", show_default=True)
@click.option("--pull-source", default="db", show_default=True, help="Source name.")
@click.option(
    "--rules/--no-rules",
    "with_rules",
    default=True,
    show_default=True,
    help="Run the customer rules (tasks run) over each committed batch's tickets and surveys.",
)
@click.option(
    "--rules-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Task rules YAML (default: tools/rules/rules.yml).",
)
@handles_errors
def run(
    db: str | None,
    publish_every: float,
    once: bool,
    nice: int,
    demo_rate: float,
    pull_url: str | None,
    pull_table: str | None,
    pull_kind: str,
    pull_id: str,
    pull_updated: str,
    pull_source: str,
    with_rules: bool,
    rules_file: str | None,
) -> None:
    """Run the one writer: apply the inbox (HTTP posts), the drop folder and pulls to the
    warehouse, publishing a snapshot readers switch to. Stop with Ctrl-C. Example:

        servicepilot ingest run --publish-every 5
    """
    from tools.ingest.pull import TablePull
    from tools.ingest.writer import lower_priority

    lower_priority(nice)  # before the writer's threads start: they inherit it
    warehouse, ingest_dir = _paths(db)
    pulls = []
    if bool(pull_url) != bool(pull_table):
        raise ConfigError("--pull-url and --pull-table go together.")
    if pull_url and pull_table:
        pulls.append(TablePull(pull_url, pull_table, pull_kind, pull_source, pull_id, pull_updated))
    stop = threading.Event()
    hooks, store = _rules_hook(rules_file) if with_rules else ([], None)
    try:
        _run_writer(warehouse, ingest_dir, publish_every, pulls, hooks, once, demo_rate, stop)
    finally:
        if store is not None:
            store.close()


def _rules_hook(rules_file: str | None) -> tuple[list, object]:
    """The customer rules as an after-commit hook of the writer, and the ops store it uses."""
    from tools.audit import open_ops_store
    from tools.rules.config import load_task_rules
    from tools.rules.on_ingest import RulesOnIngest
    from tools.settings import load_settings

    config = load_task_rules(rules_file)
    store = open_ops_store(load_settings())
    return [RulesOnIngest(config, store)], store


def _run_writer(
    warehouse: Path,
    ingest_dir: Path,
    publish_every: float,
    pulls: list,
    hooks: list,
    once: bool,
    demo_rate: float,
    stop: threading.Event,
) -> None:
    from tools.ingest.writer import IngestWriter

    with IngestWriter(
        warehouse, ingest_dir, publish_every_s=publish_every, pulls=pulls, after_commit=hooks
    ) as w:
        if once:
            while w.step():
                pass
            w.publish()
            _report(w)
            return
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        if demo_rate:
            threading.Thread(
                target=feed_demo, args=(w, demo_rate, stop), name="live-demo", daemon=True
            ).start()
        click.echo(
            f"Ingest writer on {warehouse} (inbox {w.inbox.new}, drop folder "
            f"{ingest_dir / 'drop'}); publishing every {publish_every:g}s. Ctrl-C stops.",
            err=True,
        )
        try:
            w.run(stop)
        except KeyboardInterrupt:
            stop.set()
        _report(w)


def feed_demo(writer: object, rate: float, stop: threading.Event) -> None:
    """Post live demo events to the writer's inbox once a second until ``stop``."""
    from tools.ingest.live_demo import SOURCE, LiveDemo
    from tools.warehouse.engine import make_engine

    engine = make_engine(f"duckdb:///{writer.warehouse}", read_only=True)  # type: ignore[attr-defined]
    try:
        demo = LiveDemo.from_warehouse(engine, rate=rate)
    finally:
        engine.dispose()
    while not stop.wait(1.0):
        events = demo.events(datetime.now(), 1.0)
        if events:
            writer.inbox.put(SOURCE, events, origin="live-demo")  # type: ignore[attr-defined]


def _report(writer: object) -> None:
    s = writer.stats  # type: ignore[attr-defined]
    click.echo(
        f"Applied {s.batches} batches: {s.new_events} new events of {s.events} "
        f"({s.events - s.new_events} redelivered), {s.quarantined} quarantined; "
        f"{s.published} snapshots published.",
        err=True,
    )
    opened = sum(getattr(hook, "opened", 0) for hook in writer.after_commit)  # type: ignore[attr-defined]
    if writer.after_commit:  # type: ignore[attr-defined]
        click.echo(f"Customer rules on each batch: {opened} new task(s).", err=True)


@command.command("key")
@click.argument("source")
def key(source: str) -> None:
    """Make an API key for SOURCE and print it with the line for <data_dir>/ingest/keys.yml."""
    from tools.ingest.keys import SOURCE_PATTERN, key_hash, new_key

    if not SOURCE_PATTERN.match(source):
        raise click.BadParameter("1-32 lowercase letters, digits, '_' or '-'.", param_hint="SOURCE")
    secret = new_key()
    click.echo(f"API key for {source} (give it to the sender; it is not stored): {secret}")
    click.echo("Add to <data_dir>/ingest/keys.yml under 'sources:' and restart the server:")
    click.echo(f"  {source}: {{key_sha256: {key_hash(secret)}}}")


@command.command("status")
@db_option
@json_option
@handles_errors
def status(db: str | None, as_json: bool) -> None:
    """Freshness per source (last event time, lag, usual gap), quiet sources, late arrivals
    and the writer's backlog. Exit 1 when a source has gone quiet."""
    from tools.ingest.freshness import source_freshness
    from tools.ingest.writer import Inbox
    from tools.warehouse.engine import open_warehouse

    warehouse, ingest_dir = _paths(db)
    engine = open_warehouse(f"duckdb:///{warehouse}")
    now = datetime.now()
    try:
        with engine.connect() as conn:
            sources = source_freshness(conn, now)
    finally:
        engine.dispose()
    backlog = len(Inbox(ingest_dir).pending())
    alerts = [a for s in sources if (a := s.alert(now))]
    if as_json:
        emit_json(
            {
                "ok": not alerts,
                "sources": [s.to_dict() for s in sources],
                "alerts": alerts,
                "inbox_backlog": backlog,
            }
        )
    else:
        if not sources:
            click.echo("No source has sent events yet.")
        for s in sources:
            click.echo(
                f"{s.source:<16} {s.events:>9,} events  last {s.last_event_time:%Y-%m-%d %H:%M:%S}"
                f"  lag {s.lag_s:,.0f}s  late {s.late_arrivals:,}" + ("  QUIET" if s.quiet else "")
            )
        for alert in alerts:
            click.echo("ALERT: " + alert)
        click.echo(f"Inbox backlog: {backlog} batches.")
    if alerts:
        raise SystemExit(1)
