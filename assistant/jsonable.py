"""One way to turn answers, results and settings into JSON (CLI ``--json``, API, MCP)."""

from __future__ import annotations

import json
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


def _lenient_default(value: Any) -> Any:
    try:
        return json_default(value)
    except TypeError:  # the API answers with text rather than failing on an odd value
        return str(value)


def clean_nan(value: Any) -> Any:
    """NaN floats (also nested in dicts and lists) as None."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: clean_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_nan(v) for v in value]
    return value


def json_safe(value: Any) -> Any:
    """Plain JSON types (dates as ISO strings, NaN as None, numpy scalars as numbers)."""
    return clean_nan(json.loads(json.dumps(value, ensure_ascii=False, default=_lenient_default)))
