"""The sources under an answer: each system that feeds the tables a metric reads, with its own
"data as of" inside the asker's rows (``MetricResult.source_freshness``, from the semantic
layer) and a flag when it has gone quiet (``tools.ingest.freshness.quiet_sources``)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assistant.messages import msg

if TYPE_CHECKING:
    from semantic_layer.executor import MetricResult

log = logging.getLogger(__name__)
SOURCES_KEY = "sources"  # MetricResult.extra: [{"source", "data_as_of", "quiet_since"}]


def attach_source_status(result: MetricResult, engine: Any, now: datetime | None = None) -> None:
    """Put the per-source status into ``result.extra`` (quiet sources looked up in the ingest
    journal). A failure leaves the dates without quiet flags: the answer's numbers stand."""
    from tools.ingest.freshness import quiet_sources

    names = list(result.source_freshness)
    quiet: dict[str, datetime] = {}
    if names and hasattr(engine, "connect"):
        try:
            with engine.connect() as conn:
                quiet = quiet_sources(conn, names, now)
        except Exception as exc:  # noqa: BLE001 - a status line must not fail an answer
            log.warning("answer sources: %s", exc)
    result.extra[SOURCES_KEY] = [
        {
            "source": name,
            "data_as_of": as_of.isoformat() if as_of else None,
            "quiet_since": quiet[name].isoformat() if name in quiet else None,
        }
        for name, as_of in result.source_freshness.items()
    ]


def source_status(result: MetricResult) -> list[dict[str, Any]]:
    """The per-source status of ``result`` (dates only when none was attached)."""
    if SOURCES_KEY in result.extra:
        return result.extra[SOURCES_KEY]
    return [
        {"source": k, "data_as_of": v.isoformat() if v else None, "quiet_since": None}
        for k, v in result.source_freshness.items()
    ]


def sources_line(result: MetricResult, language: str) -> str | None:
    """ "Data through, by source: crm 2026-12-04 10:30 · shop 2026-12-03 18:00 ⚠️ quiet (...)"."""
    parts = []
    for status in source_status(result):
        as_of = status["data_as_of"]
        text = f"{status['source']} {_minute(as_of) if as_of else '—'}"
        if status["quiet_since"]:
            text += " " + msg(language, "source_quiet", since=_minute(status["quiet_since"]))
        parts.append(text)
    if not parts:
        return None
    return f"{msg(language, 'freshness_by_source')}: {' · '.join(parts)}"


def _minute(stamp: str) -> str:
    return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M")
