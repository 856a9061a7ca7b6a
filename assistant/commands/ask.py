"""``servicepilot ask``: one question in, an answer with its interpretation and provenance out."""

from __future__ import annotations

import getpass
import json
from datetime import date, datetime
from pathlib import Path

import click

from assistant.cli_support import db_option, emit_json, handles_errors, json_option


def _today(ctx: click.Context, param: click.Parameter, value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-22.") from None


@click.command("ask")
@click.argument("question")
@click.option(
    "--today",
    callback=_today,
    metavar="YYYY-MM-DD",
    help="Resolve relative times (上个月, last quarter) against this date.",
)
@click.option(
    "--role", default=None, help="Role whose row access applies (see assistant/roles.yml)."
)
@click.option(
    "--llm",
    "llm",
    type=click.Choice(["none", "config"]),
    default="none",
    show_default=True,
    help="none: the offline planner; config: the LLM configured in settings.",
)
@click.option(
    "--session",
    "session",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file holding the conversation, read before and written after, so "
    "follow-ups (那按渠道呢？/ and by channel?) build on earlier questions.",
)
@db_option
@json_option
@handles_errors
def command(
    question: str,
    today: date,
    role: str | None,
    llm: str,
    session: Path | None,
    db: str | None,
    as_json: bool,
) -> None:
    """Ask a question in Chinese or English, e.g.

        servicepilot ask "上个月华东区投诉率是多少？" --today 2026-11-22

    Prints the answer, how the question was read, and how the number was computed.
    """
    from assistant.api import CaseSearcher, ServicePilotAPI
    from assistant.planning.plans import ConversationState
    from assistant.roles import RoleError, get_role
    from assistant.service import Assistant
    from tools.audit import AuditLog, OpsStore
    from tools.errors import ServicePilotError
    from tools.settings import load_settings, warehouse_url_from

    try:
        get_role(role)
    except RoleError as exc:
        raise ServicePilotError(str(exc)) from None
    state = ConversationState(today=today, role=role, user=getpass.getuser())
    if session is not None and session.exists():
        state = ConversationState.model_validate_json(session.read_text(encoding="utf-8"))
        state = state.model_copy(update={"today": today, "role": role, "user": getpass.getuser()})
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ops = OpsStore(settings.resolved_ops_url)
    url = warehouse_url_from(db, settings)
    assistant = Assistant(
        url,
        planner="offline" if llm == "none" else "llm",
        audit=AuditLog(ops, max_question_chars=settings.audit_max_question_chars),
        surface="cli",
    )
    # Similar cases and "why" answers come through the same role-aware API as the UI's.
    ServicePilotAPI(assistant, today=today, warehouse_url=url, cases=CaseSearcher())
    try:
        answer = assistant.ask(question, state=state)
    finally:
        assistant.close()
        ops.close()
    if session is not None:
        session.write_text(answer.state.model_dump_json(indent=2), encoding="utf-8")
    if as_json:
        emit_json(answer.to_dict())
        return
    data = answer.to_dict()
    for notice in answer.notices:
        click.echo(f"! {notice}")
    click.echo(answer.text)
    if "interpretation" in data:
        click.echo(f"\n{data['interpretation']}")
    if answer.result is not None and not answer.result.data.empty:
        shown = answer.result.data[[c for c in answer.result.data.columns if "__" not in c]]
        click.echo("\n" + shown.head(30).to_string(index=False))
        provenance = data["provenance"]
        click.echo("\nHow this was computed:")
        for meta in provenance["metrics"].values():
            badge = "certified" if meta["certified"] else "NOT certified"
            click.echo(
                f"  {meta['name']} ({badge}, owner {meta['owner']}, v{meta['version']}): "
                f"{meta['description_en']}"
            )
        click.echo(f"  data through {provenance['data_freshness']}; {provenance['elapsed_ms']} ms")
        for warning in provenance["warnings"]:
            click.echo(f"  warning: {warning}")
    if data.get("details"):
        click.echo(json.dumps(data["details"], ensure_ascii=False, indent=2, default=str))
