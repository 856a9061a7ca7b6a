"""`servicepilot customer show`: the customer 360 view (profile, orders, tickets, surveys,
tags, open tasks, value, churn risk)."""

from __future__ import annotations

from typing import Any

import click

from assistant.cli_support import (
    db_option,
    emit_json,
    handles_errors,
    identity_options,
    json_option,
)


@click.group(name="customer")
def command() -> None:
    """One customer's whole history (customer 360); customer segments."""


def _print(p: dict[str, Any]) -> None:
    prof, value, risk = p["profile"], p["value"], p["churn_risk"]
    click.echo(
        f"{p['customer_id']}  {prof['segment']}  {prof['region']}/{prof['city']}  "
        f"since {prof['signup_date']}"
        + (f"  churned {prof['churned_at']}" if prof["churned_at"] else "")
    )
    rfm = value["rfm"]
    rfm_text = f"R{rfm['r']} F{rfm['f']} M{rfm['m']}" if rfm else "no orders"
    click.echo(f"value: {value['orders']} orders, {value['lifetime_amount']:,.2f}; RFM {rfm_text}")
    click.echo("tags: " + (", ".join(f"{t['zh']} ({t['code']})" for t in p["tags"]) or "-"))
    click.echo(
        f"churn risk: {risk['level']} ({risk['score']}): {'; '.join(risk['factors']) or '-'}"
    )
    s = p["summary"]
    click.echo(f"tickets: {s['tickets']} ({s['open_tickets']} open); mean CSAT {s['mean_csat']}")
    for t in p["tickets"]:
        click.echo(
            f"  {t['created_at']}  {t['ticket_id']}  {t['ticket_type']}/{t['category']}  "
            f"{t['status']}  {(t['subject'] or '')[:60]}"
        )
    for task in p["open_tasks"]:
        click.echo(f"  task {task['task_id']} due {task['due_at']}: {task['reason_en']}")


@command.command("show")
@click.argument("customer_id")
@identity_options
@db_option
@json_option
@handles_errors
def show_cmd(customer_id: str, user: str, role: str, db: str | None, as_json: bool) -> None:
    """The 360 view of CUSTOMER_ID as --role may see it (free text PII-masked)."""
    import time

    from assistant.app import build_app
    from assistant.assist import AgentAssist
    from assistant.roles import get_role
    from tools.audit import open_ops_store
    from tools.settings import load_settings

    settings = load_settings()
    app = build_app(settings, "cli", warehouse=db)
    ops = open_ops_store(settings)
    try:
        started = time.perf_counter()
        profile = AgentAssist(engine=app.engine, catalog=app.catalog).customer(
            customer_id, get_role(role), ops=ops
        )
        trouble = app.api.record_operation(
            "customer_show",
            {"customer_id": customer_id},
            user=user,
            role=role,
            started=started,
            summary=f"{profile['summary']['tickets']} ticket(s)",
        )
    finally:
        ops.close()
        app.close()
    if trouble:
        click.echo(f"warning: {trouble}", err=True)
    if as_json:
        emit_json({"ok": True, **profile})
    else:
        _print(profile)


@command.command("segment")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Segment as of this date (data before it); default: the warehouse's data end.",
)
@db_option
@json_option
@handles_errors
def segment_cmd(as_of: Any, db: str | None, as_json: bool) -> None:
    """Rebuild the customer_segments table: every customer's RFM value tier (high value, high
    value at risk, new, other) and complaint-history tags (repeat complainer, recent low CSAT)
    as of one date. Questions by these segments state that date (docs/metrics.md)."""
    from tools.customers.segments import build_customer_segments
    from tools.settings import load_settings, warehouse_url_from
    from tools.warehouse.engine import make_engine

    engine = make_engine(warehouse_url_from(db, load_settings()))
    try:
        built = build_customer_segments(engine, as_of)
    finally:
        engine.dispose()
    if as_json:
        emit_json({"ok": True, **built})
        return
    if built["as_of"] is None:
        click.echo("The warehouse has no orders, tickets or surveys yet: no segments built.")
        return
    tiers = ", ".join(f"{k} {v:,}" for k, v in built["value_tiers"].items())
    click.echo(
        f"customer_segments as of {built['as_of']}: {built['customers']:,} customers ({tiers})"
    )
