"""Import one file into the warehouse: check, validate everything, then write all or nothing.

1. Hash the file and the mapping; if ``sp_imports`` already has that pair: "already imported".
2. Check the mapping's source columns exist in the file.
3. Pass 1 (read + map + validate, chunk by chunk): every problem is collected; mapped rows are
   spooled to Parquet files in a temp dir (memory stays bounded on million-row files); tables
   with ``dedupe: true`` are reduced to one row per id in memory (they are small).
4. Any problem -> ``ImportValidationError`` with all of them; nothing was written.
5. Pass 2 (write): ONE transaction for every table of the file plus the ``sp_imports`` record.
   Rows whose primary key already exists in the warehouse are **skipped** (insert-only: an
   overlapping newer export adds its new rows and never rewrites history); the counts are
   reported as ``skipped``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection
from tqdm import tqdm

from semantic_layer.errors import did_you_mean
from tools.customers.segments import build_customer_segments
from tools.errors import ImportValidationError
from tools.importers.mapping import MappingFile, load_mapping
from tools.importers.readers import (
    ROW_NUMBERING,
    count_rows,
    detect_kind,
    iter_chunks,
    read_header,
)
from tools.importers.transforms import arrow_schema, map_table
from tools.importers.validation import (
    DuplicateTracker,
    ProblemLog,
    check_frame,
    describe,
    primary_key,
)
from tools.warehouse.engine import create_schema, duckdb_path, is_duckdb, make_engine, write_frame
from tools.warehouse.schema import metadata, sp_imports, sp_quarantine

CHUNK_ROWS = 100_000
_EXISTS_BATCH = 5_000


class ImportResult(BaseModel):
    """What an import did (the CLI prints it; ``--json`` prints it as is)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool = True
    status: Literal["imported", "already_imported", "dry_run"]
    file: str
    mapping: str
    file_sha256: str
    mapping_sha256: str
    rows_read: int
    rows: dict[str, int]
    skipped: dict[str, int]
    deduplicated: dict[str, int]
    problems: list[str] = []
    quarantined_rows: int = 0  # source rows not written, each recorded in sp_quarantine
    quarantined_problems: int = 0
    warnings: list[str] = []  # rows imported with a change (truncated text, control chars)
    total_warnings: int = 0
    row_numbering: str = ROW_NUMBERING
    elapsed_s: float


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# Tables the customer segments are computed from: an import into one of them rebuilds them.
SEGMENT_SOURCES = ("orders", "tickets", "surveys", "customers")


def import_file(
    path: str | Path,
    mapping: MappingFile | str | Path,
    url: str,
    *,
    dry_run: bool = False,
    quiet: bool = True,
    chunk_rows: int = CHUNK_ROWS,
    on_bad_rows: Literal["refuse", "quarantine"] | None = None,
) -> ImportResult:
    """Import ``path`` into the warehouse at ``url`` using ``mapping`` (a loaded mapping, a
    YAML path, or a built-in name such as ``cfpb``). Raises ``ImportValidationError`` (nothing
    written) when any value is bad, ``MappingError`` when the mapping is invalid."""
    started = time.perf_counter()
    path = Path(path)
    if not path.is_file():
        raise ImportValidationError([f"{path}: file not found. Check the path."])
    mapping_file = mapping if isinstance(mapping, MappingFile) else load_mapping(mapping)
    spec = mapping_file.spec
    quarantine = (on_bad_rows or spec.checks.on_bad_rows) == "quarantine"
    kind = detect_kind(path)
    file_hash = file_sha256(path)

    def result(status: str, **kwargs: object) -> ImportResult:
        return ImportResult(
            status=status,
            file=str(path),
            mapping=spec.name,
            file_sha256=file_hash,
            mapping_sha256=mapping_file.sha256,
            elapsed_s=round(time.perf_counter() - started, 3),
            **kwargs,
        )

    db_exists = not (is_duckdb(url) and (p := duckdb_path(url)) is not None and not p.exists())
    engine = make_engine(url) if (db_exists or not dry_run) else None
    try:
        if engine is not None:
            if not dry_run:
                create_schema(engine)
            previous = _previous_import(engine, file_hash, mapping_file.sha256)
            if previous is not None:
                return result(
                    "already_imported",
                    rows_read=0,
                    rows={t: 0 for t in spec.tables},
                    skipped=previous,
                    deduplicated={},
                )

        _check_source_columns(path, kind, mapping_file)
        with tempfile.TemporaryDirectory(prefix="sp-import-") as spool_dir:
            staged = _stage(
                path, kind, mapping_file, Path(spool_dir), quiet, chunk_rows, quarantine
            )
            if dry_run:
                skipped = _count_existing(engine, staged) if engine is not None else {}
                return result(
                    "dry_run",
                    rows_read=staged.rows_read,
                    rows={t: n - skipped.get(t, 0) for t, n in staged.counts.items()},
                    skipped=skipped,
                    deduplicated=staged.deduplicated,
                    **staged.report(),
                )
            assert engine is not None
            written, skipped = _write(engine, staged, mapping_file, path, file_hash, quiet)
            if any(written.get(t) for t in SEGMENT_SOURCES):
                build_customer_segments(engine)  # as of the new data end (one statement)
        return result(
            "imported",
            rows_read=staged.rows_read,
            rows=written,
            skipped=skipped,
            deduplicated=staged.deduplicated,
            **staged.report(),
        )
    finally:
        if engine is not None:
            engine.dispose()


def stage_file(
    path: Path, mapping_file: MappingFile, spool_dir: Path, *, quarantine: bool | None = None
) -> _Staged:
    """Pass 1 alone (read, map, validate, spool): the drop folder of live ingest turns the staged
    rows into events. Raises ``ImportValidationError`` like ``import_file``."""
    if quarantine is None:
        quarantine = mapping_file.spec.checks.on_bad_rows == "quarantine"
    kind = detect_kind(path)
    _check_source_columns(path, kind, mapping_file)
    return _stage(path, kind, mapping_file, spool_dir, True, CHUNK_ROWS, quarantine)


# ------------------------------------------------------------------------------ checks


def _previous_import(engine: sa.Engine, file_hash: str, mapping_hash: str) -> dict | None:
    if not sa.inspect(engine).has_table("sp_imports"):
        return None
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(sp_imports.c.rows_by_table).where(
                sp_imports.c.file_sha256 == file_hash, sp_imports.c.mapping_sha256 == mapping_hash
            )
        ).first()
    return None if row is None else {t: int(n) for t, n in json.loads(row[0]).items()}


def _check_source_columns(path: Path, kind: str, mapping_file: MappingFile) -> None:
    header = read_header(path, kind, mapping_file.spec.reader)  # type: ignore[arg-type]
    problems = []
    for source, targets in mapping_file.spec.source_columns().items():
        if source in header:
            continue
        hint = did_you_mean(source, header)
        problems.append(
            f"{path.name}: column '{source}' (needed for {', '.join(targets)}) is missing.{hint} "
            f"Columns in the file: {', '.join(repr(h) for h in header)}. Fix: rename the column "
            f"in the file or change the mapping {mapping_file.path.name}."
        )
    if problems:
        raise ImportValidationError(problems)


# --------------------------------------------------------------------- pass 1: staging


class _Staged:
    def __init__(self, spool_dir: Path) -> None:
        self.spool_dir = spool_dir
        self.counts: dict[str, int] = {}
        self.deduplicated: dict[str, int] = {}
        self.rows_read = 0
        self.dedupe_frames: dict[str, pd.DataFrame] = {}
        self.schemas: dict[str, pa.Schema] = {}
        self.log: ProblemLog | None = None

    def report(self) -> dict[str, object]:
        """The quarantine and warning fields of ImportResult."""
        log = self.log
        assert log is not None
        return {
            "quarantined_rows": len(log.bad_rows),
            "quarantined_problems": len(log.records),
            "problems": log.messages if log.keep_all else [],
            "warnings": log.warning_messages,
            "total_warnings": log.warning_total,
        }

    def spool_path(self, table: str) -> Path:
        return self.spool_dir / f"{table}.parquet"

    def batches(self, table: str, batch_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        if table in self.dedupe_frames:
            frame = self.dedupe_frames[table]
            for start in range(0, len(frame), batch_rows):
                yield frame.iloc[start : start + batch_rows]
            return
        spool = self.spool_path(table)
        if spool.exists():
            for batch in pq.ParquetFile(spool).iter_batches(batch_size=batch_rows):
                yield batch.to_pandas()


def _stage(
    path: Path,
    kind: str,
    mapping_file: MappingFile,
    spool_dir: Path,
    quiet: bool,
    chunk_rows: int,
    quarantine: bool = False,
) -> _Staged:
    spec = mapping_file.spec
    log = ProblemLog(path.name, keep_all=quarantine)
    duplicates = DuplicateTracker()
    seen_ids: dict[str, set] = {}  # quarantine mode: ids already staged, per table
    staged = _Staged(spool_dir)
    staged.log = log
    writers: dict[str, pq.ParquetWriter] = {}
    raw_counts = dict.fromkeys(spec.tables, 0)
    total = count_rows(path, kind, spec.reader)  # type: ignore[arg-type]
    bar = tqdm(
        total=total,
        desc=f"read+validate {path.name}",
        unit="rows",
        disable=quiet,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    try:
        for chunk in iter_chunks(path, kind, spec.reader, chunk_rows):  # type: ignore[arg-type]
            staged.rows_read += len(chunk.frame)
            frames: dict[str, pd.DataFrame] = {}
            for table in spec.tables:
                frame, reported = map_table(spec, table, chunk.frame, chunk.rows, log)
                check_frame(spec, table, frame, chunk.rows, log, reported)
                frames[table] = frame
            keep = None
            if quarantine:
                keep = _quarantine_chunk(spec, frames, chunk.rows, log, seen_ids)
            for table, tspec in spec.tables.items():
                frame, rows = frames[table], chunk.rows
                if keep is not None:
                    frame, rows = frame[keep].reset_index(drop=True), rows[keep]
                raw_counts[table] += len(frame)
                key = primary_key(table)
                if tspec.dedupe:
                    staged.dedupe_frames[table] = _reduce(
                        spec, table, staged.dedupe_frames.get(table), frame, key
                    )
                    continue
                if not quarantine:
                    duplicates.add(table, frame[key], rows)
                    if log.total:  # no point spooling rows that will never be written
                        continue
                schema = staged.schemas.setdefault(table, arrow_schema(spec, table))
                if table not in writers:
                    writers[table] = pq.ParquetWriter(staged.spool_path(table), schema)
                writers[table].write_table(_to_arrow(frame, schema))
            bar.update(len(chunk.frame))
    finally:
        bar.close()
        for writer in writers.values():
            writer.close()
    if staged.rows_read == 0:
        raise ImportValidationError(
            [
                f"{path.name} row 2: 0 data rows (the file has only a header, or only blank "
                "rows); nothing to import. Fix: check the export's filter or pick the right file."
            ]
        )
    if not quarantine:
        duplicates.report(spec, log)
        if log.total:
            raise ImportValidationError(log.messages, total=log.total)
    for table, tspec in spec.tables.items():
        if tspec.dedupe:
            frame = staged.dedupe_frames.get(table, pd.DataFrame())
            staged.counts[table] = len(frame)
            staged.deduplicated[table] = raw_counts[table] - len(frame)
            staged.dedupe_frames[table] = (
                _to_arrow(frame, arrow_schema(spec, table)).to_pandas() if len(frame) else frame
            )
        else:
            staged.counts[table] = raw_counts[table]
            staged.deduplicated[table] = 0
    return staged


def _quarantine_chunk(
    spec,  # noqa: ANN001
    frames: dict[str, pd.DataFrame],
    rows: np.ndarray,
    log: ProblemLog,
    seen_ids: dict[str, set],
) -> np.ndarray:
    """The rows of this chunk to keep: rows without problems, minus ids repeated earlier in
    the file (recorded as problems). A bad source row is kept out of every table it feeds."""
    keep = ~np.isin(rows, np.fromiter(log.bad_rows, dtype=np.int64, count=len(log.bad_rows)))
    for table, tspec in spec.tables.items():
        if tspec.dedupe:
            continue
        key = primary_key(table)
        keys = frames[table][key]
        seen = seen_ids.setdefault(table, set())
        repeated = (keys.isin(seen) | keys.duplicated()).to_numpy() & keep & keys.notna().to_numpy()
        if repeated.any():
            what = describe(table, key, spec.tables[table].columns[key])
            log.add_rows(
                rows[repeated],
                f"{what}: duplicate id; the same id appears in an earlier row of the file. "
                "Fix: remove the repeated row or make the ids unique.",
                field=what,
                values=keys[repeated],
            )
            keep &= ~repeated
        seen.update(keys[keep].dropna())
    return keep


def _reduce(
    spec,
    table: str,
    acc: pd.DataFrame | None,
    frame: pd.DataFrame,  # noqa: ANN001
    key: str,
) -> pd.DataFrame:
    """One row per id: the first non-blank value of each column, or min/max where the column
    says ``reduce``."""
    frame = frame[frame[key].notna()]
    both = frame if acc is None else pd.concat([acc, frame], ignore_index=True)
    how = {
        name: (col.reduce or "first")
        for name, col in spec.tables[table].columns.items()
        if name != key
    }
    how["source"] = "first"
    return both.groupby(key, sort=False, as_index=False, dropna=True).agg(how)


def _to_arrow(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    columns = []
    for field in schema:
        values = frame[field.name]
        if pa.types.is_date32(field.type):
            array = pa.array(pd.to_datetime(values), from_pandas=True).cast(pa.date32())
        else:
            array = pa.array(values, type=field.type, from_pandas=True)
        columns.append(array)
    return pa.Table.from_arrays(columns, schema=schema)


# ---------------------------------------------------------------------- pass 2: writing


def _existing_ids(conn: Connection, table: str, ids: list[str]) -> set[str]:
    column = metadata.tables[table].c[primary_key(table)]
    found: set[str] = set()
    for start in range(0, len(ids), _EXISTS_BATCH):
        part = ids[start : start + _EXISTS_BATCH]
        found.update(conn.execute(sa.select(column).where(column.in_(part))).scalars())
    return found


def _is_empty(conn: Connection, table: str) -> bool:
    sa_table = metadata.tables[table]
    return conn.execute(sa.select(sa.literal(1)).select_from(sa_table).limit(1)).first() is None


def _count_existing(engine: sa.Engine, staged: _Staged) -> dict[str, int]:
    inspector = sa.inspect(engine)
    skipped: dict[str, int] = {}
    with engine.connect() as conn:
        for table in staged.counts:
            if not inspector.has_table(table) or _is_empty(conn, table):
                skipped[table] = 0
                continue
            key = primary_key(table)
            skipped[table] = sum(
                len(_existing_ids(conn, table, batch[key].tolist()))
                for batch in staged.batches(table)
            )
    return skipped


def _write(
    engine: sa.Engine,
    staged: _Staged,
    mapping_file: MappingFile,
    path: Path,
    file_hash: str,
    quiet: bool,
) -> tuple[dict[str, int], dict[str, int]]:
    written = dict.fromkeys(staged.counts, 0)
    skipped = dict.fromkeys(staged.counts, 0)
    bar = tqdm(
        total=sum(staged.counts.values()),
        desc="write",
        unit="rows",
        disable=quiet,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    try:
        with engine.begin() as conn:
            for table in staged.counts:
                key = primary_key(table)
                check_existing = not _is_empty(conn, table)
                for batch in staged.batches(table):
                    if check_existing:
                        existing = _existing_ids(conn, table, batch[key].tolist())
                        if existing:
                            keep = ~batch[key].isin(existing)
                            skipped[table] += int((~keep).sum())
                            bar.update(int((~keep).sum()))
                            batch = batch[keep]
                    written[table] += write_frame(conn, table, batch.reset_index(drop=True))
                    bar.update(len(batch))
            import_id = hashlib.sha256(f"{file_hash}:{mapping_file.sha256}".encode()).hexdigest()
            imported_at = datetime.now().replace(microsecond=0)
            _write_quarantine(conn, staged, mapping_file, path, import_id, imported_at)
            record = {
                "import_id": import_id,
                "source": mapping_file.spec.source,
                "file_name": str(path.name)[:500],
                "file_sha256": file_hash,
                "mapping_sha256": mapping_file.sha256,
                "rows_by_table": json.dumps(written, sort_keys=True),
                "imported_at": imported_at,
            }
            conn.execute(sp_imports.insert().values(**record))
    finally:
        bar.close()
    return written, skipped


def _write_quarantine(
    conn: Connection,
    staged: _Staged,
    mapping_file: MappingFile,
    path: Path,
    import_id: str,
    imported_at: datetime,
) -> None:
    """Every problem of a quarantine-mode import, in the import's own transaction."""
    records = staged.log.records if staged.log is not None else []
    if not records:
        return
    frame = pd.DataFrame(
        {
            "import_id": import_id,
            "seq": np.arange(1, len(records) + 1),
            "source": mapping_file.spec.source,
            "file_name": str(path.name)[:500],
            "file_row": [p.row for p in records],
            "field": [p.field[:500] for p in records],
            "value": [p.value for p in records],
            "reason": [p.reason for p in records],
            "imported_at": imported_at,
        }
    )
    write_frame(conn, sp_quarantine.name, frame)
