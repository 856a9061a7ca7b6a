"""Read CSV, Parquet and Excel files in chunks of rows, as text.

Every reader yields ``Chunk(frame, rows)``: a DataFrame whose columns are the file's columns
with text values (blank cells -> null; Excel/Parquet dates stay datetimes), and the row number
of each row *as a spreadsheet shows it*: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import gzip
import re
import zipfile
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


# ------------------------------------------------------------------------- encodings

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BLOCK = 1 << 20


def _raw(path: Path):  # noqa: ANN202 - a binary file object
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")


def _first_bad_byte(path: Path, encoding: str) -> tuple[int, bytes] | None:
    """Offset and context (the bytes of its line so far) of the first byte ``encoding`` cannot
    decode strictly, or None when the whole file decodes."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset, tail = 0, b""
    try:
        with _raw(path) as handle:
            while block := handle.read(_BLOCK):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    start = max(exc.start, 0)
                    return offset + start, (tail + block[:start]).rsplit(b"\n", 1)[-1]
                offset += len(block)
                tail = block[-4096:]
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return offset + max(exc.start, 0), tail.rsplit(b"\n", 1)[-1]
    except (OSError, EOFError) as exc:  # a truncated or fake .gz
        raise ImportValidationError(
            [f"{path.name} (whole file): cannot be read ({exc}). Fix: export the file again."]
        ) from exc
    return None


def _line_of(path: Path, offset: int) -> int:
    lines, seen = 1, 0
    with _raw(path) as handle:
        while seen < offset and (block := handle.read(min(_BLOCK, offset - seen))):
            lines += block.count(b"\n")
            seen += len(block)
    return lines


def _position(
    path: Path, offset: int, context: bytes, reader: ReaderSpec, header: list[str]
) -> str:
    """``row R, column 'C'`` of a byte offset (row = text line; the column by counting
    delimiters before it on its line, good enough to find the cell)."""
    row = _line_of(path, offset)
    index = context.count(reader.delimiter.encode("ascii", "replace"))
    column = repr(header[index]) if index < len(header) else f"number {index + 1}"
    return f"row {row}, column {column}"


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a BOM shows a NUL byte in every other position (for ASCII)."""
    if len(head) < 16:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > len(head) // 4 and even == 0:
        return "utf-16-le"
    if even > len(head) // 4 and odd == 0:
        return "utf-16-be"
    return None


def detect_encoding(path: Path, reader: ReaderSpec) -> str:
    """The text encoding of a CSV (see ``_detect_encoding``); one scan per file version, as the
    header and the chunks are read separately."""
    stat = path.stat()
    return _detect_cached(path.resolve(), stat.st_size, stat.st_mtime_ns, reader)


@functools.lru_cache(maxsize=16)
def _detect_cached(path: Path, size: int, mtime_ns: int, reader: ReaderSpec) -> str:
    del size, mtime_ns  # part of the cache key only
    return _detect_encoding(path, reader)


def _detect_encoding(path: Path, reader: ReaderSpec) -> str:
    """The text encoding of a CSV: ``reader.encoding`` when the mapping sets one, else a BOM
    (UTF-8/UTF-16), else strict UTF-8, else GB18030 (a superset of GBK and GB2312, the usual
    encoding of Chinese Excel exports). Anything else is refused with the position of the first
    undecodable byte: Latin-1 and GB18030 both decode most bytes, so guessing between them
    would silently garble text."""
    if reader.encoding is not None:
        return reader.encoding  # checked lazily: a decode error is located by _csv_error
    with _raw(path) as handle:
        head = handle.read(4096)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    if (utf16 := _utf16_without_bom(head)) is not None:
        return utf16
    bad_utf8 = _first_bad_byte(path, "utf-8")
    if bad_utf8 is None:
        return "utf-8"
    if _first_bad_byte(path, "gb18030") is None:
        return "gb18030"
    header = _safe_header(path, "latin-1", reader)
    raise ImportValidationError(
        [
            f"{path.name} {_position(path, bad_utf8[0], bad_utf8[1], reader, header)}: cannot "
            f"tell the file's text encoding: byte {_byte_at(path, bad_utf8[0])} is neither "
            "UTF-8 nor GB18030/GBK. Fix: save the file as UTF-8, or set `reader.encoding` in "
            "the mapping (e.g. latin-1, cp1252, big5)."
        ]
    )


def _byte_at(path: Path, offset: int) -> str:
    with _raw(path) as handle:
        handle.seek(offset)
        return f"0x{handle.read(1).hex().upper()}"


def _safe_header(path: Path, encoding: str, reader: ReaderSpec) -> list[str]:
    with _raw(path) as handle:
        line = handle.readline(1 << 16).decode(encoding, "replace").rstrip("\r\n")
    return line.split(reader.delimiter)


# ------------------------------------------------------------------------ CSV errors

_QUOTE_ROW = re.compile(r"EOF inside string starting at row (\d+)")
_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _open_quote(path: Path, encoding: str, delimiter: str) -> tuple[int, int]:
    """Record number (0 = header) and field index where a quote opens and never closes."""
    record = field = 0
    start = (0, 0)
    in_quote = False
    with _text(path, encoding) as handle:
        while block := handle.read(_BLOCK):
            for ch in block:
                if in_quote:
                    if ch == '"':
                        in_quote = False
                elif ch == '"':
                    in_quote = True
                    start = (record, field)
                elif ch == delimiter:
                    field += 1
                elif ch == "\n":
                    record, field = record + 1, 0
    return start


def _text(path: Path, encoding: str):  # noqa: ANN202 - a text file object
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rt", encoding=encoding, newline="")
    return path.open("r", encoding=encoding, newline="")


def _csv_error(
    path: Path, exc: Exception, encoding: str, reader: ReaderSpec
) -> ImportValidationError:
    header = _safe_header(path, encoding, reader)
    text = str(exc)
    if isinstance(exc, pd.errors.EmptyDataError):
        return ImportValidationError(
            [
                f"{path.name} row 1: the file is empty (no header row, no data). Fix: export "
                "the file again with its header row."
            ]
        )
    if _QUOTE_ROW.search(text):
        record, index = _open_quote(path, encoding, reader.delimiter)
        column = repr(header[index]) if index < len(header) else f"number {index + 1}"
        return ImportValidationError(
            [
                f'{path.name} row {record + 1}, column {column}: a quote (") opens a value '
                "that is never closed, so the rest of the file would be read as one cell. Fix: "
                'close the quote, or double quotes inside a quoted value ("" for ").'
            ]
        )
    if match := _FIELDS.search(text):
        expected, line, saw = (int(g) for g in match.groups())
        return ImportValidationError(
            [
                f"{path.name} row {line}, column number {expected + 1}: {saw} values where the "
                f"header has {expected} (a value containing {reader.delimiter!r} that is not "
                "quoted?). Fix: quote that value, or set `reader.delimiter` in the mapping."
            ]
        )
    if isinstance(exc, UnicodeError):
        bad = _first_bad_byte(path, encoding)
        where = _position(path, bad[0], bad[1], reader, header) if bad else "(whole file)"
        byte = f"byte {_byte_at(path, bad[0])}" if bad else "the text"
        return ImportValidationError(
            [
                f"{path.name} {where}: {byte} cannot be decoded as {encoding} (set by "
                "`reader.encoding` in the mapping). Fix: set `reader.encoding` to the file's "
                "real encoding (e.g. gb18030, utf-16, latin-1), or remove it to detect the "
                "encoding."
            ]
        )
    return ImportValidationError(
        [f"{path.name}: not a readable CSV file ({text.strip()}). Fix: export it again as CSV."]
    )


# ---------------------------------------------------------------- not what it claims


def _sniff(path: Path) -> str:
    """What the first bytes of a file look like, for "this is not really X" messages."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        return "it is empty"
    if head.startswith(b"PAR1"):
        return "it looks like a Parquet file: rename it to .parquet"
    if head.startswith(b"PK\x03\x04"):
        return "it is a zip archive but not an Excel workbook"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "it looks like an old Excel .xls file: save it as .xlsx"
    if head.startswith(b"\x1f\x8b"):
        return "it is gzip-compressed: name it .csv.gz"
    if all(32 <= b < 127 or b in (9, 10, 13) for b in head) or head.startswith(codecs.BOM_UTF8):
        return "it looks like text (CSV?): rename it to .csv"
    return "its content is not recognised"


def _not_really(path: Path, kind: str, exc: Exception) -> ImportValidationError:
    return ImportValidationError(
        [
            f"{path.name} (whole file): not a readable {kind} file; {_sniff(path)} "
            f"(reader said: {str(exc).strip()[:200]}). Fix: export it again as {kind}, or give "
            "it the suffix of its real type."
        ]
    )


def _parquet(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise _not_really(path, "Parquet", exc) from exc


def read_header(path: Path, kind: Kind, reader: ReaderSpec) -> list[str]:
    """The column names of the file."""
    if kind == "csv":
        encoding = detect_encoding(path, reader)
        try:
            frame = pd.read_csv(path, nrows=0, encoding=encoding, sep=reader.delimiter)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError) as exc:
            raise _csv_error(path, exc, encoding, reader) from exc
        return list(frame.columns)
    if kind == "parquet":
        return list(_parquet(path).schema_arrow.names)
    workbook, sheet = _open_sheet(path, reader)
    try:
        header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        return [str(v) if v is not None else "" for v in header]
    finally:
        workbook.close()


def count_rows(path: Path, kind: Kind, reader: ReaderSpec) -> int | None:
    """Number of data rows when cheap to know (for the progress bar), else None."""
    if kind == "parquet":
        return _parquet(path).metadata.num_rows
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
    encoding = detect_encoding(path, reader)
    errors = (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError)
    try:
        chunks = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            chunksize=chunk_rows,
            encoding=encoding,
            sep=reader.delimiter,
        )
    except errors as exc:
        raise _csv_error(path, exc, encoding, reader) from exc
    with chunks:
        while True:
            try:  # only the read is guarded: errors of the consumer must not be relabelled
                frame = next(chunks)
            except StopIteration:
                return
            except errors as exc:
                raise _csv_error(path, exc, encoding, reader) from exc
            frame = frame.reset_index(drop=True)
            yield Chunk(frame, np.arange(start, start + len(frame)))
            start += len(frame)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    start = 2
    batches = _parquet(path).iter_batches(batch_size=chunk_rows)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as exc:
            raise _not_really(path, "Parquet", exc) from exc
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
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise _not_really(path, "Excel (.xlsx)", exc) from exc
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
