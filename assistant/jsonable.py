"""One way to turn answers, results and settings into JSON (CLI ``--json``, API, MCP)."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any


def json_default(value: Any) -> Any:
    """``json.dumps(default=...)``: dates as ISO strings, Decimals and numpy scalars as numbers
    (NaN as null), pydantic models as their JSON form, sets and tuples as lists."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
        return None if isinstance(value, float) and math.isnan(value) else value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
