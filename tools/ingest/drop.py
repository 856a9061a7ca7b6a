"""The drop folder: CSV/Parquet/Excel micro-batches read with an import mapping.

Layout: ``<ingest_dir>/drop/<mapping>/FILE`` where ``<mapping>`` is a built-in mapping name or
the stem of a mapping YAML in ``<ingest_dir>/mappings/``. Each mapped row becomes a record
event (a full record of its table), versioned by its newest timestamp, so a later export of
the same ticket with a resolution replaces the earlier one and an older export never does.
The file's rows are checked like ``servicepilot import`` (the mapping's ``on_bad_rows`` says
whether one bad row refuses the file or goes to quarantine). Files whose name starts with a dot,
or that changed in the last ``SETTLE_S`` seconds, are still being written and wait.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Connection

from tools.errors import ImportValidationError, MappingError
from tools.importers.loader import file_sha256, stage_file
from tools.importers.mapping import load_mapping
from tools.ingest.events import Problem, validate_batch
from tools.ingest.store import Batch, BatchResult, apply_batch

SUFFIXES = {".csv", ".txt", ".tsv", ".parquet", ".xlsx", ".xls"}
SETTLE_S = 2.0
_KINDS = {"tickets": "ticket", "surveys": "survey", "orders": "order", "customers": "customer"}


def drop_files(
    drop_dir: Path, mappings: dict[str, object] | None = None
) -> Iterator[tuple[str, Path]]:
    """(mapping name, file) for every settled file, oldest first within a mapping folder."""
    if not drop_dir.is_dir():
        return
    now = time.time()
    for folder in sorted(p for p in drop_dir.iterdir() if p.is_dir()):
        if mappings is not None and folder.name not in mappings:
            continue
        files = [
            p
            for p in folder.iterdir()
            if p.is_file()
            and p.suffix.lower() in SUFFIXES
            and not p.name.startswith(".")
            and now - p.stat().st_mtime >= SETTLE_S
        ]
        for path in sorted(files, key=lambda p: (p.stat().st_mtime, p.name)):
            yield folder.name, path


def _mapping_ref(drop_dir: Path, name: str) -> str | Path:
    local = drop_dir.parent / "mappings" / f"{name}.yml"
    return local if local.exists() else name


def process_drop_file(conn: Connection, path: Path, mapping_name: str) -> BatchResult | None:
    """Apply one dropped file in ``conn``'s transaction and move it to ``done/``; a file that
    cannot be read or is refused moves to ``refused/`` with the reason (returns None)."""
    try:
        mapping_file = load_mapping(_mapping_ref(path.parent.parent, mapping_name))
        with tempfile.TemporaryDirectory(prefix="sp-drop-") as spool:
            staged = stage_file(path, mapping_file, Path(spool))
            raw: list[dict] = []
            for table, kind in _KINDS.items():
                if table not in staged.counts:
                    continue
                for frame in staged.batches(table):
                    raw += _record_events(frame, table, kind)
            problems = [
                Problem(p.row, p.field, p.value, p.reason)
                for p in (staged.log.records if staged.log is not None else [])
            ]
    except (ImportValidationError, MappingError) as exc:
        _move(path, "refused", str(exc))
        return None
    events, invalid = validate_batch(raw) if raw else ([], [])
    batch = Batch(
        batch_id=file_sha256(path)[:32] + mapping_file.sha256[:32],
        source=mapping_file.spec.source,
        origin=path.name,
        received_at=datetime.fromtimestamp(path.stat().st_mtime),
        events=events,
        problems=problems + invalid,
    )
    result = apply_batch(conn, batch)
    _move(path, "done")
    return result


def _record_events(frame: pd.DataFrame, table: str, kind: str) -> list[dict]:
    """Rows of one mapped table as record events (plain JSON values)."""
    from tools.warehouse.schema import metadata

    sa_table = metadata.tables[table]
    key = sa_table.primary_key.columns.keys()[0]
    stamps = [c.name for c in sa_table.columns if c.name in frame and "DATETIME" in repr(c.type)]
    rows = json.loads(frame.to_json(orient="records", date_format="iso", date_unit="s"))
    newest = frame[stamps].max(axis=1) if stamps else pd.Series(pd.NaT, index=frame.index)
    events = []
    for row, version in zip(rows, newest, strict=True):
        entity_id = row.pop(key)
        row.pop("source", None)
        data = {k: v for k, v in row.items() if v is not None}
        stamp = version if pd.notna(version) else pd.Timestamp.now().floor("s")
        events.append(
            {"kind": kind, "id": entity_id, "event_time": stamp.isoformat(), "data": data}
        )
    return events


def _move(path: Path, where: str, error: str | None = None) -> None:
    target = path.parent / where
    target.mkdir(exist_ok=True)
    destination = target / path.name
    if destination.exists():  # the same name dropped again: keep both
        destination = target / f"{path.stem}.{time.time_ns()}{path.suffix}"
    shutil.move(path, destination)
    if error is not None:
        destination.with_name(destination.name + ".error.txt").write_text(error + "\n")
