"""One writer, many readers, no lock conflict (DuckDB): the writer publishes snapshot files.

DuckDB lets one process open a file read-write *or* many processes open it read-only. So the
ingest writer owns a private working file (``<warehouse>.live.duckdb``) and, every few seconds
after it changed, *publishes* it: CHECKPOINT (the file alone is then consistent), copy to a
temporary file beside the warehouse, fsync, and ``os.replace`` onto the warehouse path — an
atomic rename. A reader that opened the old file keeps reading it (its inode lives while open),
so a query never sees half a batch; the next connection a reader's pool hands out notices the
path now names another inode and opens the new snapshot (``follow_snapshots``).
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tools.warehouse.schema import sp_meta

LIVE_KEY = "live_lineage"  # sp_meta: set on a warehouse fed by the ingest writer
PUBLISHED_KEY = "live_published_at"


def live_path(warehouse: Path) -> Path:
    """The writer's working file for a published warehouse path."""
    return warehouse.with_name(warehouse.stem + ".live" + warehouse.suffix)


def follow_snapshots(engine: Engine, path: Path) -> None:
    """Make ``engine``'s pool drop a connection whose file has been replaced by a newer
    snapshot (checked at each checkout: one ``stat``), so the next query reads the new one."""

    def inode() -> int | None:
        try:
            return path.stat().st_ino
        except OSError:
            return None

    @sa.event.listens_for(engine, "connect")
    def _remember(dbapi_conn: object, record: object) -> None:
        record.info["sp_inode"] = inode()  # type: ignore[attr-defined]

    @sa.event.listens_for(engine, "checkout")
    def _check(dbapi_conn: object, record: object, proxy: object) -> None:
        now = inode()
        if now is not None and record.info.get("sp_inode") != now:  # type: ignore[attr-defined]
            raise sa.exc.DisconnectionError("the warehouse snapshot was replaced")


def publish(conn: Connection, live: Path, target: Path) -> None:
    """Publish the writer's file ``live`` (open in ``conn``, no transaction running) as
    ``target``, atomically."""
    stamp = datetime.now().replace(microsecond=0).isoformat()
    with conn.begin():
        conn.execute(sp_meta.delete().where(sp_meta.c.key == PUBLISHED_KEY))
        conn.execute(sp_meta.insert().values(key=PUBLISHED_KEY, value=stamp))
    conn.exec_driver_sql("CHECKPOINT")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(live, tmp)
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)
