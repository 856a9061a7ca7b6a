"""A result's rows as plain Python columns, and the DataFrame of the same rows built on demand.

A CLI question is a whole process and pandas costs ≈0.3 s to import, more than the question
itself: the executor keeps the rows as lists (one per column) and the text answer reads those;
``MetricResult.data`` builds the DataFrame (same content, same dtypes as before) the first time
a caller (the UI, exports, charts, monitoring) reads it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def missing(value: object) -> bool:
    """pandas' ``isna`` of one value: None or NaN; values of other kinds than the plain ones
    (numpy's, pandas' NaT/NA) are asked of pandas itself."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str | int | date | Decimal):  # bool is an int
        return False
    import pandas as pd

    return bool(pd.isna(value))


_PLAIN = frozenset({str, int, float, bool, date})  # values pandas keeps as they are


class ResultTable:
    """Columns by name (insertion order is the column order), each a list of one value per
    row. ``dtypes``: the numpy dtype of the columns the executor computed (sample sizes
    ``int64``, small-n flags ``bool``, intervals ``float64``), so the DataFrame keeps them even
    when there are no rows; the warehouse's columns are typed by pandas from their values."""

    __slots__ = ("_columns", "_dtypes", "_raw")

    def __init__(
        self,
        columns: dict[str, list[Any]],
        dtypes: dict[str, str] | None = None,
        raw: dict[str, list[Any]] | None = None,
    ) -> None:
        self._columns = columns
        self._dtypes = dict(dtypes or {})
        # Columns whose warehouse values were turned into dates here (the period of engines
        # that return timestamps): the DataFrame turns the raw values with pandas, as before.
        self._raw = dict(raw or {})

    @property
    def names(self) -> list[str]:
        return list(self._columns)

    def __len__(self) -> int:
        return len(next(iter(self._columns.values()), ()))

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def select(self, names: list[str]) -> ResultTable:
        """These columns only, in this order (with their dtypes and raw values)."""
        return ResultTable(
            {n: self._columns[n] for n in names},
            {n: d for n, d in self._dtypes.items() if n in names},
            {n: r for n, r in self._raw.items() if n in names},
        )

    def column(self, name: str) -> list[Any]:
        return self._columns[name]

    def row(self, index: int) -> dict[str, Any]:
        return {name: values[index] for name, values in self._columns.items()}

    def rows(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self)):
            yield self.row(i)

    @property
    def empty(self) -> bool:
        """As ``DataFrame.empty``: no rows or no columns."""
        return not self._columns or len(self) == 0

    def records(self) -> list[dict[str, Any]] | None:
        """The rows as dicts, as the DataFrame's ``astype(object)``, NaN as None, would give
        them: a column of ints with a None reads as floats there (pandas makes it float64).
        None when a column holds values pandas would convert otherwise (timestamps, ...)."""
        if self._raw:
            return None
        columns: dict[str, list[Any]] = {}
        for name, values in self._columns.items():
            kinds = {type(v) for v in values} - {type(None)}
            if not kinds <= _PLAIN:
                return None
            numbers = name not in self._dtypes and kinds and kinds <= {int, float}
            if numbers and (float in kinds or None in values):  # pandas: float64
                values = [None if v is None else float(v) for v in values]
            columns[name] = [None if missing(v) else v for v in values]
        return [{n: c[i] for n, c in columns.items()} for i in range(len(self))]

    def frame(self) -> Any:
        """The rows as a pandas DataFrame (imports pandas)."""
        import numpy as np
        import pandas as pd

        data: dict[str, Any] = {}
        for name, values in self._columns.items():
            values = self._raw.get(name, values)
            dtype = self._dtypes.get(name)
            if dtype is not None:
                data[name] = np.array(values, dtype=dtype)
            elif not values:  # object columns, as pandas makes them from no records
                data[name] = np.array([], dtype=object)
            else:
                data[name] = values
        frame = pd.DataFrame(data)
        for name in self._raw:
            frame[name] = pd.to_datetime(frame[name]).dt.date
        return frame


def as_date(value: Any) -> Any:
    """A period value as a date (DuckDB returns dates, other engines timestamps); anything else
    as pandas' Timestamp reads it (imports pandas), or unchanged when it cannot."""
    if type(value) is date:
        return value
    if isinstance(value, datetime):
        return value.date()
    import pandas as pd

    try:
        return pd.Timestamp(value).date()
    except (TypeError, ValueError):
        return value
