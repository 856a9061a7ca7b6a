"""Progress of a long ``index_cases`` run, for people and for programs.

Indexing a warehouse embeds every complaint (minutes to tens of minutes on a laptop CPU), so a
run reports as it goes: :class:`IndexProgress` events (start, one per batch, the model export)
that the CLI prints as JSON lines on stderr (``cases index --json``; stdout keeps the one final
result object) or, for a person whose stderr is not a terminal (a log, CI), as a plain line at
most every few seconds. A terminal gets the tqdm bar.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any, TextIO

__all__ = ["IndexProgress", "JsonLinesProgress", "TextProgress"]


@dataclass(frozen=True)
class IndexProgress:
    """Where an indexing run stands. ``phase``: ``start`` (nothing read yet), ``indexing``
    (after each batch), ``export`` (writing the ONNX model for fast searches, once),
    ``lexical`` (building the BM25 index and training the category prior, after a change)."""

    phase: str
    collection: str
    seen: int
    total: int | None
    added: int
    updated: int
    metadata_only: int
    unchanged: int
    elapsed_s: float

    @property
    def rate(self) -> float | None:
        """Cases read per second so far."""
        return self.seen / self.elapsed_s if self.seen and self.elapsed_s > 0 else None

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the rate so far (None without a known total)."""
        rate = self.rate
        if self.total is None or rate is None:
            return None
        return max(self.total - self.seen, 0) / rate

    def to_dict(self) -> dict[str, Any]:
        rate, eta = self.rate, self.eta_s
        return {
            "event": "progress",
            **asdict(self),
            "elapsed_s": round(self.elapsed_s, 1),
            "cases_per_s": None if rate is None else round(rate, 1),
            "eta_s": None if eta is None else round(eta),
        }


class JsonLinesProgress:
    """One JSON object per event and line on ``stream`` (flushed, so a reader sees it now)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, event: IndexProgress) -> None:
        self.stream.write(json.dumps(event.to_dict(), ensure_ascii=False) + "\n")
        self.stream.flush()


class TextProgress:
    """Plain progress lines for a log: the start, the export, and a batch at most every
    ``every`` seconds."""

    def __init__(self, stream: TextIO, every: float = 10.0) -> None:
        self.stream = stream
        self.every = every
        self._last = float("-inf")

    def __call__(self, event: IndexProgress) -> None:
        now = time.monotonic()
        if event.phase == "indexing" and now - self._last < self.every:
            return
        self._last = now
        self.stream.write(self.line(event) + "\n")
        self.stream.flush()

    @staticmethod
    def line(event: IndexProgress) -> str:
        name = event.collection
        if event.phase == "start":
            size = f"{event.total:,} cases" if event.total is not None else "cases"
            return f"indexing {name}: reading {size}"
        if event.phase == "export":
            return f"indexing {name}: exporting the embedding model for fast searches (once)"
        if event.phase == "lexical":
            return f"indexing {name}: building the keyword index and the category prior"
        done = f"{event.seen:,}" + (f"/{event.total:,}" if event.total is not None else "")
        pct = f" ({100 * event.seen / event.total:.0f}%)" if event.total else ""
        rate = f", {event.rate:.0f} cases/s" if event.rate else ""
        eta = f", about {_duration(event.eta_s)} left" if event.eta_s is not None else ""
        return (
            f"indexing {name}: {done}{pct}{rate}{eta}; {event.added:,} added, "
            f"{event.updated:,} re-embedded, {event.unchanged:,} unchanged"
        )


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
