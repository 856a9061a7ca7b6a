"""Read CSV, Parquet and Excel files in chunks of rows, as text.

Every reader yields ``Chunk(frame, rows)``: a DataFrame whose columns are the file's columns
with text values (blank cells -> null; Excel/Parquet dates stay datetimes), and the row number
of each row *as a spreadsheet shows it*: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tools.errors import ImportValidationError
from tools.importers.mapping import ReaderSpec

Kind = Literal["csv", "parquet", "excel"]
ROW_NUMBERING = "row numbers are spreadsheet rows: the header is row 1, the first data row is row 2"

_SUFFIXES: dict[str, Kind] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".gz": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
}


@dataclass(frozen=True)
class Chunk:
    frame: pd.DataFrame
    rows: np.ndarray  # spreadsheet row number of each frame row


def detect_kind(path: Path) -> Kind:
    """The file type from its suffix."""
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ImportValidationError(
            [
                f"{path.name}: unsupported file type '{path.suffix}'. Use .csv (or .csv.gz), "
                ".parquet or .xlsx; convert .xls files to .xlsx first."
            ]
        )
    return kind


def read_header(path: Path, kind: Kind, reader: ReaderSpec) -> list[str]:
    """The column names of the file."""
    if kind == "csv":
        return list(
            pd.read_csv(path, nrows=0, encoding=reader.encoding, sep=reader.delimiter).columns
        )
    if kind == "parquet":
        return list(pq.ParquetFile(path).schema_arrow.names)
    workbook, sheet = _open_sheet(path, reader)
    try:
        header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        return [str(v) if v is not None else "" for v in header]
    finally:
        workbook.close()


def count_rows(path: Path, kind: Kind, reader: ReaderSpec) -> int | None:
    """Number of data rows when cheap to know (for the progress bar), else None."""
    if kind == "parquet":
        return pq.ParquetFile(path).metadata.num_rows
    if kind == "excel":
        workbook, sheet = _open_sheet(path, reader)
        try:
            return max((sheet.max_row or 1) - 1, 0)
        finally:
            workbook.close()
    return None


def iter_chunks(path: Path, kind: Kind, reader: ReaderSpec, chunk_rows: int) -> Iterator[Chunk]:
    """Yield the file in chunks of at most ``chunk_rows`` rows."""
    if kind == "csv":
        yield from _csv_chunks(path, reader, chunk_rows)
    elif kind == "parquet":
        yield from _parquet_chunks(path, chunk_rows)
    else:
        yield from _excel_chunks(path, reader, chunk_rows)


def _csv_chunks(path: Path, reader: ReaderSpec, chunk_rows: int) -> Iterator[Chunk]:
    start = 2
    with pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        chunksize=chunk_rows,
        encoding=reader.encoding,
        sep=reader.delimiter,
    ) as chunks:
        for frame in chunks:
            frame = frame.reset_index(drop=True)
            yield Chunk(frame, np.arange(start, start + len(frame)))
            start += len(frame)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    start = 2
    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
        columns = {}
        for name, array in zip(batch.schema.names, batch.columns, strict=True):
            if pa.types.is_timestamp(array.type) or pa.types.is_date(array.type):
                columns[name] = array.to_pandas()
                continue
            text = array.cast(pa.string()) if not pa.types.is_string(array.type) else array
            text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
            columns[name] = pd.Series(text.to_pandas(), dtype=str)
        frame = pd.DataFrame(columns)
        yield Chunk(frame, np.arange(start, start + len(frame)))
        start += len(frame)


def _open_sheet(path: Path, reader: ReaderSpec):  # noqa: ANN202 - openpyxl objects
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    if reader.sheet is None:
        return workbook, workbook.worksheets[0]
    if reader.sheet not in workbook.sheetnames:
        names = workbook.sheetnames
        workbook.close()
        raise ImportValidationError(
            [
                f"{path.name}: no sheet named '{reader.sheet}'. Sheets: {', '.join(names)}. "
                "Fix `reader.sheet` in the mapping."
            ]
        )
    return workbook, workbook[reader.sheet]


def _cell_text(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value
    return str(value)


def _excel_chunks(path: Path, reader: ReaderSpec, chunk_rows: int) -> Iterator[Chunk]:
    workbook, sheet = _open_sheet(path, reader)
    try:
        rows_iter = sheet.iter_rows(values_only=True)
        header = [str(v) if v is not None else "" for v in next(rows_iter, ())]
        width = len(header)
        buffer: list[list[object]] = []
        numbers: list[int] = []
        for number, values in enumerate(rows_iter, start=2):
            cells = [_cell_text(v) for v in values[:width]]
            if all(c is None for c in cells):
                continue  # blank spreadsheet row
            buffer.append(cells + [None] * (width - len(cells)))
            numbers.append(number)
            if len(buffer) >= chunk_rows:
                yield _excel_frame(buffer, numbers, header)
                buffer, numbers = [], []
        if buffer:
            yield _excel_frame(buffer, numbers, header)
    finally:
        workbook.close()


def _excel_frame(buffer: list[list[object]], numbers: list[int], header: list[str]) -> Chunk:
    frame = pd.DataFrame(buffer, columns=header, dtype=object)
    for name in frame.columns:
        column = frame[name]
        if not column.map(lambda v: isinstance(v, dt.date)).any():
            frame[name] = column.astype("str")
    return Chunk(frame, np.asarray(numbers))
