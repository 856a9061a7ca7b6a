"""The ingest writer: the one process that changes a live DuckDB warehouse (docs/ingest.md).

Ways in, all ending in ``store.apply_batch``:
- the **inbox** (``<ingest_dir>/inbox/``): batches posted to the server's HTTP endpoint, each
  one JSON file written atomically (tmp + fsync + rename) by ``Inbox.put``, already validated
  (the good events as columns, the problems as rows), so the writer stages it without
  validating each event again;
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

import contextlib
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

import orjson
import sqlalchemy as sa

from tools.errors import WarehouseError
from tools.ingest.events import Event, Problem, event_columns, validate_batch
from tools.ingest.snapshot import LIVE_KEY, live_path, publish
from tools.ingest.store import Batch, BatchResult, apply_batch, apply_batches, events_table
from tools.warehouse.engine import create_schema, make_engine
from tools.warehouse.schema import sp_meta

log = logging.getLogger(__name__)
PUBLISH_EVERY_S = 5.0
# While a backlog waits, a publish (a copy of the whole file) comes at most once per
# BACKLOG_PUBLISH_RATIO x its own last duration (so publishing takes <= ~10 % of the writer's
# time), and at least every BACKLOG_PUBLISH_MAX_S (the posted -> visible goal is p95 <= 60 s).
BACKLOG_PUBLISH_RATIO = 10.0
BACKLOG_PUBLISH_MAX_S = 20.0
# A backlog of inbox files is applied in one transaction up to this many events: a fold and a
# commit have a fixed cost, so a writer that fell behind catches up faster (docs/ingest.md).
GROUP_EVENTS = 20_000
# A running writer lets posts gather for up to LINGER_S (or LINGER_BYTES of inbox files) before
# applying them: a group of 1,000 events cost 68 µs of CPU per event, one of 5,000 28 µs, one of
# 20,000 21 µs (the fold, the commit and the rules have a fixed cost per group; measured).
LINGER_S = 1.0
LINGER_BYTES = 4 << 20
# DuckDB threads of the writer: one leaves the other core to the readers' queries (query p95
# is a goal), and under contention one thread folded a batch faster than two (measured).
WRITER_THREADS = 1
# An inbox file holding validated events (``Inbox.put``); a file without it holds the posted
# events as they came (written by an earlier version) and is validated when read.
INBOX_FORMAT = 2


class Inbox:
    """Durable hand-over from the HTTP endpoint (any number of server workers) to the writer."""

    def __init__(self, ingest_dir: Path) -> None:
        self.new = Path(ingest_dir) / "inbox"
        self.tmp = Path(ingest_dir) / "inbox.tmp"
        # files applied and committed, deleted by the writer's background thread
        self.applied = Path(ingest_dir) / "inbox.applied"

    def put(
        self,
        source: str,
        events: Any,
        origin: str = "http",
        validated: tuple[list[Event], list[Problem]] | None = None,
    ) -> str:
        """Store one posted batch (``events``: one event object or a list of them); returns its
        batch id. Durable when this returns. ``validated``: ``validate_batch(events)`` when
        the caller has it already (the HTTP endpoint answers with it)."""
        good, problems = validated if validated is not None else validate_batch(events)
        self.new.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        batch_id = uuid.uuid4().hex
        body = {
            "format": INBOX_FORMAT,
            "batch_id": batch_id,
            "source": source,
            "origin": origin,
            "received_at": datetime.now().isoformat(timespec="microseconds"),
            "events": event_columns(good),
            "problems": [p.to_list() for p in problems],
        }
        name = f"{time.time_ns():020d}-{batch_id}.json"
        tmp = self.tmp / name
        try:
            payload = orjson.dumps(body)
        except (orjson.JSONEncodeError, TypeError):  # a lone surrogate: escaped by json
            payload = json.dumps(body, default=str).encode()
        with tmp.open("wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.new / name)
        return batch_id

    def pending(self) -> list[Path]:
        return sorted(self.new.glob("*.json")) if self.new.exists() else []

    def has_pending(self) -> bool:
        """Whether a batch waits (stops at the first file; a backlog may be long)."""
        try:
            with os.scandir(self.new) as entries:
                return any(entry.name.endswith(".json") for entry in entries)
        except FileNotFoundError:
            return False


@dataclass
class WriterStats:
    batches: int = 0
    events: int = 0
    new_events: int = 0
    quarantined: int = 0
    published: int = 0
    last_publish: float = 0.0
    last_publish_s: float = 0.0  # how long the last publish took (wall)


class IngestWriter:
    """Owns ``<warehouse>.live.duckdb`` and publishes it as ``warehouse``.

    ``pulls``: callables taking the writer's connection (in a transaction) and returning a
    Batch or None (``tools.ingest.pull.TablePull``). ``after_commit``: callables run after
    each commit with the writer's engine and the ids its batches touched per table (the
    customer rules, ``tools.rules.on_ingest``). They run on a background thread, so ingest
    never waits for them (ids committed meanwhile are merged into their next call); their
    errors are logged and never stop ingest. ``flush_hooks()`` waits for them."""

    def __init__(
        self,
        warehouse: Path,
        ingest_dir: Path,
        *,
        publish_every_s: float = PUBLISH_EVERY_S,
        pulls: list[Callable[[sa.Connection], Batch | None]] | None = None,
        drop_mappings: dict[str, Any] | None = None,
        after_commit: list[Callable[[sa.Engine, dict[str, set[str]]], object]] | None = None,
        linger_s: float = LINGER_S,
    ) -> None:
        self.warehouse = Path(warehouse).resolve()
        self.live = live_path(self.warehouse)
        self.ingest_dir = Path(ingest_dir)
        self.inbox = Inbox(self.ingest_dir)
        self.publish_every_s = publish_every_s
        self.linger_s = linger_s  # run() only; step() called directly applies at once
        self.pulls = pulls or []
        self.drop_mappings = drop_mappings  # None: every built-in and file mapping by name
        self.after_commit = after_commit or []
        self.stats = WriterStats()
        self._dirty = False
        self._touched: dict[str, set[str]] = {}  # ids committed since the hooks last ran
        self._hooks_wake = threading.Condition()
        self._hooks_busy = False
        self._hooks_thread: threading.Thread | None = None
        self._hooks_stop = False
        self._lock_handle: Any = None
        self._deleter: threading.Thread | None = None
        self._deleter_wake = threading.Event()
        self._deleter_stop = False
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
        self._start_deleter()
        if not self.live.exists() and self.warehouse.exists():
            shutil.copyfile(self.warehouse, self.live)  # start from the published warehouse
        self.engine = make_engine(f"duckdb:///{self.live}")
        create_schema(self.engine)
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"SET threads = {WRITER_THREADS}")
            lineage = sp_meta.c.key == LIVE_KEY
            if conn.execute(sa.select(sp_meta.c.value).where(lineage)).first() is None:
                conn.execute(sp_meta.insert().values(key=LIVE_KEY, value=uuid.uuid4().hex))
        if not self.warehouse.exists():
            self.publish()
        return self

    def close(self) -> None:
        self._stop_hooks()
        self._stop_deleter()
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
        self._run_after_commit()
        return result

    def _run_after_commit(self) -> None:
        """Hand the ids committed so far to the hook thread (started on first use)."""
        if not self.after_commit:
            self._touched = {}
            return
        with self._hooks_wake:
            if self._hooks_thread is None:
                self._hooks_thread = threading.Thread(
                    target=self._hooks_loop, name="ingest-after-commit", daemon=True
                )
                self._hooks_thread.start()
            self._hooks_wake.notify_all()

    def _hooks_loop(self) -> None:
        while True:
            with self._hooks_wake:
                while not self._touched and not self._hooks_stop:
                    self._hooks_wake.wait()
                if not self._touched:
                    return  # stopping, nothing left
                touched, self._touched = self._touched, {}
                self._hooks_busy = True
            for hook in self.after_commit:
                try:
                    hook(self.engine, touched)
                except Exception:  # the batch is committed; a failing hook must not stop ingest
                    log.exception("ingest: after-commit hook %r failed", hook)
            with self._hooks_wake:
                self._hooks_busy = False
                self._hooks_wake.notify_all()

    def flush_hooks(self) -> None:
        """Wait until the hooks have seen every id committed so far."""
        with self._hooks_wake:
            while self._hooks_thread is not None and (self._touched or self._hooks_busy):
                self._hooks_wake.wait(0.1)

    def _stop_hooks(self) -> None:
        if self._hooks_thread is None:
            return
        with self._hooks_wake:
            self._hooks_stop = True
            self._hooks_wake.notify_all()
        self._hooks_thread.join()  # runs what was committed before stopping
        self._hooks_thread = None

    def _count(self, result: BatchResult) -> None:
        with self._hooks_wake:
            for table, ids in result.touched.items():
                self._touched.setdefault(table, set()).update(ids)
        if result.status == "applied":
            self._dirty = True
            self.stats.batches += 1
            self.stats.events += result.events
            self.stats.new_events += result.new_events
            self.stats.quarantined += result.quarantined

    def step(self, linger_s: float = 0.0) -> int:
        """Apply everything waiting (inbox, drop folder, pulls); returns the batches applied.
        ``linger_s``: leave the inbox for a later step while its oldest file is younger than
        this and the files are smaller than LINGER_BYTES (larger groups cost less per event)."""
        done = 0
        group: list[tuple[Path, Batch]] = []
        grouped = 0  # events in ``group``
        pending = self.inbox.pending()
        if linger_s > 0 and pending and not _ripe(pending, linger_s):
            pending = []
        for path in pending:
            try:
                batch = read_inbox_file(path)
            except (OSError, ValueError, KeyError, TypeError) as exc:  # not written by Inbox.put
                self._refuse(path, exc)
                continue
            group.append((path, batch))
            grouped += len(batch.events)
            if grouped >= GROUP_EVENTS:
                done += self._apply_group(group)
                group, grouped = [], 0
        done += self._apply_group(group)
        done += self._drop_folder()
        for pull in self.pulls:
            assert self.engine is not None
            with self.engine.begin() as conn:
                batch = pull(conn)
                if batch is None:
                    continue
                result = apply_batch(conn, batch)
            self._count(result)
            self._run_after_commit()
            done += 1
        return done

    def _apply_group(self, group: list[tuple[Path, Batch]]) -> int:
        """Apply inbox batches in one transaction; their files leave the inbox only after the
        commit (a crash before that re-applies them as no-ops). They are moved aside to
        ``inbox.applied/`` (a rename) and deleted there by a background thread: deleting a
        file whose blocks were fsync'd costs milliseconds on some disks (ext4 with online
        discard: 3 ms a file measured), which for posts of one event was most of the writer's
        time."""
        if not group:
            return 0
        assert self.engine is not None, "open() the writer first"
        with self.engine.begin() as conn:
            results = apply_batches(conn, [batch for _, batch in group])
        for result in results:
            self._count(result)
        for path, _ in group:
            os.replace(path, self.inbox.applied / path.name)
        self._deleter_wake.set()
        self._run_after_commit()
        return len(group)

    def _start_deleter(self) -> None:
        self.inbox.applied.mkdir(parents=True, exist_ok=True)
        self._deleter_stop = False
        self._deleter_wake.set()  # files left by a writer that stopped before deleting them
        self._deleter = threading.Thread(
            target=self._delete_applied, name="ingest-delete-applied", daemon=True
        )
        self._deleter.start()

    def _delete_applied(self) -> None:
        while True:
            self._deleter_wake.wait()
            self._deleter_wake.clear()
            with os.scandir(self.inbox.applied) as entries:
                names = [entry.name for entry in entries]
            for name in names:
                (self.inbox.applied / name).unlink(missing_ok=True)
            if self._deleter_stop and not self._deleter_wake.is_set():
                return

    def _stop_deleter(self) -> None:
        if self._deleter is None:
            return
        self._deleter_stop = True
        self._deleter_wake.set()
        self._deleter.join()
        self._deleter = None

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
                self._run_after_commit()
                done += 1
        return done

    def publish(self) -> None:
        assert self.engine is not None
        started = time.monotonic()
        with self.engine.connect() as conn:
            publish(conn, self.live, self.warehouse)
        self._dirty = False
        self.stats.published += 1
        self.stats.last_publish = time.monotonic()
        self.stats.last_publish_s = self.stats.last_publish - started

    def publish_interval(self) -> float:
        """Seconds between publishes now: ``publish_every_s``, longer while a backlog waits."""
        every = self.publish_every_s
        if self.inbox.has_pending():
            last = self.stats.last_publish_s
            stretched = min(BACKLOG_PUBLISH_MAX_S, BACKLOG_PUBLISH_RATIO * last)
            every = max(every, stretched)
        return every

    def maybe_publish(self) -> bool:
        if not self._dirty:
            return False
        if time.monotonic() - self.stats.last_publish >= self.publish_interval():
            self.publish()
            return True
        return False

    def run(self, stop: threading.Event, poll_s: float = 0.2) -> None:
        """Apply and publish until ``stop`` is set."""
        while not stop.is_set():
            try:
                worked = self.step(linger_s=self.linger_s)
            except Exception:  # a bad file must not stop the writer: logged, retried
                log.exception("ingest step failed")
                worked = 0
            self.maybe_publish()
            if not worked:
                stop.wait(poll_s)


def lower_priority(increment: int) -> int:
    """Lower this process's CPU priority by ``increment`` (``os.nice``; ``ingest run --nice``,
    10 by default): when the cores are busy, the readers' queries run first and the writer
    takes the time they leave (gathering larger, cheaper groups meanwhile). Returns the new nice
    value. On Linux the nice value belongs to each thread, so every thread already running is
    lowered too; threads started later (DuckDB's, the hooks') inherit it."""
    if increment <= 0:
        return os.getpriority(os.PRIO_PROCESS, 0)
    niceness = os.nice(increment)
    tasks = Path("/proc/self/task")
    if tasks.is_dir():
        current = threading.get_native_id()
        for task in tasks.iterdir():
            tid = int(task.name)
            if tid == current:
                continue
            # a thread that ended meanwhile, or one already lower
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, tid, niceness)
    return niceness


def _ripe(pending: list[Path], linger_s: float) -> bool:
    """Inbox files worth applying now: the oldest waited ``linger_s`` (its name starts with the
    time it was stored, in ns), or together they are large."""
    try:
        oldest_ns = int(pending[0].name.split("-", 1)[0])
    except ValueError:  # not named by Inbox.put: let step() refuse it now
        return True
    if time.time_ns() - oldest_ns >= linger_s * 1e9:
        return True
    size = 0
    for path in pending:
        try:
            size += path.stat().st_size
        except OSError:  # applied by now: ripe enough
            return True
        if size >= LINGER_BYTES:
            return True
    return False


def read_inbox_file(path: Path) -> Batch:
    """An inbox file as a Batch of validated events (bad events become quarantine problems)."""
    data = path.read_bytes()
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError:  # json's escapes orjson refuses (lone surrogates)
        body = json.loads(data)
    if body.get("format") == INBOX_FORMAT:
        events: Any = events_table(body["events"])
        problems = [Problem(int(seq), str(f), v, str(r)) for seq, f, v, r in body["problems"]]
    else:
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
