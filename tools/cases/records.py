"""The unit of the case index: one complaint/ticket text with its metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

__all__ = ["CaseRecord", "META_FIELDS", "clean_metadata", "day_number"]

# Standard metadata of warehouse tickets (CSV imports may add their own columns).
META_FIELDS = (
    "product",
    "product_line",
    "category",
    "region",
    "channel",
    "ticket_type",
    "status",
    "resolved",
    "root_cause",
    "language",
    "created",
    "created_day",
    "source",
)
# Internal metadata the index adds; never filterable by users.
INTERNAL_FIELDS = ("content_hash", "embed_hash", "text_hash", "tokens", "resolution")
RESOLVED_STATUSES = frozenset({"resolved", "closed"})


@dataclass(frozen=True)
class CaseRecord:
    """A case as read from a source, before masking: ``text`` and ``resolution`` may hold PII."""

    case_id: str
    text: str
    resolution: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def day_number(value: date | datetime | str | None) -> int | None:
    """A date as an int YYYYMMDD (Chroma filters compare numbers, not strings)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("/", "-"))
        except ValueError:
            return None
    if isinstance(value, datetime):
        value = value.date()
    return value.year * 10000 + value.month * 100 + value.day


def clean_metadata(meta: dict[str, Any]) -> dict[str, str | int | float | bool]:
    """Chroma-compatible metadata: scalars only, no None/NaN, dates as ISO strings."""
    out: dict[str, str | int | float | bool] = {}
    for key, value in meta.items():
        if value is None:
            continue
        if isinstance(value, float) and value != value:  # NaN
            continue
        if isinstance(value, datetime | date):
            out[key] = value.isoformat()[:10]
        elif isinstance(value, bool | int | float | str):
            out[key] = value
        elif hasattr(value, "item"):  # numpy / pandas scalars
            out[key] = value.item()
        else:
            out[key] = str(value)
    return out
