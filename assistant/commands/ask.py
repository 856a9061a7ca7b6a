"""``servicepilot ask``: one question in, an answer with its interpretation and provenance out."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path

import click

from assistant.cli_support import (
    db_option,
    emit_json,
    handles_errors,
    json_option,
    llm_option,
    role_option,
    today_option,
)


@click.command("ask")
@click.argument("question")
@today_option()
@role_option()
@llm_option
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
    from assistant.app import build_app
    from assistant.planning.plans import ConversationState
    from assistant.roles import RoleError, get_role
    from tools.errors import ServicePilotError
    from tools.settings import load_settings

    try:
        get_role(role)
    except RoleError as exc:
        raise ServicePilotError(str(exc)) from None
    state = ConversationState(today=today, role=role, user=getpass.getuser())
    if session is not None and session.exists():
        state = ConversationState.model_validate_json(session.read_text(encoding="utf-8"))
        state = state.model_copy(update={"today": today, "role": role, "user": getpass.getuser()})
    app = build_app(
        load_settings(),
        "cli",
        warehouse=db,
        today=today,
        planner="offline" if llm == "none" else "llm",
    )
    try:
        answer = app.assistant.ask(question, state=state)
    finally:
        app.close()
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
    if answer.result is not None and not answer.result.table.empty:
        from assistant.answer.table import text_table

        shown = text_table(answer.result, app.assistant.lexicon, answer.language, max_rows=30)
        click.echo("\n" + shown)
        _echo_provenance(answer.result, answer.language, app.catalog)
    if data.get("details"):  # the structure behind a why/forecast answer, for scripts
        from assistant.messages import msg

        click.echo(f"\n{msg(answer.language, 'details_in_json')}")


def _echo_provenance(result, language: str, catalog) -> None:  # noqa: ANN001
    """How the number was computed, in the answer's language (labels from the one catalog)."""
    from assistant.answer.sources import sources_line
    from assistant.messages import computed_as_of_lines, msg, owner_label, warning_text

    click.echo(f"\n{msg(language, 'how_computed')}")
    for meta in result.metrics.values():
        badge = msg(language, "certified" if meta.certified else "not_certified")
        label = meta.label_zh if language == "zh" else meta.label_en
        description = meta.description_zh if language == "zh" else meta.description_en
        click.echo(
            f"  {label} ({meta.name}) {badge} · {msg(language, 'owner')} "
            f"{owner_label(meta.owner, language)} · {msg(language, 'version')} {meta.version}"
        )
        click.echo(f"    {description}")
    if result.data_freshness:
        click.echo(f"  {msg(language, 'freshness')}: {result.data_freshness:%Y-%m-%d %H:%M}")
    for line in computed_as_of_lines(result, catalog, language):
        click.echo(f"  {line}")
    by_source = sources_line(result, language)
    if by_source:
        click.echo(f"  {by_source}")
    for warning in result.warnings:
        click.echo(f"  ⚠️ {warning_text(warning, language)}")
