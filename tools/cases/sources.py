"""Case sources: warehouse tickets, or any CSV with an id and a text column."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from semantic_layer.errors import did_you_mean
from tools.cases.records import RESOLVED_STATUSES, CaseRecord, clean_metadata, day_number
from tools.cases.text import case_text
from tools.errors import CaseIndexError
from tools.warehouse.engine import make_engine
from tools.warehouse.schema import products, tickets

__all__ = ["count_warehouse_cases", "csv_records", "warehouse_records"]


def _ticket_select(since: datetime | None = None) -> sa.Select:
    select = (
        sa.select(
            tickets.c.ticket_id,
            tickets.c.subject,
            tickets.c.description,
            tickets.c.resolution,
            tickets.c.root_cause,
            tickets.c.status,
            tickets.c.region,
            tickets.c.channel,
            tickets.c.category,
            tickets.c.ticket_type,
            tickets.c.language,
            tickets.c.created_at,
            tickets.c.source,
            products.c.product_name.label("product"),
            products.c.product_line,
        )
        .select_from(tickets.outerjoin(products, tickets.c.product_id == products.c.product_id))
        .where(tickets.c.description.is_not(None))
        .order_by(tickets.c.ticket_id)
    )
    return select if since is None else select.where(tickets.c.created_at >= since)


def resolve_since(url: str, *, since: date | None, recent_days: int | None) -> datetime | None:
    """``--since`` as given, or ``--recent-days`` counted back from the newest ticket."""
    if since is not None:
        return datetime.combine(since, datetime.min.time())
    if recent_days is None:
        return None
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            newest = conn.execute(sa.select(sa.func.max(tickets.c.created_at))).scalar_one()
    finally:
        engine.dispose()
    return None if newest is None else newest - timedelta(days=recent_days)


def count_warehouse_cases(url: str, since: datetime | None = None) -> int:
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            stmt = (
                sa.select(sa.func.count())
                .select_from(tickets)
                .where(tickets.c.description.is_not(None))
            )
            if since is not None:
                stmt = stmt.where(tickets.c.created_at >= since)
            return int(conn.execute(stmt).scalar_one())
    finally:
        engine.dispose()


def warehouse_records(
    url: str, *, chunk_rows: int = 5_000, since: datetime | None = None
) -> Iterator[CaseRecord]:
    """Every ticket with a description, read-only, streamed in chunks, ordered by ticket id."""
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True).execute(_ticket_select(since))
            while rows := result.fetchmany(chunk_rows):
                for r in rows:
                    created = r.created_at
                    yield CaseRecord(
                        case_id=str(r.ticket_id),
                        text=case_text(r.subject, r.description),
                        resolution=r.resolution,
                        metadata=clean_metadata(
                            {
                                "product": r.product,
                                "product_line": r.product_line,
                                "category": r.category,
                                "region": r.region,
                                "channel": r.channel,
                                "ticket_type": r.ticket_type,
                                "status": r.status,
                                "resolved": r.status in RESOLVED_STATUSES,
                                "root_cause": r.root_cause,
                                "language": r.language,
                                "created": created,
                                "created_day": day_number(created),
                                "source": r.source,
                            }
                        ),
                    )
    except sa.exc.SQLAlchemyError as exc:
        raise CaseIndexError(
            f"Cannot read tickets from the warehouse {url}: {exc}. Check --db points at a "
            "ServicePilot warehouse (`servicepilot warehouse status`)."
        ) from exc
    finally:
        engine.dispose()


def _check_columns(path: Path, have: Sequence[str], wanted: Sequence[str]) -> None:
    for col in wanted:
        if col not in have:
            hint = did_you_mean(col, list(have))
            raise CaseIndexError(
                f"{path}: no column {col!r}.{hint} Columns: {', '.join(have)}. "
                "Pass the right names with --id-column/--text-column/--meta-columns."
            )


def csv_records(
    path: Path | str,
    *,
    id_column: str,
    text_column: str,
    meta_columns: Sequence[str] = (),
    resolution_column: str | None = None,
    chunk_rows: int = 5_000,
) -> Iterator[CaseRecord]:
    """Cases from a CSV (plain or .gz). Rows with an empty text are skipped; a repeated id is
    an error naming both rows. ``status``/``created``-like meta columns feed the filters."""
    path = Path(path)
    if not path.exists():
        raise CaseIndexError(f"CSV file {path} does not exist.")
    header = list(pd.read_csv(path, nrows=0).columns)
    wanted = [id_column, text_column, *meta_columns]
    if resolution_column:
        wanted.append(resolution_column)
    _check_columns(path, header, wanted)
    seen: dict[str, int] = {}
    row_no = 1  # header is line 1
    for chunk in pd.read_csv(
        path,
        usecols=list(dict.fromkeys(wanted)),
        dtype=str,
        chunksize=chunk_rows,
        keep_default_na=False,
    ):
        for rec in chunk.to_dict("records"):
            row_no += 1
            case_id = str(rec[id_column]).strip()
            text = str(rec[text_column] or "").strip()
            if not case_id:
                raise CaseIndexError(f"{path}, line {row_no}: empty {id_column!r}.")
            if case_id in seen:
                raise CaseIndexError(
                    f"{path}, line {row_no}: id {case_id!r} repeats line {seen[case_id]}. "
                    f"Ids in {id_column!r} must be unique."
                )
            seen[case_id] = row_no
            if not text:
                continue
            meta: dict[str, object] = {
                c: rec[c] for c in meta_columns if c not in (id_column, text_column) and rec[c]
            }
            resolution = rec.get(resolution_column) if resolution_column else None
            status = str(meta.get("status", "")).lower()
            meta["resolved"] = bool(resolution) or status in RESOLVED_STATUSES
            for key in ("created", "created_at", "date", "Date received"):
                if key in meta and (day := day_number(str(meta[key]))) is not None:
                    meta["created_day"] = day
                    break
            meta["source"] = meta.get("source") or path.name
            yield CaseRecord(case_id, text, resolution or None, clean_metadata(meta))
