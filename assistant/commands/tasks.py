"""`servicepilot tasks run | list`: customer-level rules -> follow-up tasks (tools/rules)."""

from __future__ import annotations

from datetime import timedelta

import click

from assistant.cli_support import (
    db_option,
    emit_json,
    handles_errors,
    json_option,
    parse_now,
    role_option,
)

rules_option = click.option(
    "--rules",
    "rules_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Task rules YAML (default: tools/rules/rules.yml).",
)


def _ops():  # noqa: ANN202 - OpsStore, imported lazily
    from tools.audit import open_ops_store
    from tools.settings import load_settings

    return open_ops_store(load_settings())


@click.group("tasks", invoke_without_command=True)
@click.pass_context
def command(ctx: click.Context) -> None:
    """Follow-up tasks opened by customer-level rules (call-backs, escalations, reviews)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_command)


@command.command("run")
@rules_option
@click.option(
    "--days",
    default=7,
    show_default=True,
    type=click.IntRange(1, 366),
    help="Look at events of the last N days (replays open no duplicate tasks).",
)
@click.option("--now", "now_text", default=None, help="Time of this run (default: now).")
@db_option
@json_option
@handles_errors
def run_command(
    rules_file: str | None, days: int, now_text: str | None, db: str | None, as_json: bool
) -> None:
    """Match the rules to recent ticket and survey events and open the tasks they call for,
    each (rule, event) once. Exit 2 for an invalid rules file."""
    from tools.rules.config import load_task_rules
    from tools.rules.engine import load_events, run_rules
    from tools.settings import warehouse_url_from
    from tools.warehouse.engine import make_engine

    config = load_task_rules(rules_file)
    now = parse_now(now_text)
    windows = [r.when.contacts.days for r in config.rules if r.when.contacts]
    engine = make_engine(warehouse_url_from(db), read_only=True)
    try:
        events = load_events(engine, now - timedelta(days=days), now, windows)
    finally:
        engine.dispose()
    store = _ops()
    try:
        result = run_rules(config, events, store, now)
    finally:
        store.close()
    if as_json:
        emit_json(
            {
                "ok": True,
                "events": result.events,
                "opened": result.fired,
                "already_open": result.already,
            }
        )
        return
    total = sum(result.fired.values())
    click.echo(f"{result.events} event(s); {total} new task(s), {result.already} already open.")
    for rule, n in result.fired.items():
        click.echo(f"  {rule}: {n}")


@command.command("list")
@role_option("Show only the tasks of this role's regions (assistant/roles.yml).")
@click.option("--owner", default=None, help="Only tasks of this owner (e.g. team:east_a).")
@click.option("--all", "show_all", is_flag=True, help="Include done tasks.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@json_option
@handles_errors
def list_command(
    role: str | None, owner: str | None, show_all: bool, lang: str, as_json: bool
) -> None:
    """Open follow-up tasks by due time, limited to the role's regions."""
    from assistant.roles import get_role, scope_visible
    from tools.audit import printable
    from tools.rules.engine import list_tasks

    scope = get_role(role)
    store = _ops()
    try:
        rows = list_tasks(store, status=None if show_all else "open", owner=owner)
    finally:
        store.close()
    rows = [r for r in rows if scope_visible(scope, {"region": r["region"]})]
    if as_json:
        emit_json({"ok": True, "tasks": rows})
        return
    if not rows:
        click.echo("No open tasks.")
    for r in rows:
        reason = r["reason_zh"] if lang == "zh" else r["reason_en"]
        click.echo(
            f"{r['due_at']:%Y-%m-%d %H:%M} {r['kind']:17} {printable(r['owner'])} "
            f"ticket {printable(r['ticket_id'])} customer {printable(r['customer_id'])}: "
            f"{printable(reason)}"
        )
