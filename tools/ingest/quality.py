"""The data-quality report (``servicepilot quality``): per source (the ``source`` column of every
contract table), what is wrong with the rows already in the warehouse, plus what imports
quarantined, and a score.

Checks (each counts problems, so one row with two problems counts twice):
- duplicates: tickets of the same source and customer whose description (the customer's own
  text; subjects are often category labels) is identical after normalising case, spaces and
  punctuation, created within ``days`` of the previous such ticket (the later ones count);
- missing required values: NULL or blank text in a NOT NULL contract column (the importer
  refuses these, other loaders may not);
- invalid codes: values of coded columns outside the contract codes plus the codes the source's
  built-in mapping declares (``codes:``);
- impossible timestamps: outside the importer's default window (2000-01-01 .. today + 1 day),
  or out of order (resolved before created, responded before sent, ...);
- quarantined rows: distinct file rows in ``sp_quarantine``.

Score = 100 x (1 - problems / (rows + quarantined rows)), floored at 0. Late arrivals: events
of live ingest received after the end of their own day (``tools.ingest.freshness``); None on a
warehouse without live ingest (file imports do not record per-row arrival times).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Date, DateTime, String, Text
from sqlalchemy.engine import Connection, Engine

from tools.importers.mapping import ChecksSpec, builtin_mappings, load_mapping
from tools.importers.validation import TIME_ORDER
from tools.ingest.freshness import late_arrivals
from tools.warehouse.codes import CODED_COLUMNS
from tools.warehouse.schema import CONTRACT_TABLES, metadata, sp_quarantine

DUPLICATE_DAYS = 7
EXAMPLES = 5  # ids kept per problem kind and source


@dataclass(frozen=True)
class SourceQuality:
    source: str
    rows: int  # over all contract tables
    duplicates: int
    missing_required: int
    invalid_codes: int
    impossible_timestamps: int
    quarantined_rows: int
    late_arrivals: int | None
    score: float
    examples: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class QualityReport:
    sources: tuple[SourceQuality, ...]
    duplicate_days: int
    window: tuple[date, date]  # plausible timestamps: [start, end)
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sources": [asdict(s) for s in self.sources],
            "duplicate_days": self.duplicate_days,
            "window": [d.isoformat() for d in self.window],
            "notes": list(self.notes),
        }


class _Tally:
    """Problem counts and example ids per source and kind."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.examples: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))

    def add(self, source: str, kind: str, count: int, examples: list[str]) -> None:
        self.counts[source][kind] += int(count)
        kept = self.examples[source][kind]
        kept.extend(examples[: max(EXAMPLES - len(kept), 0)])


def quality_report(engine: Engine, *, days: int = DUPLICATE_DAYS) -> QualityReport:
    """The report over every contract table present in the warehouse."""
    earliest, latest = ChecksSpec().window()
    tally = _Tally()
    rows: dict[str, int] = defaultdict(int)
    inspector = sa.inspect(engine)
    present = [t for t in CONTRACT_TABLES if inspector.has_table(t)]
    with engine.connect() as conn:
        for name in present:
            table = metadata.tables[name]
            for source, count in conn.execute(
                sa.select(table.c.source, sa.func.count()).group_by(table.c.source)
            ):
                rows[source] += count
            _missing(conn, table, tally)
            _codes(conn, table, tally)
            _timestamps(conn, table, earliest.to_pydatetime(), latest.to_pydatetime(), tally)
        if "tickets" in present:
            _duplicates(conn, days, tally)
        quarantined = _quarantined(conn) if inspector.has_table(sp_quarantine.name) else {}
        late = late_arrivals(conn)
    sources = []
    for source in sorted(set(rows) | set(quarantined)):
        counts = tally.counts.get(source, {})
        problems = sum(counts.values()) + quarantined.get(source, 0)
        base = rows.get(source, 0) + quarantined.get(source, 0)
        score = round(max(0.0, 100 * (1 - problems / base)), 1) if base else 0.0
        sources.append(
            SourceQuality(
                source=source,
                rows=rows.get(source, 0),
                duplicates=counts.get("duplicates", 0),
                missing_required=counts.get("missing_required", 0),
                invalid_codes=counts.get("invalid_codes", 0),
                impossible_timestamps=counts.get("impossible_timestamps", 0),
                quarantined_rows=quarantined.get(source, 0),
                late_arrivals=late.get(source),
                score=score,
                examples={k: v for k, v in tally.examples.get(source, {}).items() if v},
            )
        )
    notes = (
        "late_arrivals: events of live ingest received after the end of their own day "
        "(None where no arrival times are recorded: file imports before live ingest).",
    )
    window = (earliest.date(), latest.date())
    return QualityReport(tuple(sources), days, window, notes)


def _key(table: sa.Table) -> sa.Column:
    return next(iter(table.primary_key.columns))


def _missing(conn: Connection, table: sa.Table, tally: _Tally) -> None:
    required = [c for c in table.columns if not c.nullable and not c.primary_key]
    required.append(_key(table))
    for column in required:
        blank = column.is_(None)
        if isinstance(column.type, String | Text):
            blank = sa.or_(blank, sa.func.trim(column) == "")
        _count(conn, table, blank, tally, "missing_required", f"{table.name}.{column.name}")


def _codes(conn: Connection, table: sa.Table, tally: _Tally) -> None:
    for (name, column_name), codes in CODED_COLUMNS.items():
        if name != table.name:
            continue
        column = table.c[column_name]
        statement = (
            sa.select(table.c.source, column, sa.func.count())
            .where(column.is_not(None), column.not_in(codes))
            .group_by(table.c.source, column)
        )
        for source, value, count in conn.execute(statement):
            if value in _declared_codes(source).get(f"{name}.{column_name}", ()):
                continue
            tally.add(source, "invalid_codes", count, [f"{name}.{column_name}={value!r}"])


def _declared_codes(source: str) -> dict[str, tuple[str, ...]]:
    """Codes the built-in mapping(s) of ``source`` declare, e.g. CFPB's US census regions."""
    return _all_declared_codes().get(source, {})


@functools.cache
def _all_declared_codes() -> dict[str, dict[str, tuple[str, ...]]]:
    declared: dict[str, dict[str, tuple[str, ...]]] = defaultdict(dict)
    for path in builtin_mappings().values():
        spec = load_mapping(path).spec
        for key, codes in spec.codes.items():
            declared[spec.source][key] = declared[spec.source].get(key, ()) + tuple(codes)
    return dict(declared)


def _timestamps(
    conn: Connection, table: sa.Table, earliest: datetime, latest: datetime, tally: _Tally
) -> None:
    for column in table.columns:
        if not isinstance(column.type, Date | DateTime):
            continue
        outside = sa.or_(column < earliest, column >= latest)
        where = f"{table.name}.{column.name} outside {earliest:%Y-%m-%d}..{latest:%Y-%m-%d}"
        _count(conn, table, outside, tally, "impossible_timestamps", where)
    for name, earlier, later in TIME_ORDER:
        if name == table.name:
            wrong = table.c[later] < table.c[earlier]
            where = f"{name}.{later} before {earlier}"
            _count(conn, table, wrong, tally, "impossible_timestamps", where)


def _count(
    conn: Connection, table: sa.Table, condition: Any, tally: _Tally, kind: str, what: str
) -> None:
    key = _key(table)
    statement = (
        sa.select(table.c.source, sa.func.count(), sa.func.min(key))
        .where(condition)
        .group_by(table.c.source)
    )
    for source, count, example in conn.execute(statement):
        tally.add(source, kind, count, [f"{what}: {table.name} {example}"])


def _normalise(text: pd.Series) -> pd.Series:
    """Case, whitespace and punctuation removed (CJK characters are word characters)."""
    return text.str.lower().str.replace(r"[\W_]+", "", regex=True)


def _duplicates(conn: Connection, days: int, tally: _Tally) -> None:
    tickets = metadata.tables["tickets"]
    frame = pd.DataFrame(
        conn.execute(
            sa.select(
                tickets.c.ticket_id,
                tickets.c.source,
                tickets.c.customer_id,
                tickets.c.created_at,
                tickets.c.description,
            ).where(tickets.c.description.is_not(None))
        ).all(),
        columns=["ticket_id", "source", "customer_id", "created_at", "description"],
    )
    if frame.empty:
        return
    frame["text"] = _normalise(frame["description"])
    frame = frame[frame["text"] != ""].sort_values(["source", "customer_id", "text", "created_at"])
    same = (
        frame[["source", "customer_id", "text"]]
        .eq(frame[["source", "customer_id", "text"]].shift())
        .all(axis=1)
    )
    gap = frame["created_at"] - frame["created_at"].shift()
    duplicate = same & (gap <= timedelta(days=days))
    for source, part in frame[duplicate].groupby("source"):
        tally.add(source, "duplicates", len(part), part["ticket_id"].head(EXAMPLES).tolist())


def _quarantined(conn: Connection) -> dict[str, int]:
    q = sp_quarantine
    rows = sa.select(q.c.source, q.c.import_id, q.c.file_row).distinct().subquery()
    statement = sa.select(rows.c.source, sa.func.count()).group_by(rows.c.source)
    return {source: int(count) for source, count in conn.execute(statement)}
