"""`servicepilot eval`: run the eval suites end to end and report accuracy.

Registered in the CLI registry by module name (``evals.cli``); ``assistant`` never imports it.
Exit codes: 0 the run finished (and, with ``--check-floors``, met the floors), 1 a floor was
missed, 2 bad options or case files, 3 warehouse unreachable.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from assistant.cli_support import db_option, emit_json, handles_errors, json_option
from tools.errors import ConfigError


def make_assistant(warehouse_url: str, planner: str) -> Any:
    """The assistant exactly as users get it (``build_app``), minus the audit log."""
    from assistant.app import build_app
    from tools.settings import load_settings

    return build_app(load_settings(), "eval", warehouse=warehouse_url, planner=planner).assistant


@click.command(name="eval")
@click.option(
    "--suite",
    "suites",
    multiple=True,
    metavar="NAME",
    help="Case file stem under evals/cases (repeatable; default: all).",
)
@click.option(
    "--planner",
    type=click.Choice(["offline", "llm"]),
    default="offline",
    show_default=True,
    help="Planner the assistant uses.",
)
@click.option(
    "--held-out",
    "held_out",
    type=click.Choice(["include", "exclude", "only"]),
    default="exclude",
    show_default=True,
    help="Held-out cases (held_out_*.yml); reported in aggregate only.",
)
@click.option("--case", "case_ids", multiple=True, metavar="ID", help="Only these case ids.")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/eval_reports"),
    show_default=True,
    help="Where eval-<planner>.md and .json are written.",
)
@click.option(
    "--check-floors",
    is_flag=True,
    help="Exit 1 when accuracy is below evals/floors.yml (per language).",
)
@click.option(
    "--paraphrases",
    "with_paraphrases",
    is_flag=True,
    help="Also ask every paraphrase of the selected cases (evals/paraphrases.yml) and report "
    "consistency per language: the same number or a question back, never a different one.",
)
@click.option("--quiet", is_flag=True, help="No per-case progress lines.")
@db_option
@json_option
@handles_errors
def command(
    suites: tuple[str, ...],
    planner: str,
    held_out: str,
    case_ids: tuple[str, ...],
    report_dir: Path,
    check_floors: bool,
    with_paraphrases: bool,
    quiet: bool,
    db: str | None,
    as_json: bool,
) -> None:
    """Ask every eval question end to end and compare with its independent check_sql.

    Reports accuracy per language and tag, the wrong-number rate, clarification/refusal
    correctness, p50/p95 latency and every failure with its reason.
    """
    from evals.cases import CaseFileError, load_cases
    from evals.report import (
        build_report,
        floor_violations,
        load_floors,
        summary_line,
        write_report,
    )
    from evals.runner import run_cases
    from tools.settings import load_settings, warehouse_url_from

    try:
        cases = load_cases(suites=suites, held_out=held_out)  # type: ignore[arg-type]
    except CaseFileError as exc:
        raise ConfigError(str(exc)) from exc
    if case_ids:
        cases = [c for c in cases if c.case.id in set(case_ids)]
    if not cases:
        raise ConfigError("No eval cases selected; check --suite, --case and --held-out.")
    url = warehouse_url_from(db, load_settings())
    assistant = make_assistant(url, planner)

    def progress(result: Any) -> None:
        if quiet or as_json:
            return
        mark = "✓" if result.passed else "✗"
        label = result.case_id if not result.held_out else f"{result.case_id} (held out)"
        click.echo(f"{mark} {label}" + ("" if result.passed else f"  {result.outcome}"), err=True)

    run = run_cases(cases, assistant, url, planner=planner, progress=progress)
    report = build_report(run)
    paraphrase_stats = None
    if with_paraphrases:
        from evals import paraphrases

        try:
            variants = paraphrases.load_paraphrases([c for c in cases if not c.case.held_out])
        except CaseFileError as exc:
            raise ConfigError(str(exc)) from exc
        para_run = run_cases(variants, assistant, url, planner=planner, progress=progress)
        paraphrase_stats = paraphrases.consistency(para_run.results)
        report["paraphrases"] = paraphrase_stats
    md, js = write_report(report, report_dir, stem=f"eval-{planner}")
    problems: list[str] = []
    if check_floors:
        floors = load_floors()
        dev = [r for r in run.results if not r.held_out]
        held = [r for r in run.results if r.held_out]
        problems = floor_violations(dev, floors, planner, "development")
        problems += floor_violations(held, floors, planner, "held_out")
        if paraphrase_stats is not None:
            problems += paraphrases.floor_violations(paraphrase_stats, floors.get(planner, {}))
    if as_json:
        emit_json(
            {
                "ok": not problems,
                "report_md": str(md),
                "report_json": str(js),
                "floor_violations": problems,
                **report,
            }
        )
    else:
        for part in ("development", "held_out"):
            if report[part]:
                click.echo(f"{part}: {summary_line(report[part])}")
        if paraphrase_stats is not None:
            for line in paraphrases.summary_lines(paraphrase_stats):
                click.echo(line)
        click.echo(f"report: {md} and {js}")
        for problem in problems:
            click.echo(f"below floor: {problem}", err=True)
    if problems:
        sys.exit(1)


if __name__ == "__main__":  # python -m evals.cli (also before the entry point is installed)
    command()
