"""One writer, many readers, no lock conflict (DuckDB): the writer publishes snapshot files.

DuckDB lets one process open a file read-write *or* many processes open it read-only. So the
ingest writer owns a private working file (``<warehouse>.live.duckdb``) and, every few seconds
after it changed, *publishes* it: CHECKPOINT (the file alone is then consistent), copy to a new
file in ``<warehouse>.snapshots/``, fsync, and switch the warehouse path — a symbolic link — to
it with one atomic rename. A reader that opened the previous snapshot keeps reading it (the file
lives while open), so a query never sees half a batch; the next connection a reader's pool hands
out notices the link now names another file and opens the new snapshot (``follow_snapshots``).
Any number of reader processes (server workers, CLI commands) work this way at once.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tools.warehouse.schema import sp_meta

LIVE_KEY = "live_lineage"  # sp_meta: set on a warehouse fed by the ingest writer
PUBLISHED_KEY = "live_published_at"
KEEP_SNAPSHOTS = 3


def live_path(warehouse: Path) -> Path:
    """The writer's working file for a published warehouse path."""
    return warehouse.with_name(warehouse.stem + ".live" + warehouse.suffix)


def snapshot_dir(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".snapshots")


def follow_snapshots(engine: Engine, path: Path) -> None:
    """Make ``engine`` open the snapshot ``path`` currently names, and drop a pooled connection
    once a newer snapshot is published (checked at each checkout: one ``readlink``).

    Connections open the resolved file name, never the link: DuckDB shares one database
    instance per file name within a process, so reopening the same name would return the old
    snapshot while any connection to it lives."""

    @sa.event.listens_for(engine, "do_connect")
    def _resolve(dialect: object, record: object, cargs: list, cparams: dict) -> None:
        target = os.path.realpath(path)
        record.info["sp_snapshot"] = target  # type: ignore[attr-defined]
        if "database" in cparams:
            cparams["database"] = target
        elif cargs:
            cargs[0] = target

    @sa.event.listens_for(engine, "checkout")
    def _check(dbapi_conn: object, record: object, proxy: object) -> None:
        if record.info.get("sp_snapshot") != os.path.realpath(path):  # type: ignore[attr-defined]
            raise sa.exc.DisconnectionError("a newer warehouse snapshot was published")


def publish(conn: Connection, live: Path, target: Path) -> Path:
    """Publish the writer's file ``live`` (open in ``conn``, no transaction running): copy it to
    a new snapshot file and switch the link ``target`` to it atomically. Returns the snapshot."""
    stamp = datetime.now().replace(microsecond=0).isoformat()
    with conn.begin():
        conn.execute(sp_meta.delete().where(sp_meta.c.key == PUBLISHED_KEY))
        conn.execute(sp_meta.insert().values(key=PUBLISHED_KEY, value=stamp))
    conn.exec_driver_sql("CHECKPOINT")
    folder = snapshot_dir(target)
    folder.mkdir(exist_ok=True)
    snapshot = folder / f"{time.time_ns():020d}.duckdb"
    partial = folder / f".{snapshot.name}.tmp"
    link = target.with_name(f".{target.name}.{os.getpid()}.link")
    try:
        shutil.copyfile(live, partial)
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, snapshot)
        link.unlink(missing_ok=True)
        os.symlink(f"{folder.name}/{snapshot.name}", link)
        os.replace(link, target)  # the switch: readers resolving target now get the new file
    finally:
        partial.unlink(missing_ok=True)
        link.unlink(missing_ok=True)
    _fsync_dir(target.parent)
    _prune(folder, keep=KEEP_SNAPSHOTS)
    return snapshot


def _fsync_dir(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)  # the rename itself survives a power cut
    finally:
        os.close(handle)


def _prune(folder: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` snapshots. A reader still reading a deleted one keeps
    its data (the file lives while open); one that resolved the link a moment ago finds the
    file, because only snapshots ``keep`` publishes old go."""
    snapshots = sorted(folder.glob("*.duckdb"))
    for old in snapshots[:-keep]:
        old.unlink(missing_ok=True)
        old.with_name(old.name + ".wal").unlink(missing_ok=True)
