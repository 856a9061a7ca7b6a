"""Pull from a source database table by an ``updated_at`` watermark (any SQLAlchemy URL).

Each call reads up to ``batch_rows`` rows newer than the watermark, ordered by (updated_at, id)
— a keyset, so rows sharing one updated_at are neither skipped nor read twice — and returns
them as record events (version = updated_at) with the new watermark, which the writer stores
in ``sp_watermarks`` in the same transaction as the rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tools.ingest.events import TABLES, validate_batch
from tools.ingest.store import Batch
from tools.ingest.writer import batch_id_of
from tools.warehouse.schema import sp_watermarks


@dataclass
class TablePull:
    """Rows of ``table`` at ``url`` as ``kind`` records; ``columns`` maps source column ->
    warehouse column (unmapped columns with a warehouse name are taken as they are)."""

    url: str
    table: str
    kind: str
    source: str
    id_column: str
    updated_column: str = "updated_at"
    columns: dict[str, str] = field(default_factory=dict)
    batch_rows: int = 5_000
    _engine: sa.Engine | None = None

    @property
    def name(self) -> str:
        return f"{self.source}:{self.table}"

    def __call__(self, conn: Connection) -> Batch | None:
        last = conn.execute(
            sa.select(sp_watermarks.c.value).where(sp_watermarks.c.name == self.name)
        ).scalar()
        stamp, last_id = (None, None) if last is None else json.loads(last)
        if self._engine is None:
            self._engine = sa.create_engine(self.url)
        source_table = sa.Table(self.table, sa.MetaData(), autoload_with=self._engine)
        updated, key = source_table.c[self.updated_column], source_table.c[self.id_column]
        query = sa.select(source_table).order_by(updated, key).limit(self.batch_rows)
        if stamp is not None:
            # compare in the column's own type: a TEXT column holds its own spelling of a time
            typed = isinstance(updated.type, (sa.DateTime, sa.Date))
            at = datetime.fromisoformat(stamp) if typed else stamp
            query = query.where(sa.or_(updated > at, sa.and_(updated == at, key > last_id)))
        with self._engine.connect() as source_conn:
            frame = pd.read_sql(query, source_conn)
        if frame.empty:
            return None
        target = TABLES[self.kind]
        raw = []
        for row in json.loads(frame.to_json(orient="records", date_format="iso", date_unit="s")):
            data = {
                self.columns.get(k, k): v
                for k, v in row.items()
                if k not in (self.id_column, self.updated_column)
                and self.columns.get(k, k) in target.columns
                and v is not None
            }
            raw.append(
                {
                    "kind": self.kind,
                    "id": str(row[self.id_column]),
                    "event_time": row[self.updated_column],
                    "data": data,
                }
            )
        tail = frame.iloc[-1]
        last_stamp, last_key = tail[self.updated_column], tail[self.id_column]
        watermark = json.dumps(
            [
                last_stamp.isoformat() if hasattr(last_stamp, "isoformat") else str(last_stamp),
                last_key.item() if hasattr(last_key, "item") else last_key,
            ]
        )
        conn.execute(sp_watermarks.delete().where(sp_watermarks.c.name == self.name))
        conn.execute(
            sp_watermarks.insert().values(
                name=self.name, value=watermark, updated_at=datetime.now().replace(microsecond=0)
            )
        )
        events, problems = validate_batch(raw)
        return Batch(
            batch_id_of("pull", self.name, last or "", watermark),
            self.source,
            f"pull:{self.table}",
            datetime.now(),
            events,
            problems,
        )

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
