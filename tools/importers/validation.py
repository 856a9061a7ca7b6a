"""Validation rules over mapped rows; each rule adds problems naming file, row, column and fix.

Rules run on every chunk (one pass over the file) and the problem log keeps going after the
first problem, so one run reports every bad value. Row numbers are spreadsheet rows (header =
row 1). Only the first ``MAX_KEPT`` messages are kept; the total is always exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Date, DateTime, String

from tools.importers.mapping import ColumnSpec, Mapping
from tools.warehouse.schema import metadata

MAX_KEPT = 1000

# Allowed ranges of survey scores (inclusive).
SCORE_RANGES: dict[tuple[str, str], tuple[int, int]] = {
    ("surveys", "csat"): (1, 5),
    ("surveys", "nps"): (0, 10),
    ("surveys", "ces"): (1, 7),
}

# Counts, durations and amounts that cannot be negative.
NON_NEGATIVE: frozenset[tuple[str, str]] = frozenset(
    ("tickets", c)
    for c in (
        "reopened_count",
        "agent_replies",
        "contacts",
        "handle_minutes",
        "cost",
        "service_revenue",
    )
)

# C0 control characters except tab, newline and carriage return (PostgreSQL refuses NUL).
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 0x20 and b not in (9, 10, 13) or b == 0x7F))
# What a spreadsheet would run as a formula (OWASP CSV injection): = + - @ first, and a - or +
# followed by a digit or space is an ordinary number or list item.
_FORMULA = r"^[\t\r ]*(=|@|[+-][^0-9 .])"

# (table, earlier, later): the later timestamp may not come before the earlier one.
TIME_ORDER: tuple[tuple[str, str, str], ...] = (
    ("tickets", "created_at", "first_response_at"),
    ("tickets", "created_at", "resolved_at"),
    ("tickets", "created_at", "closed_at"),
    ("tickets", "resolved_at", "closed_at"),
    ("tickets", "created_at", "sla_due_at"),
    ("surveys", "sent_at", "responded_at"),
)


VALUE_CLIP = 200  # characters of a bad value kept in the quarantine


@dataclass(frozen=True)
class Problem:
    """One bad cell, structured for the quarantine table."""

    row: int
    field: str
    value: str | None
    reason: str


@dataclass
class ProblemLog:
    """Collects problems; keeps the first ``MAX_KEPT`` messages and counts all of them. With
    ``keep_all`` (quarantine mode) every problem is also kept structured, and ``bad_rows``
    always holds the row numbers of every row with a problem."""

    file_name: str
    keep_all: bool = False
    kept: list[tuple[int, str]] = field(default_factory=list)
    total: int = 0
    bad_rows: set[int] = field(default_factory=set)
    records: list[Problem] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    warning_total: int = 0
    _seen: set[tuple[int, tuple]] = field(default_factory=set)

    def add(self, row: int | None, message: str) -> None:
        self.total += 1
        if len(self.kept) < MAX_KEPT:
            where = f"{self.file_name} row {row}" if row is not None else self.file_name
            self.kept.append((row or 0, f"{where}: {message}"))

    def add_rows(
        self,
        rows: np.ndarray,
        messages: list[str] | str,
        same_as: tuple | None = None,
        *,
        field: str = "",
        values: pd.Series | list | None = None,
    ) -> None:
        """One problem per row; ``messages`` is one text for all rows or one per row.
        ``same_as`` identifies the bad source cell(s): when two target columns read the same
        bad cell (e.g. a date feeding created_at and sla_due_at) it is reported once.
        ``field`` and ``values`` (one per row) describe the cell for the quarantine."""
        values = list(values) if values is not None else [None] * len(rows)
        if same_as is not None:
            fresh = np.array([(int(r), same_as) not in self._seen for r in rows], dtype=bool)
            self._seen.update((int(r), same_as) for r in rows)
            if not isinstance(messages, str):
                messages = [m for m, keep in zip(messages, fresh, strict=True) if keep]
            values = [v for v, keep in zip(values, fresh, strict=True) if keep]
            rows = rows[fresh]
        self.bad_rows.update(int(r) for r in rows)
        if self.keep_all:
            texts = [messages] * len(rows) if isinstance(messages, str) else messages
            self.records.extend(
                Problem(int(r), field, _clip(v), m)
                for r, v, m in zip(rows, values, texts, strict=True)
            )
        if isinstance(messages, str):
            self.total += len(rows)
            room = max(MAX_KEPT - len(self.kept), 0)
            for row in rows[:room]:
                self.kept.append((int(row), f"{self.file_name} row {int(row)}: {messages}"))
            return
        for row, message in zip(rows, messages, strict=True):
            self.add(int(row), message)

    def warn_rows(self, rows: np.ndarray, messages: list[str] | str) -> None:
        """Something was changed or looks odd, but the row is imported."""
        self.warning_total += len(rows)
        texts = [messages] * len(rows) if isinstance(messages, str) else messages
        room = max(MAX_KEPT - len(self.warnings), 0)
        self.warnings.extend(
            (int(r), f"{self.file_name} row {int(r)}: {m}")
            for r, m in list(zip(rows, texts, strict=True))[:room]
        )

    @property
    def messages(self) -> list[str]:
        return [m for _, m in sorted(self.kept, key=lambda item: item[0])]

    @property
    def warning_messages(self) -> list[str]:
        return [m for _, m in sorted(self.warnings, key=lambda item: item[0])]


def _clip(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = _fmt(value) if isinstance(value, pd.Timestamp) else str(value)
    text = re.sub(_CONTROL, "", text)  # PostgreSQL refuses NUL in text
    return text if len(text) <= VALUE_CLIP else text[:VALUE_CLIP] + "…"


def describe(table: str, column: str, spec: ColumnSpec) -> str:
    """``column 'Submitted via' -> tickets.channel`` (or the constant/kind when no source)."""
    sources = spec.sources
    if sources:
        names = ", ".join(f"'{s}'" for s in sources)
        label = "column" if len(sources) == 1 else "columns"
        return f"{label} {names} -> {table}.{column}"
    return f"{table}.{column} ({spec.kind})"


def _fmt(value: object) -> str:
    if isinstance(value, pd.Timestamp):  # by hand: strftime fails for years such as 0001
        v = value
        text = f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}"
        return text.removesuffix(" 00:00:00")
    return repr(value) if isinstance(value, str) else str(value)


def check_frame(
    mapping: Mapping,
    table: str,
    frame: pd.DataFrame,
    rows: np.ndarray,
    log: ProblemLog,
    reported: dict[str, np.ndarray] | None = None,
) -> None:
    """Rules on a mapped chunk: required values present, codes valid, text fits the column,
    survey scores in range, timestamps in order. ``reported`` marks, per column, the rows
    whose value was already reported as unconvertible (not reported again as blank)."""
    reported = reported or {}
    sa_table = metadata.tables[table]
    columns = mapping.tables[table].columns
    for name, spec in columns.items():
        values = frame[name]
        sa_column = sa_table.columns[name]
        what = describe(table, name, spec)
        blank = values.isna().to_numpy()
        already = reported.get(name)
        missing = blank & ~already if already is not None else blank
        if not sa_column.nullable and missing.any():
            fix = (
                f"fill in {', '.join(repr(s) for s in spec.sources)}"
                if spec.sources
                else "give the column a value"
            )
            log.add_rows(
                rows[missing],
                f"{what}: value is required but blank. Fix: {fix}, or set "
                f"`if_null:` for {table}.{name} in the mapping.",
                field=what,
            )
        valid = mapping.valid_codes(table, name)
        if valid is not None:
            bad = (~blank) & ~values.isin(valid).to_numpy()
            if bad.any():
                listed = ", ".join(valid)
                log.add_rows(
                    rows[bad],
                    [
                        f"{what}: unknown code {_fmt(v)}. Valid codes: {listed}. Fix: correct the "
                        f"value, add it to the column's `map`, or declare it under `codes: "
                        f"{table}.{name}`."
                        for v in values[bad]
                    ],
                    field=what,
                    values=values[bad],
                )
        if isinstance(sa_column.type, String) and sa_column.type.length:
            limit = sa_column.type.length
            too_long = (~blank) & (values.astype(str).str.len().to_numpy() > limit)
            if too_long.any():
                log.add_rows(
                    rows[too_long],
                    [
                        f"{what}: {len(str(v))} characters, longer than {limit} "
                        f"(the size of {table}.{name}). Fix: shorten it, or map it with `map` or "
                        "`id: {hash: true}`."
                        for v in values[too_long]
                    ],
                    field=what,
                    values=values[too_long],
                )
        score = SCORE_RANGES.get((table, name))
        if score is not None:
            low, high = score
            numeric = pd.to_numeric(values, errors="coerce")
            out = ((numeric < low) | (numeric > high)).fillna(False).to_numpy(dtype=bool)
            if out.any():
                log.add_rows(
                    rows[out],
                    [
                        f"{what}: score {_fmt(v)} is out of range {low}..{high}. Fix: correct the "
                        "score or leave it blank (no answer)."
                        for v in values[out]
                    ],
                    field=what,
                    values=values[out],
                )
        _plausible(mapping, table, name, sa_column.type, frame, rows, log, what, blank)
    for order_table, earlier, later in TIME_ORDER:
        if order_table != table or earlier not in columns or later not in columns:
            continue
        first, second = frame[earlier], frame[later]
        if not (_is_time(sa_table, earlier) and _is_time(sa_table, later)):
            continue
        wrong = (second < first).fillna(False).to_numpy(dtype=bool)
        if wrong.any():
            src_e = ", ".join(repr(s) for s in columns[earlier].sources) or earlier
            src_l = ", ".join(repr(s) for s in columns[later].sources) or later
            log.add_rows(
                rows[wrong],
                [
                    f"{table}.{later} ({src_l}) {_fmt(b)} is before {table}.{earlier} ({src_e}) "
                    f"{_fmt(a)}. Fix: correct one of the two dates."
                    for a, b in zip(first[wrong], second[wrong], strict=True)
                ],
                field=f"{table}.{later}",
                values=second[wrong],
            )


def _plausible(
    mapping: Mapping,
    table: str,
    name: str,
    sa_type: object,
    frame: pd.DataFrame,
    rows: np.ndarray,
    log: ProblemLog,
    what: str,
    blank: np.ndarray,
) -> None:
    """Values that convert but cannot be true: timestamps outside the window, negative counts,
    text that is too long (truncated) or carries control characters (removed)."""
    checks = mapping.checks
    values = frame[name]
    if isinstance(sa_type, Date | DateTime):
        earliest, latest = checks.window()
        out = ((values < earliest) | (values >= latest)).fillna(False).to_numpy(dtype=bool)
        if out.any():
            window = f"{earliest:%Y-%m-%d} .. {latest - pd.Timedelta(days=1):%Y-%m-%d}"
            log.add_rows(
                rows[out],
                [
                    f"{what}: {_fmt(v)} is outside the plausible window {window}. Fix: correct "
                    "the date (a placeholder such as 9999-12-31 or 0001-01-01?), or widen "
                    "`checks: {earliest, days_ahead}` in the mapping."
                    for v in values[out]
                ],
                same_as=("window", tuple(mapping.tables[table].columns[name].sources) or name),
                field=what,
                values=values[out],
            )
        return
    if (table, name) in NON_NEGATIVE:
        negative = (values < 0).fillna(False).to_numpy(dtype=bool)
        if negative.any():
            log.add_rows(
                rows[negative],
                [
                    f"{what}: {_fmt(v)} is negative; a count, duration or amount cannot be. "
                    "Fix: correct the value or leave it blank."
                    for v in values[negative]
                ],
                field=what,
                values=values[negative],
            )
        return
    if not isinstance(sa_type, String) or blank.all() or mapping.valid_codes(table, name):
        return  # coded columns only hold listed codes (checked above)
    text = pa.array(values, type=pa.string(), from_pandas=True)
    if _has_control_bytes(text):
        dirty = pc.fill_null(pc.match_substring_regex(text, _CONTROL), False).to_numpy(
            zero_copy_only=False
        )
    else:
        dirty = np.zeros(len(values), dtype=bool)
    if dirty.any():
        cleaned = values[dirty].str.replace(_CONTROL, "", regex=True)
        log.warn_rows(
            rows[dirty],
            f"{what}: control characters (NUL etc.) removed from the text.",
        )
        frame.loc[dirty, name] = cleaned.to_numpy()
        values = frame[name]
        text = pa.array(values, type=pa.string(), from_pandas=True)
    if not sa_type.length:
        limit = checks.max_text_chars
        long = pc.fill_null(pc.greater(pc.utf8_length(text), limit), False).to_numpy(
            zero_copy_only=False
        )
        if long.any():
            log.warn_rows(
                rows[long],
                [
                    f"{what}: {len(v):,} characters, truncated to {limit:,} "
                    "(`checks: max_text_chars` in the mapping)."
                    for v in values[long]
                ],
            )
            frame.loc[long, name] = values[long].str.slice(0, limit).to_numpy()
    formula = pc.fill_null(pc.match_substring_regex(text, _FORMULA), False).to_numpy(
        zero_copy_only=False
    )
    if formula.any():
        log.warn_rows(
            rows[formula],
            f"{what}: starts like a spreadsheet formula (= + - @); stored as text. Open exports "
            "of it in a spreadsheet only as text.",
        )


def _has_control_bytes(text: pa.Array) -> bool:
    """Whether the array's character data holds any control byte: a C-speed pre-check (bytes
    ``translate``) so the per-row regex runs only on the rare column that needs it. UTF-8 never
    uses bytes below 0x80 inside multi-byte characters, so a byte test is exact."""
    if isinstance(text, pa.ChunkedArray):
        return any(_has_control_bytes(chunk) for chunk in text.chunks)
    data = text.buffers()[2]
    return data is not None and bool(data.to_pybytes().translate(None, _NOT_CONTROL))


def _is_time(sa_table, name: str) -> bool:  # noqa: ANN001
    return isinstance(sa_table.columns[name].type, Date | DateTime)


@dataclass
class DuplicateTracker:
    """Remembers the primary key and row of every row of non-dedupe tables across chunks."""

    ids: dict[str, list[pd.Series]] = field(default_factory=dict)
    rows: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, table: str, keys: pd.Series, rows: np.ndarray) -> None:
        present = keys.notna().to_numpy()
        self.ids.setdefault(table, []).append(keys[present].reset_index(drop=True))
        self.rows.setdefault(table, []).append(rows[present])

    def report(self, mapping: Mapping, log: ProblemLog) -> None:
        for table, parts in self.ids.items():
            keys = pd.concat(parts, ignore_index=True)
            rows = np.concatenate(self.rows[table])
            dup = keys.duplicated(keep="first").to_numpy()
            if not dup.any():
                continue
            key_name = primary_key(table)
            spec = mapping.tables[table].columns[key_name]
            first_row = pd.Series(rows, index=keys.to_numpy()).groupby(level=0).min()
            sources = ", ".join(repr(s) for s in spec.sources) or key_name
            log.add_rows(
                rows[dup],
                [
                    f"{describe(table, key_name, spec)}: duplicate id {_fmt(k)} "
                    f"(from {sources}); it first appears in row {int(first_row[k])}. "
                    "Fix: remove the repeated row or make the ids unique."
                    for k in keys[dup]
                ],
                field=describe(table, key_name, spec),
                values=keys[dup],
            )


def primary_key(table: str) -> str:
    return next(iter(metadata.tables[table].primary_key.columns)).name
