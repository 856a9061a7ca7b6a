"""`servicepilot cases index|search|themes|why`: similar resolved cases and root causes."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from assistant.cli_support import (
    db_option,
    emit_json,
    handles_errors,
    identity_options,
    json_option,
)
from tools.errors import CaseIndexError, CaseSearchError

collection_option = click.option(
    "--collection",
    default=None,
    metavar="NAME",
    help="Case collection (default: setting cases_collection, 'cases').",
)
filter_option = click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="FIELD=VALUE[,VALUE]",
    help="Metadata filter, repeatable: region=east, product_line=water_heater, "
    "created>=2026-06-01, created<2026-07-01.",
)
allow_option = click.option(
    "--allow",
    "allow",
    multiple=True,
    metavar="FIELD=VALUE[,VALUE]",
    help="Row-level access scope of the caller (e.g. region=east,north); rows outside it are "
    "never searched.",
)


def _access(allow: tuple[str, ...], role: Any = None) -> Any:
    """The search's access scope: the role's row filters, narrowed by --allow (which can never
    reach rows outside the role's)."""
    from tools.cases.search import AccessScope

    allowed: dict[str, list[str]] = {}
    for expr in allow:
        if "=" not in expr:
            raise CaseSearchError(f"--allow {expr!r} is not field=value[,value], e.g. region=east.")
        key, values = expr.split("=", 1)
        allowed.setdefault(key.strip(), []).extend(
            v.strip() for v in values.split(",") if v.strip()
        )
    for field, permitted in (role.row_filters if role is not None else {}).items():
        asked = allowed.get(field)
        outside = sorted(set(asked) - set(permitted)) if asked else []
        if outside:
            raise CaseSearchError(
                f"--allow {field}={','.join(outside)} is outside role '{role.name}' "
                f"({field}: {', '.join(permitted)}). Use values of the role or another --role."
            )
        allowed[field] = list(asked or permitted)
    return AccessScope.of(**allowed) if allowed else None


def _date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CaseSearchError(f"{flag} {value!r}: write dates as YYYY-MM-DD.") from exc


@click.group(name="cases")
def command() -> None:
    """Similar resolved cases: index complaint texts, search them, themes, root causes."""


@command.command("index")
@click.option(
    "--from-warehouse",
    "from_warehouse",
    is_flag=True,
    help="Index every ticket with a description from the warehouse (--db).",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Index the rows of a CSV file (plain or .gz).",
)
@click.option("--id-column", default=None, help="CSV column with the case id.")
@click.option("--text-column", default=None, help="CSV column with the complaint text.")
@click.option(
    "--meta-columns",
    default="",
    metavar="C1,C2",
    help="CSV columns stored as filterable metadata (comma-separated).",
)
@click.option("--resolution-column", default=None, help="CSV column with the resolution.")
@click.option("--batch-size", type=int, default=None, help="Cases per embedding batch.")
@click.option(
    "--since",
    "since",
    default=None,
    metavar="YYYY-MM-DD",
    help="With --from-warehouse: only tickets created on or after this day.",
)
@click.option(
    "--recent-days",
    type=click.IntRange(min=1),
    default=None,
    help="With --from-warehouse: only the last N days before the newest ticket.",
)
@click.option("--quiet", is_flag=True, help="No progress output.")
@collection_option
@db_option
@json_option
@handles_errors
def index_cmd(
    from_warehouse: bool,
    csv_path: Path | None,
    id_column: str | None,
    text_column: str | None,
    meta_columns: str,
    resolution_column: str | None,
    batch_size: int | None,
    since: str | None,
    recent_days: int | None,
    quiet: bool,
    collection: str | None,
    db: str | None,
    as_json: bool,
) -> None:
    """Embed and store case texts (PII masked first). Re-running adds only what changed; an
    interrupted run resumes where it stopped. Progress goes to stderr: a bar on a terminal, a
    line every 10 s otherwise, and with --json one JSON object per line ({"event": "progress",
    "phase": "start|indexing|export", "seen", "total", "added", ..., "cases_per_s", "eta_s"});
    stdout gets only the final result."""
    from tools.cases.indexer import index_cases
    from tools.cases.sources import (
        count_warehouse_cases,
        csv_records,
        resolve_since,
        warehouse_records,
    )
    from tools.cases.store import open_store
    from tools.settings import load_settings, warehouse_url_from

    if from_warehouse == bool(csv_path):
        raise CaseIndexError("Give exactly one source: --from-warehouse or --csv FILE.")
    settings = load_settings()
    store = open_store(collection, settings=settings, create=True)
    if csv_path:
        if not id_column or not text_column:
            raise CaseIndexError("--csv needs --id-column and --text-column.")
        metas = [c.strip() for c in meta_columns.split(",") if c.strip()]
        records = csv_records(
            csv_path,
            id_column=id_column,
            text_column=text_column,
            meta_columns=metas,
            resolution_column=resolution_column,
        )
        total = None
    else:
        url = warehouse_url_from(db, settings)
        start = resolve_since(url, since=_date(since, "--since"), recent_days=recent_days)
        total = count_warehouse_cases(url, start)
        records = warehouse_records(url, since=start)
    bar = not quiet and not as_json and sys.stderr.isatty()
    report = index_cases(
        store,
        records,
        batch_size=batch_size,
        total=total,
        progress=bar,
        on_progress=None if quiet or bar else _progress_printer(as_json),
    )
    if as_json:
        emit_json({"ok": True, **report.to_dict()})
    else:
        click.echo(
            f"{report.collection}: {report.seen} cases read, {report.added} added, "
            f"{report.updated} re-embedded, {report.metadata_only} metadata updated, "
            f"{report.unchanged} unchanged; {report.total} in the collection "
            f"({report.seconds:.1f}s). PII masked: "
            + (", ".join(f"{k} {v}" for k, v in sorted(report.pii_masked.items())) or "none")
        )


def _progress_printer(as_json: bool) -> Any:
    from tools.cases.progress import JsonLinesProgress, TextProgress

    return JsonLinesProgress(sys.stderr) if as_json else TextProgress(sys.stderr, every=10.0)


def _hits_text(hits: list[Any]) -> None:
    if not hits:
        click.echo("  (no matching cases)")
    if hits and hits[0].likely:
        # the category prior: why cases of these categories were lifted (marked "likely")
        click.echo(
            f"  likely {hits[0].likely_field}: "
            + ", ".join(f"{c} ({p:.0%})" for c, p in hits[0].likely)
        )
    for h in hits:
        meta = h.metadata
        where = " ".join(
            str(meta[k]) for k in ("region", "product_line", "category", "created") if meta.get(k)
        )
        dup = f" (+{len(h.duplicates)} identical)" if h.duplicates else ""
        field = h.metadata.get(h.likely_field) if h.likely_field else None
        boost = "  [likely]" if field is not None and field in dict(h.likely) else ""
        click.echo(
            f"{h.rank:>2}. {h.case_id}  score {h.score:.4f}  sim {h.similarity:.2f}  "
            f"{where}{dup}{boost}"
        )
        click.echo(f"    case: {h.text[:160].replace(chr(10), ' / ')}")
        if h.root_cause or h.resolution:
            click.echo(f"    root cause: {h.root_cause or '-'}; fix: {(h.resolution or '-')[:160]}")


@command.command("search")
@click.argument("text", required=False)
@click.option("--k", type=int, default=10, show_default=True, help="Cases to return.")
@filter_option
@click.option("--resolved-only", is_flag=True, help="Only resolved/closed cases.")
@allow_option
@click.option(
    "--mode", type=click.Choice(["hybrid", "dense", "lexical"]), default="hybrid", show_default=True
)
@click.option("--keep-duplicates", is_flag=True, help="Do not collapse identical texts.")
@click.option(
    "--queries",
    "queries_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Batch mode: a CSV with one query per row.",
)
@click.option("--text-column", default=None, help="Batch mode: column with the query text.")
@click.option("--id-column", default=None, help="Batch mode: column with a query id.")
@click.option(
    "--like",
    "like",
    default=None,
    metavar="CASE_ID",
    help="Cases similar to this indexed case (the case itself is excluded).",
)
@collection_option
@identity_options
@json_option
@handles_errors
def search_cmd(
    text: str | None,
    k: int,
    filters: tuple[str, ...],
    resolved_only: bool,
    allow: tuple[str, ...],
    mode: str,
    keep_duplicates: bool,
    queries_path: Path | None,
    text_column: str | None,
    id_column: str | None,
    like: str | None,
    collection: str | None,
    user: str,
    role: str,
    as_json: bool,
) -> None:
    """Most similar cases to TEXT (or to each row of --queries), with their resolution and
    root cause, and the root-cause distribution of the hits. Searches the rows --role may
    see (default: the local analyst); --allow narrows that further. The run is audited."""
    import time

    from assistant.audit_ops import open_audit_log, record_operation
    from assistant.roles import get_role
    from tools.cases.rootcause import summarize_root_causes
    from tools.cases.search import CaseFilters, search_cases, similar_to_case
    from tools.cases.store import open_store
    from tools.settings import load_settings

    if sum(map(bool, (text, queries_path, like))) != 1:
        raise CaseSearchError(
            "Give one of: the complaint TEXT, --queries FILE.csv, --like CASE_ID."
        )
    case_filters = CaseFilters.parse(list(filters), resolved_only=resolved_only)
    access = _access(allow, get_role(role))
    started = time.perf_counter()
    store = open_store(collection)
    opened = time.perf_counter()
    queries: list[tuple[str | None, str]]
    if queries_path:
        queries = _read_queries(queries_path, text_column, id_column)
    else:
        queries = [(like, like) if like else (None, text or "")]
    results = []
    query_seconds: list[float] = []
    for qid, qtext in queries:
        query_started = time.perf_counter()
        search = similar_to_case if like else search_cases
        hits = search(
            store,
            qtext,
            k=k,
            filters=case_filters,
            access=access,
            mode=mode,
            collapse_duplicates=not keep_duplicates,
        )
        results.append((qid, qtext, hits, summarize_root_causes(hits) if hits else None))
        # the first query also pays for loading the model and the BM25 index
        query_seconds.append(time.perf_counter() - query_started)
    audit = open_audit_log(load_settings())
    try:
        trouble = record_operation(
            audit,
            "cli",
            "cases_search",
            {"queries": len(queries), "k": k, "filters": list(filters), "allow": list(allow)},
            user=user,
            role=role,
            started=started,
            summary=f"{sum(len(r[2]) for r in results)} hit(s)",
        )
    finally:
        audit.store.close()
    if trouble:
        click.echo(f"warning: {trouble}", err=True)
    if as_json:
        from tools.pii import mask_pii

        payload = [
            {
                "query_id": qid,
                "query": mask_pii(q),
                "hits": [h.to_dict() for h in hits],
                "root_causes": summary.to_dict() if summary else None,
                "seconds": round(seconds, 3),
            }
            for (qid, q, hits, summary), seconds in zip(results, query_seconds, strict=True)
        ]
        timings = {
            "open_index_s": round(opened - started, 3),
            "search_s": round(sum(query_seconds), 3),
            "total_s": round(time.perf_counter() - started, 3),
        }
        emit_json(
            {
                "ok": True,
                "collection": store.name,
                "timings": timings,
                **({"results": payload} if queries_path else payload[0]),
            }
        )
        return
    for qid, _, hits, summary in results:
        if qid is not None:
            click.echo(f"== query {qid}")
        _hits_text(hits)
        if summary and summary.root_causes:
            click.echo(
                "  root causes: "
                + ", ".join(f"{r.root_cause} {r.count}" for r in summary.root_causes)
            )


def _read_queries(
    path: Path, text_column: str | None, id_column: str | None
) -> list[tuple[str | None, str]]:
    import pandas as pd

    if not text_column:
        raise CaseSearchError("--queries needs --text-column (the column with the query text).")
    if not path.exists():
        raise CaseSearchError(f"Query file {path} does not exist.")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in (text_column, id_column):
        if col and col not in frame.columns:
            raise CaseSearchError(
                f"{path}: no column {col!r}. Columns: {', '.join(frame.columns)}."
            )
    out: list[tuple[str | None, str]] = []
    for i, row in enumerate(frame.to_dict("records"), start=2):
        q = str(row[text_column]).strip()
        if not q:
            raise CaseSearchError(f"{path}, line {i}: empty {text_column!r}.")
        out.append((str(row[id_column]) if id_column else str(i - 1), q))
    return out


@command.command("themes")
@click.option("--start", required=True, help="Period start YYYY-MM-DD (inclusive).")
@click.option("--end", required=True, help="Period end YYYY-MM-DD (exclusive).")
@click.option(
    "--previous-start",
    default=None,
    help="Comparison period start (default: the same length just before).",
)
@click.option("--previous-end", default=None, help="Comparison period end (exclusive).")
@click.option("--n-themes", type=int, default=None, help="Number of themes (default: automatic).")
@filter_option
@allow_option
@collection_option
@json_option
@handles_errors
def themes_cmd(
    start: str,
    end: str,
    previous_start: str | None,
    previous_end: str | None,
    n_themes: int | None,
    filters: tuple[str, ...],
    allow: tuple[str, ...],
    collection: str | None,
    as_json: bool,
) -> None:
    """Complaint themes of a period and scope: keywords, volume, growth vs a previous period."""
    from tools.cases.search import CaseFilters
    from tools.cases.store import open_store
    from tools.cases.themes import compute_themes

    s, e = _date(start, "--start"), _date(end, "--end")
    assert s is not None and e is not None
    if e <= s:
        raise CaseSearchError(f"--end {e} must be after --start {s}.")
    ps = _date(previous_start, "--previous-start") or s - (e - s)
    pe = _date(previous_end, "--previous-end") or s
    report = compute_themes(
        open_store(collection),
        s,
        e,
        filters=CaseFilters.parse(list(filters)),
        access=_access(allow),
        previous=(ps, pe),
        n_themes=n_themes,
    )
    if as_json:
        emit_json({"ok": True, **report.to_dict()})
        return
    click.echo(f"{report.cases} cases {s}..{e} (previous {ps}..{pe}: {report.previous_cases})")
    for t in report.themes:
        growth = "new" if t.growth is None else f"x{t.growth:.1f}"
        click.echo(
            f"- [{t.theme_id}] {t.label}: {t.volume} cases ({growth}); "
            f"root causes {dict(t.top_root_causes)}; e.g. {', '.join(t.example_ids[:3])}"
        )


@command.command("why")
@click.argument("metric")
@click.option("--start", required=True, help="Period start YYYY-MM-DD (inclusive).")
@click.option("--end", required=True, help="Period end YYYY-MM-DD (exclusive).")
@click.option(
    "--previous-start",
    default=None,
    help="Comparison start (default: the period a metric answer compares with: the previous "
    "calendar months for whole months, else the same number of days before).",
)
@click.option("--previous-end", default=None, help="Comparison end (exclusive).")
@click.option(
    "--scope",
    "scope",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Restrict metric and themes, e.g. region=east (repeatable).",
)
@click.option(
    "--dimensions",
    default="region,channel,product_line,category",
    show_default=True,
    help="Dimensions to decompose the change by.",
)
@collection_option
@identity_options
@db_option
@json_option
@handles_errors
def why_cmd(
    metric: str,
    start: str,
    end: str,
    previous_start: str | None,
    previous_end: str | None,
    scope: tuple[str, ...],
    dimensions: str,
    collection: str | None,
    user: str,
    role: str,
    db: str | None,
    as_json: bool,
) -> None:
    """Why did METRIC change? Contributions by dimension (semantic layer) plus the complaint
    themes that grew in the same scope, with example ticket ids. Runs within the rows --role
    may see (default: the local analyst); the run is audited."""
    try:
        from tools.cases.why import explain_change
    except ImportError as exc:  # pragma: no cover - the semantic layer is missing
        click.echo(f"Error: `cases why` needs the semantic layer: {exc}", err=True)
        sys.exit(2)
    import time

    from assistant.app import build_app
    from assistant.authorize import authorize
    from assistant.planning.plans import RootCause
    from assistant.roles import get_role
    from semantic_layer.periods import comparison_range
    from semantic_layer.query import Filter, TimeRange
    from tools.settings import load_settings

    viewer = get_role(role)

    s, e = _date(start, "--start"), _date(end, "--end")
    assert s is not None and e is not None
    if e <= s:
        raise CaseSearchError(f"--end {e} must be after --start {s} (the end is exclusive).")
    before = comparison_range(TimeRange(start=s, end=e))  # what a metric answer compares with
    ps = _date(previous_start, "--previous-start") or before.start
    pe = _date(previous_end, "--previous-end") or before.end
    scope_map: dict[str, str] = {}
    for expr in scope:
        if "=" not in expr:
            raise CaseSearchError(f"--scope {expr!r} is not field=value, e.g. region=east.")
        key, value = expr.split("=", 1)
        scope_map[key.strip()] = value.strip()
    authorize(
        viewer,
        RootCause(
            metric=metric,
            period=TimeRange(start=s, end=e),
            compare_period=TimeRange(start=ps, end=pe),
            scope=tuple(Filter(field=k, op="=", values=(v,)) for k, v in scope_map.items()),
        ),
    )
    settings = load_settings()
    app = build_app(settings, "cli", warehouse=db)
    try:
        started = time.perf_counter()
        report = explain_change(
            metric,
            (s, e),
            (ps, pe),
            scope=scope_map,
            warehouse=app.engine,
            catalog=app.catalog,
            dimensions=[d.strip() for d in dimensions.split(",") if d.strip()],
            collection=collection,
            settings=settings,
            policy=viewer.policy,
            access=_access((), viewer),
        )
        arguments = {"metric": metric, "period": [s, e], "previous": [ps, pe], "scope": scope_map}
        trouble = app.api.record_operation(
            "cases_why", arguments, user=user, role=role, started=started, summary=report.summary()
        )
    finally:
        app.close()
    if trouble:
        click.echo(f"warning: {trouble}", err=True)
    if as_json:
        emit_json({"ok": True, **report.to_dict()})
        return
    click.echo(report.summary())


def _with_agent_assist() -> None:
    # `cases suggest` lives with the agent-assist code; it joins this group when it loads.
    from assistant.commands.assist import suggest_cmd

    command.add_command(suggest_cmd)


_with_agent_assist()
