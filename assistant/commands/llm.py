"""`servicepilot llm`: check the configured LLM (OpenAI-compatible endpoint or local GGUF)."""

from __future__ import annotations

import sys

import click

from assistant.cli_support import emit_json, handles_errors, json_option


@click.group(name="llm")
def command() -> None:
    """The optional LLM planner: check that the configured model works (docs/llm.md)."""


@command.command("check")
@click.option(
    "--question",
    default=None,
    help="Question to plan (default: 'What was CSAT by region last month?').",
)
@json_option
@handles_errors
def check(question: str | None, as_json: bool) -> None:
    """Does the configured model answer, and does it fill a valid MetricQuery?

    Exit codes: 0 it works, 1 the model answered badly or not at all, 2 no LLM configured
    or bad settings, 3 the LLM server could not start or crashed while answering.
    """
    from assistant.llm.check import SAMPLE_QUESTION, run_check
    from tools.settings import load_settings

    report = run_check(load_settings(), question=question or SAMPLE_QUESTION)
    if report.ok:
        code = 0
    elif report.provider == "none":
        code = 2
    else:
        code = 3 if report.server_crashed else 1
    if as_json:
        emit_json({"ok": report.ok, **report.to_dict()})
        sys.exit(code)
    click.echo(f"provider: {report.provider}")
    if report.model:
        click.echo(f"model:    {report.model} at {report.base_url or 'the OpenAI API'}")
    if report.startup_ms is not None:
        click.echo(f"startup:  {report.startup_ms:.0f} ms")
    if report.answered:
        click.echo(f"ping:     {report.ping_ms:.0f} ms, reply {report.reply!r}")
    if report.plan_ms is not None:
        click.echo(
            f"plan:     {report.plan_ms:.0f} ms, {len(report.attempts)} call(s), "
            f"{report.tokens_used} tokens"
        )
    if report.query:
        click.echo(f"query:    {report.query}")
    for attempt in report.attempts:
        if attempt.get("error"):
            click.echo(f"  rejected: {attempt['error']}", err=True)
    if report.error:
        click.echo(f"Error: {report.error}", err=True)
    click.echo("OK: the LLM planner works." if report.ok else "FAILED", err=not report.ok)
    sys.exit(code)
