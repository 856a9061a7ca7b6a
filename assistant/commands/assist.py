"""`servicepilot cases suggest`: the suggested resolution for a new complaint (agent assist)."""

from __future__ import annotations

from typing import Any

import click

from assistant.cli_support import (
    db_option,
    emit_json,
    handles_errors,
    identity_options,
    json_option,
    llm_option,
)


def _print(s: dict[str, Any]) -> None:
    zh = s["language"] == "zh"
    if not s["cases"]:
        click.echo("  (no similar resolved cases)")
        return
    click.echo("likely root cause:" if not zh else "可能的根因：")
    for c in s["root_causes"]:
        click.echo(f"  {c['confidence']:.0%}  {c['label']}  [{', '.join(c['case_ids'][:5])}]")
    click.echo("steps that resolved it:" if not zh else "解决步骤：")
    for i, step in enumerate(s["steps"], start=1):
        click.echo(f"  {i}. {step['text']}  [{', '.join(step['case_ids'][:5])}]")
    hours = s["expected_hours"]
    if hours["median"] is not None:
        click.echo(
            f"expected time to resolve: median {hours['median']} h, 80% within {hours['p80']} h"
        )
    for w in s["warnings"]:
        click.echo(f"warning: {w}")
    for a in s["articles"]:
        click.echo(f"article: {a['chunk_id']}  [{a['heading']}]")
    click.echo(f"reply draft ({s['reply_method']}):")
    for line in s["reply"].splitlines():
        click.echo(f"  {line}")
    for note in s["notes"]:
        click.echo(f"note: {note}")


@click.command("suggest")
@click.argument("text")
@click.option(
    "--k",
    type=click.IntRange(3, 50),
    default=20,
    show_default=True,
    help="Similar resolved cases to learn from.",
)
@click.option("--product-line", default=None, help="Only cases of this product line (a code).")
@click.option("--region", default=None, help="Only cases of this region (a code).")
@click.option(
    "--exclude",
    "exclude",
    multiple=True,
    metavar="CASE_ID",
    help="Leave this case out (e.g. the complaint's own ticket); repeatable.",
)
@click.option(
    "--collection", default=None, metavar="NAME", help="Case collection (default: cases)."
)
@click.option(
    "--kb-collection", default=None, metavar="NAME", help="Knowledge base (default: knowledge)."
)
@llm_option
@identity_options
@db_option
@json_option
@handles_errors
def suggest_cmd(
    text: str,
    k: int,
    product_line: str | None,
    region: str | None,
    exclude: tuple[str, ...],
    collection: str | None,
    kb_collection: str | None,
    llm: str,
    user: str,
    role: str,
    db: str | None,
    as_json: bool,
) -> None:
    """Suggested resolution for complaint TEXT from the most similar resolved cases: likely
    root cause with confidence, the steps that resolved them (with case ids), expected time,
    warnings, knowledge-base articles and a reply draft (an LLM's with --llm config)."""
    import time

    from assistant.app import build_app
    from assistant.assist import AgentAssist
    from assistant.roles import get_role
    from tools.settings import load_settings

    settings = load_settings()
    app = build_app(settings, "cli", warehouse=db)
    try:
        chat_model = None
        if llm == "config":
            from assistant.llm.provider import chat_model_from_settings

            chat_model = chat_model_from_settings(settings)
        started = time.perf_counter()
        assist = AgentAssist(
            engine=app.engine,
            catalog=app.catalog,
            chat_model=chat_model,
            collection=collection,
            kb_collection=kb_collection,
        )
        result = assist.suggest(
            text,
            get_role(role),
            k=k,
            product_line=product_line,
            region=region,
            exclude_ids=exclude,
        )
        top = result["root_causes"][0]["root_cause"] if result["root_causes"] else "-"
        trouble = app.api.record_operation(
            "cases_suggest",
            {"k": k, "product_line": product_line, "region": region},
            user=user,
            role=role,
            started=started,
            summary=f"{len(result['cases'])} case(s), root cause {top}",
        )
    finally:
        app.close()
    if trouble:
        click.echo(f"warning: {trouble}", err=True)
    if as_json:
        emit_json({"ok": True, **result})
    else:
        _print(result)
