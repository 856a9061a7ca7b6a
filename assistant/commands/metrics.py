"""`servicepilot metrics validate|list|show`: the certified KPI catalog from the terminal."""

from __future__ import annotations

import sys

import click

from assistant.cli_support import db_option, emit_json, handles_errors, json_option
from semantic_layer.loader import load_spec
from semantic_layer.smoke import smoke_test
from semantic_layer.validation import validate_static


@click.group(name="metrics")
def command() -> None:
    """Certified KPI definitions: validate the spec, list and show metrics."""


@command.command("validate")
@db_option
@json_option
@click.option(
    "--smoke/--no-smoke",
    default=None,
    help="Also run every metric against the warehouse (default: when --db is given).",
)
@handles_errors
def validate_cmd(db: str | None, as_json: bool, smoke: bool | None) -> None:
    """Check every spec file; list all problems with file:line and a fix. Exit 2 on errors."""
    loaded = load_spec()
    issues = validate_static(loaded)
    if (smoke if smoke is not None else db is not None) and not any(
        i.severity == "error" for i in issues
    ):
        from tools.settings import warehouse_url_from
        from tools.warehouse.engine import make_engine

        engine = make_engine(warehouse_url_from(db), read_only=True)
        try:
            issues += smoke_test(loaded, engine)
        finally:
            engine.dispose()
    errors = [i for i in issues if i.severity == "error"]
    if as_json:
        emit_json(
            {
                "ok": not errors,
                "metrics": len(loaded.spec.metrics),
                "issues": [i.to_dict() for i in issues],
            }
        )
    else:
        for issue in issues:
            click.echo(f"{issue.severity}: {issue}")
        click.echo(
            f"{len(loaded.spec.metrics)} metrics, {len(loaded.spec.models)} models: "
            f"{len(errors)} error(s), {len(issues) - len(errors)} warning(s)."
        )
    if errors:
        sys.exit(2)


@command.command("list")
@json_option
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", help="Label language.")
@handles_errors
def list_cmd(as_json: bool, lang: str) -> None:
    """List metrics with label, unit, whether they are certified, and the synonyms users say."""
    from semantic_layer.catalog_loader import default_catalog

    cat = default_catalog()
    rows = [
        {
            "name": m.name,
            "label": getattr(m.label, lang),
            "type": m.type,
            "unit": m.unit,
            "certified": m.certified,
            "owner": m.owner,
            "version": m.version,
            "synonyms": list(m.synonyms),
        }
        for m in cat.spec.metrics
    ]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        mark = "✓" if r["certified"] else " "
        click.echo(f"{mark} {r['name']:<34} {r['label']:<30} {r['unit']}")
        if r["synonyms"]:
            heading = "synonyms" if lang == "en" else "同义词"
            click.echo(f"    {heading}: {', '.join(r['synonyms'])}")


@command.command("show")
@click.argument("name")
@json_option
@handles_errors
def show_cmd(name: str, as_json: bool) -> None:
    """Show one metric's certified definition (accepts a synonym such as 满意度)."""
    from semantic_layer.catalog_loader import default_catalog

    cat = default_catalog()
    metric = cat.metric(cat.metric_for_synonym(name) or name)
    if as_json:
        emit_json(
            {
                **metric.model_dump(mode="json", exclude_none=True),
                "components": [vars(c) for c in cat.components(metric)],
            }
        )
        return
    click.echo(
        f"{metric.name} — {metric.label.en} / {metric.label.zh}"
        f"{'  [certified]' if metric.certified else ''}  v{metric.version}"
    )
    click.echo(
        f"  type: {metric.type}   unit: {metric.unit}   good: {metric.direction}   "
        f"owner: {metric.owner}"
    )
    click.echo(f"  en: {metric.description.en}")
    click.echo(f"  zh: {metric.description.zh}")
    for c in cat.components(metric):
        when = (
            f"snapshot at period end ({c.snapshot[0]}..{c.snapshot[1]})"
            if c.snapshot
            else (f"by {c.time_dimension}")
        )
        click.echo(f"  uses {c.model}.{c.measure} {when}")
    if metric.synonyms:
        click.echo(f"  synonyms: {', '.join(metric.synonyms)}")
    if metric.notes:
        click.echo(f"  notes: {metric.notes}")
