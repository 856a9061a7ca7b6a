"""``servicepilot audit``: the latest questions with who asked, the plan, SQL and feedback."""

from __future__ import annotations

import click

from assistant.cli_support import emit_json, handles_errors, json_option


@click.command("audit")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--logins", is_flag=True, help="Show sign-in attempts (sp_login) instead.")
@json_option
@handles_errors
def command(limit: int, logins: bool, as_json: bool) -> None:
    """Show the audit log (sp_audit in the operations store, SERVICEPILOT_OPS_URL) with the
    feedback given on each answer, or with --logins the sign-in attempts (ok, failed,
    throttled). Analysts can also query the tables directly."""
    from tools.audit import AuditLog, open_ops_store, printable
    from tools.settings import load_settings

    settings = load_settings()
    store = open_ops_store(settings)
    try:
        rows = AuditLog(store).logins(limit) if logins else AuditLog(store).recent(limit)
    finally:
        store.close()
    if as_json:
        emit_json({"ops_store": settings.resolved_ops_url, "rows": rows})
        return
    if logins:
        for row in rows:
            click.echo(
                f"{row['at']:%Y-%m-%d %H:%M:%S} {row['outcome']:9} {printable(row['username'])} "
                f"from {printable(row['address']) or '-'}"
            )
        return
    for row in rows:
        # One row, one line: stored text is escaped, so a newline cannot forge a row.
        p = {k: printable(v) for k, v in row.items()}
        feedback = f" [{p['rating']}: {p['comment']}]" if row["rating"] else ""
        click.echo(
            f"{row['asked_at']:%Y-%m-%d %H:%M:%S} {p['username'] or '-'} ({p['role'] or '-'}, "
            f"{p['surface']}) {p['plan_kind']} {row['latency_ms']:.0f} ms, "
            f"{row['result_rows'] if row['result_rows'] is not None else '-'} rows: "
            f"{p['question']}{feedback}"
        )
