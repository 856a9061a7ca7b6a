"""The ingest writer: the one process that changes a live DuckDB warehouse (docs/ingest.md).

Ways in, all ending in ``store.apply_batch``:
- the **inbox** (``<ingest_dir>/inbox/``): batches posted to the server's HTTP endpoint, each
  one JSON file written atomically (tmp + fsync + rename) by ``Inbox.put``;
- the **drop folder** (``<ingest_dir>/drop/<mapping>/``): CSV/Parquet/Excel micro-batches read
  with an import mapping; a processed file moves to ``done/``, a refused one to ``refused/``
  with a ``.error.txt`` beside it;
- **pulls** (``tools.ingest.pull``): rows of a source database table newer than a watermark.
A batch is applied in one transaction that also records its id; its inbox file is removed only
after the commit. A writer killed at any moment therefore loses nothing (the file is still in
the inbox) and duplicates nothing (a batch applied before is recognised by its id, an event by
its (source, event_id)). Readers see the writer's work through published snapshots
(``tools.ingest.snapshot``), at most ``publish_every_s`` after the commit.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tools.errors import WarehouseError
from tools.ingest.events import validate_batch
from tools.ingest.snapshot import LIVE_KEY, live_path, publish
from tools.ingest.store import Batch, BatchResult, apply_batch
from tools.warehouse.engine import create_schema, make_engine
from tools.warehouse.schema import sp_meta

log = logging.getLogger(__name__)
PUBLISH_EVERY_S = 5.0


class Inbox:
    """Durable hand-over from the HTTP endpoint (any number of server workers) to the writer."""

    def __init__(self, ingest_dir: Path) -> None:
        self.new = Path(ingest_dir) / "inbox"
        self.tmp = Path(ingest_dir) / "inbox.tmp"

    def put(self, source: str, events: Any, origin: str = "http") -> str:
        """Store one posted batch; returns its batch id. Durable when this returns."""
        self.new.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        batch_id = uuid.uuid4().hex
        body = {
            "batch_id": batch_id,
            "source": source,
            "origin": origin,
            "received_at": datetime.now().isoformat(timespec="microseconds"),
            "events": events,
        }
        name = f"{time.time_ns():020d}-{batch_id}.json"
        tmp = self.tmp / name
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(body, handle, ensure_ascii=False, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.new / name)
        return batch_id

    def pending(self) -> list[Path]:
        return sorted(self.new.glob("*.json")) if self.new.exists() else []


@dataclass
class WriterStats:
    batches: int = 0
    events: int = 0
    new_events: int = 0
    quarantined: int = 0
    published: int = 0
    last_publish: float = 0.0


class IngestWriter:
    """Owns ``<warehouse>.live.duckdb`` and publishes it as ``warehouse``.

    ``pulls``: callables taking the writer's connection (in a transaction) and returning a
    Batch or None (``tools.ingest.pull.TablePull``)."""

    def __init__(
        self,
        warehouse: Path,
        ingest_dir: Path,
        *,
        publish_every_s: float = PUBLISH_EVERY_S,
        pulls: list[Callable[[sa.Connection], Batch | None]] | None = None,
        drop_mappings: dict[str, Any] | None = None,
    ) -> None:
        self.warehouse = Path(warehouse).resolve()
        self.live = live_path(self.warehouse)
        self.ingest_dir = Path(ingest_dir)
        self.inbox = Inbox(self.ingest_dir)
        self.publish_every_s = publish_every_s
        self.pulls = pulls or []
        self.drop_mappings = drop_mappings  # None: every built-in and file mapping by name
        self.stats = WriterStats()
        self._dirty = False
        self._lock_handle: Any = None
        self.engine: sa.Engine | None = None

    # ----------------------------------------------------------------------- lifecycle

    def open(self) -> IngestWriter:
        self.ingest_dir.mkdir(parents=True, exist_ok=True)
        self._lock_handle = (self.ingest_dir / "writer.lock").open("w")
        try:
            fcntl.flock(self._lock_handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_handle.close()
            raise WarehouseError(
                f"Another ingest writer is running for {self.ingest_dir} (it holds "
                f"{self.ingest_dir / 'writer.lock'}). Run one writer per warehouse."
            ) from None
        if not self.live.exists() and self.warehouse.exists():
            shutil.copyfile(self.warehouse, self.live)  # start from the published warehouse
        self.engine = make_engine(f"duckdb:///{self.live}")
        create_schema(self.engine)
        with self.engine.begin() as conn:
            lineage = sp_meta.c.key == LIVE_KEY
            if conn.execute(sa.select(sp_meta.c.value).where(lineage)).first() is None:
                conn.execute(sp_meta.insert().values(key=LIVE_KEY, value=uuid.uuid4().hex))
        if not self.warehouse.exists():
            self.publish()
        return self

    def close(self) -> None:
        if self.engine is not None:
            if self._dirty:
                self.publish()
            self.engine.dispose()
            self.engine = None
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    def __enter__(self) -> IngestWriter:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------- work

    def apply(self, batch: Batch) -> BatchResult:
        assert self.engine is not None, "open() the writer first"
        with self.engine.begin() as conn:
            result = apply_batch(conn, batch)
        self._count(result)
        return result

    def _count(self, result: BatchResult) -> None:
        if result.status == "applied":
            self._dirty = True
            self.stats.batches += 1
            self.stats.events += result.events
            self.stats.new_events += result.new_events
            self.stats.quarantined += result.quarantined

    def step(self) -> int:
        """Apply everything waiting (inbox, drop folder, pulls); returns the batches applied."""
        done = 0
        for path in self.inbox.pending():
            try:
                batch = read_inbox_file(path)
            except (OSError, ValueError, KeyError, TypeError) as exc:  # not written by Inbox.put
                self._refuse(path, exc)
                continue
            self.apply(batch)
            path.unlink()  # only after the commit: a crash before this re-applies as a no-op
            done += 1
        done += self._drop_folder()
        for pull in self.pulls:
            assert self.engine is not None
            with self.engine.begin() as conn:
                batch = pull(conn)
                if batch is None:
                    continue
                result = apply_batch(conn, batch)
            self._count(result)
            done += 1
        return done

    def _refuse(self, path: Path, exc: Exception) -> None:
        """Move an unreadable inbox file aside (it would fail forever) with the reason."""
        refused = self.ingest_dir / "inbox.refused"
        refused.mkdir(exist_ok=True)
        os.replace(path, refused / path.name)
        (refused / (path.name + ".error.txt")).write_text(f"{type(exc).__name__}: {exc}\n")
        log.error("ingest: %s is not a batch (%s); moved to %s", path.name, exc, refused)

    def _drop_folder(self) -> int:
        from tools.ingest.drop import drop_files, process_drop_file

        done = 0
        for mapping_name, path in drop_files(self.ingest_dir / "drop", self.drop_mappings):
            assert self.engine is not None
            with self.engine.begin() as conn:
                result = process_drop_file(conn, path, mapping_name)
            if result is not None:
                self._count(result)
                done += 1
        return done

    def publish(self) -> None:
        assert self.engine is not None
        with self.engine.connect() as conn:
            publish(conn, self.live, self.warehouse)
        self._dirty = False
        self.stats.published += 1
        self.stats.last_publish = time.monotonic()

    def maybe_publish(self) -> bool:
        due = time.monotonic() - self.stats.last_publish >= self.publish_every_s
        if self._dirty and due:
            self.publish()
            return True
        return False

    def run(self, stop: threading.Event, poll_s: float = 0.2) -> None:
        """Apply and publish until ``stop`` is set."""
        while not stop.is_set():
            try:
                worked = self.step()
            except Exception:  # a bad file must not stop the writer: logged, retried
                log.exception("ingest step failed")
                worked = 0
            self.maybe_publish()
            if not worked:
                stop.wait(poll_s)


def read_inbox_file(path: Path) -> Batch:
    """An inbox file as a validated Batch (bad events become quarantine problems)."""
    body = json.loads(path.read_text(encoding="utf-8"))
    events, problems = validate_batch(body["events"])
    return Batch(
        body["batch_id"],
        body["source"],
        body.get("origin", "http"),
        datetime.fromisoformat(body["received_at"]),
        events,
        problems,
    )


def batch_id_of(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
