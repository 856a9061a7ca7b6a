"""``sp_schedule_run``: one row per (job, due time). A worker runs a due time only after
inserting its row; the primary key lets exactly one of several server workers win, so a
digest is never sent twice. Only the latest due time is ever claimed: after downtime a job
catches up once, not once per missed time. A job never seen before starts from its next due
time (its latest past one is recorded as skipped)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tools.audit import OpsStore, ops_metadata

SCHEDULE_RUN = sa.Table(
    "sp_schedule_run",
    ops_metadata,
    sa.Column("job", sa.String(60), primary_key=True),
    sa.Column("due_at", sa.DateTime, primary_key=True),
    sa.Column("worker", sa.String(100), nullable=False),
    sa.Column("claimed_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running | ok | failed | skipped
    sa.Column("finished_at", sa.DateTime),
    sa.Column("detail", sa.Text),
)


class ScheduleClaims:
    def __init__(self, store: OpsStore) -> None:
        self.store = store
        store.run(lambda: ops_metadata.create_all(store.engine, checkfirst=True))

    def last_due(self, job: str) -> datetime | None:
        def read() -> datetime | None:
            with self.store.engine.connect() as conn:
                query = sa.select(sa.func.max(SCHEDULE_RUN.c.due_at)).where(
                    SCHEDULE_RUN.c.job == job
                )
                return conn.execute(query).scalar()

        with self.store.lock:
            return self.store.run(read)

    def claim(
        self, job: str, due_at: datetime, worker: str, now: datetime, status: str = "running"
    ) -> bool:
        """Insert the (job, due time) row; False when another worker has it already."""

        def write() -> bool:
            try:
                with self.store.engine.begin() as conn:
                    conn.execute(
                        SCHEDULE_RUN.insert().values(
                            job=job, due_at=due_at, worker=worker, claimed_at=now, status=status
                        )
                    )
            except IntegrityError:
                return False
            return True

        with self.store.lock:
            return self.store.run(write)

    def finish(self, job: str, due_at: datetime, status: str, now: datetime, detail: str) -> None:
        def write() -> None:
            with self.store.engine.begin() as conn:
                conn.execute(
                    SCHEDULE_RUN.update()
                    .where(SCHEDULE_RUN.c.job == job, SCHEDULE_RUN.c.due_at == due_at)
                    .values(status=status, finished_at=now, detail=detail[:2000])
                )

        with self.store.lock:
            self.store.run(write)

    def runs(self, job: str | None = None) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            query = sa.select(SCHEDULE_RUN).order_by(SCHEDULE_RUN.c.due_at, SCHEDULE_RUN.c.job)
            if job is not None:
                query = query.where(SCHEDULE_RUN.c.job == job)
            with self.store.engine.connect() as conn:
                return [dict(r._mapping) for r in conn.execute(query)]

        with self.store.lock:
            return self.store.run(read)
