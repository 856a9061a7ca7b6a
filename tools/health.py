"""Health checks behind ``servicepilot doctor``, the server's ``/health`` endpoint and the UI
banner: the warehouse is reachable and still the one the server started on (an identity
check), the case index matches it, the embedding model loads, and the disk has room.

A warehouse's identity is its file (device, inode, size, modification time) for a DuckDB file,
plus a fingerprint of its content for every engine (the ``sp_meta`` build record, the ticket
count and the newest ticket time). A file moved away, overwritten or rebuilt under a running
server changes it.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from tools.errors import WarehouseError
from tools.ingest.snapshot import LIVE_KEY, PUBLISHED_KEY
from tools.warehouse.engine import duckdb_path, is_duckdb, make_engine, missing_contract_columns
from tools.warehouse.schema import sp_meta, tickets

__all__ = [
    "Check",
    "WarehouseIdentity",
    "WarehouseWatch",
    "check_disk",
    "check_index",
    "check_model",
    "check_warehouse",
    "warehouse_identity",
]

Status = Literal["ok", "warn", "fail"]
MIN_FREE_BYTES = 1 << 30  # below this the disk check warns; below a tenth of it, fails


@dataclass(frozen=True)
class Check:
    name: str  # warehouse | index | model | disk
    status: Status
    detail: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class WarehouseIdentity:
    file: tuple[int, int, int, int] | None  # (device, inode, size, mtime_ns) of a DuckDB file
    fingerprint: str  # hash of sp_meta, ticket count and newest ticket time

    def differences(self, other: WarehouseIdentity) -> list[str]:
        out = []
        if self.file != other.file:
            out.append("the database file was replaced or modified")
        if self.fingerprint != other.fingerprint:
            out.append("its content changed")
        return out


class WarehouseGone(WarehouseError):
    """The warehouse cannot be reached (file missing, server down, not a warehouse)."""


def _file_stat(url: str) -> tuple[int, int, int, int] | None:
    path = duckdb_path(url) if is_duckdb(url) else None
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError as exc:
        raise WarehouseGone(f"the DuckDB file {path} is gone ({exc.strerror})") from exc
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def warehouse_identity(url: str) -> WarehouseIdentity:
    """The warehouse's identity now; raises WarehouseGone when it cannot be read."""
    before = _file_stat(url)
    try:
        engine = make_engine(url, read_only=True, create_dir=False)
    except WarehouseError as exc:
        raise WarehouseGone(str(exc).rstrip(".")) from exc
    try:
        with engine.connect() as conn:
            meta: list[tuple[Any, ...]] = []
            if sa.inspect(conn).has_table("sp_meta"):
                meta = sorted(
                    tuple(r) for r in conn.execute(sa.select(sp_meta.c.key, sp_meta.c.value))
                )
            count, newest = conn.execute(
                sa.select(sa.func.count(), sa.func.max(tickets.c.created_at))
            ).one()
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise WarehouseGone(f"the warehouse cannot be read: {reason}") from exc
    finally:
        engine.dispose()
    if any(key == LIVE_KEY for key, _ in meta):
        # Fed by the ingest writer: its snapshots replace the file and add rows by design; the
        # identity is the writer's lineage (a rebuilt or other warehouse still differs).
        meta = [m for m in meta if m[0] != PUBLISHED_KEY]
        before, count, newest = None, "live", "live"
    digest = hashlib.sha256(repr((meta, count, str(newest))).encode()).hexdigest()[:16]
    return WarehouseIdentity(before, digest)


def check_warehouse(url: str, expected: WarehouseIdentity | None = None) -> Check:
    """Reachable, holding the contract tables, and (given ``expected``) unchanged."""
    try:
        now = warehouse_identity(url)
    except WarehouseGone as exc:
        return Check("warehouse", "fail", f"{exc}. Check --db / SERVICEPILOT_WAREHOUSE_URL.")
    engine = make_engine(url, read_only=True, create_dir=False)
    try:
        missing = missing_contract_columns(engine)
    except sa.exc.SQLAlchemyError as exc:
        missing = {"(schema)": [str(exc).splitlines()[0]]}
    finally:
        engine.dispose()
    if missing:
        cols = "; ".join(f"{t}: {', '.join(c)}" for t, c in sorted(missing.items()))
        return Check("warehouse", "fail", f"not a ServicePilot warehouse, missing {cols}.")
    if expected is not None and (diff := expected.differences(now)):
        return Check(
            "warehouse",
            "fail",
            f"changed since the server started ({'; '.join(diff)}): answers may mix the old "
            "and the new data. Restart the server.",
        )
    return Check("warehouse", "ok", f"reachable, fingerprint {now.fingerprint}")


def check_index(indexed: Callable[[], int], expected: Callable[[], int]) -> Check:
    """The case index holds one case per warehouse ticket with text (``indexed()`` and
    ``expected()`` count them; either may raise to say why it cannot)."""
    try:
        n_index = indexed()
    except Exception as exc:  # noqa: BLE001 - reported as the check's outcome
        return Check("index", "warn", f"no case index: {exc}")
    try:
        n_warehouse = expected()
    except Exception as exc:  # noqa: BLE001
        return Check("index", "warn", f"index has {n_index} cases; warehouse unreadable: {exc}")
    if n_index == n_warehouse:
        return Check("index", "ok", f"{n_index} cases, as many as warehouse tickets with text")
    return Check(
        "index",
        "warn",
        f"index has {n_index} cases, the warehouse {n_warehouse} tickets with text; run "
        "`servicepilot cases index --from-warehouse` to bring it up to date.",
    )


def check_model(load: Callable[[], Any]) -> Check:
    """The embedding model loads and embeds a sentence (``load()`` returns the vectors)."""
    started = time.perf_counter()
    try:
        vectors = load()
    except Exception as exc:  # noqa: BLE001
        return Check("model", "fail", f"the embedding model does not load: {exc}")
    dim = int(getattr(vectors, "shape", (0, 0))[-1])
    return Check("model", "ok", f"loaded, {dim} dimensions, {time.perf_counter() - started:.1f}s")


def check_disk(path: Path, min_free_bytes: int = MIN_FREE_BYTES) -> Check:
    """Free space where the data directory lives (its nearest existing ancestor)."""
    probe = Path(path).resolve()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    text = f"{free / (1 << 30):.1f} GiB free at {probe}"
    if free < min_free_bytes // 10:
        return Check("disk", "fail", text + "; imports and indexing will fail.")
    if free < min_free_bytes:
        return Check("disk", "warn", text + f"; keep at least {min_free_bytes >> 20} MiB free.")
    return Check("disk", "ok", text)


class WarehouseWatch:
    """The identity a server started with, and a cached check against it (a health probe or
    a browser tab every few seconds costs one fingerprint query per ``ttl_s``)."""

    def __init__(self, url: str, *, ttl_s: float = 10.0) -> None:
        self.url = url
        self.ttl_s = ttl_s
        self.started = warehouse_identity(url)
        self._lock = threading.Lock()
        self._cached: tuple[float, Check] | None = None

    def check(self) -> Check:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > self.ttl_s:
                self._cached = (now, check_warehouse(self.url, self.started))
            return self._cached[1]
