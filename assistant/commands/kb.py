"""`servicepilot kb import|search`: the knowledge base of SOPs, FAQs and policies."""

from __future__ import annotations

from pathlib import Path

import click

from assistant.cli_support import emit_json, handles_errors, json_option

DEMO_KB = Path(__file__).resolve().parents[2] / "tools" / "knowledge" / "demo"

collection_option = click.option(
    "--collection",
    default=None,
    metavar="NAME",
    help="Knowledge-base collection (default: knowledge).",
)


@click.group(name="kb")
def command() -> None:
    """Knowledge base: import SOP/FAQ/policy documents, search them."""


@command.command("import")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--demo", is_flag=True, help="Import the bundled bilingual demo knowledge base.")
@click.option(
    "--prune", is_flag=True, help="Remove documents that are no longer in FOLDER from the index."
)
@collection_option
@json_option
@handles_errors
def import_cmd(
    folder: Path | None, demo: bool, prune: bool, collection: str | None, as_json: bool
) -> None:
    """Import the documents under FOLDER (Markdown, HTML; PDF and Word with the `documents`
    extra), chunked by heading. Re-running embeds only new or changed chunks."""
    from tools.errors import KnowledgeError
    from tools.knowledge.store import import_knowledge, open_knowledge_store

    if bool(folder) == demo:
        raise KnowledgeError("Give a FOLDER of documents or --demo (not both).")
    source = DEMO_KB if demo else folder
    assert source is not None
    report = import_knowledge(open_knowledge_store(collection, create=True), source, prune=prune)
    if as_json:
        emit_json({"ok": True, **report.to_dict()})
        return
    for d in report.documents:
        click.echo(
            f"{d.status:>9}  {d.doc_id}: {d.chunks} chunks, {d.embedded} embedded, "
            f"{d.removed} removed"
        )
    data = report.to_dict()
    click.echo(
        f"{report.collection}: {data['embedded']} chunks embedded, {data['removed']} removed, "
        f"{report.total_chunks} in the collection ({report.seconds:.1f}s)."
    )


@command.command("search")
@click.argument("text")
@click.option("--k", type=click.IntRange(1, 50), default=5, show_default=True)
@collection_option
@json_option
@handles_errors
def search_cmd(text: str, k: int, collection: str | None, as_json: bool) -> None:
    """The knowledge-base passages most similar to TEXT, with their document and heading."""
    from tools.knowledge.store import open_knowledge_store, search_knowledge

    hits = search_knowledge(open_knowledge_store(collection), text, k=k)
    if as_json:
        emit_json({"ok": True, "hits": [h.to_dict() for h in hits]})
        return
    if not hits:
        click.echo("  (no matching passages)")
    for h in hits:
        click.echo(f"{h.rank:>2}. {h.case_id}  [{h.metadata.get('heading', '')}]")
        body = h.text.split("\n", 1)[-1]
        click.echo(f"    {body[:200].replace(chr(10), ' / ')}")
