"""Turn one chunk of source rows into rows of one target table (vectorised pandas).

Per target column: evaluate the kind (from/const/template/join/id), then ``map`` (+``default``),
``if_null``, the conversion to the column's type (dates with ``format``), ``add_days``. Values
that cannot be converted become null and are reported to the problem log.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric, SmallInteger

from semantic_layer.errors import did_you_mean
from tools.importers.mapping import ColumnSpec, Mapping, template_parts
from tools.importers.validation import ProblemLog, describe
from tools.warehouse.schema import metadata

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def arrow_schema(mapping: Mapping, table: str) -> pa.Schema:
    """The spool/write schema of a mapped table: its mapped columns plus ``source``."""
    sa_table = metadata.tables[table]
    fields = []
    for name in [*mapping.tables[table].columns, "source"]:
        sa_type = sa_table.columns[name].type
        if isinstance(sa_type, DateTime):
            arrow_type = pa.timestamp("us")
        elif isinstance(sa_type, Date):
            arrow_type = pa.date32()
        elif isinstance(sa_type, Boolean):
            arrow_type = pa.bool_()
        elif isinstance(sa_type, Integer):
            arrow_type = pa.int64()
        elif isinstance(sa_type, Float | Numeric):
            arrow_type = pa.float64()
        else:
            arrow_type = pa.string()
        fields.append(pa.field(name, arrow_type))
    return pa.schema(fields)


def map_table(
    mapping: Mapping, table: str, source: pd.DataFrame, rows: np.ndarray, log: ProblemLog
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The target rows of ``table`` for this chunk (bad values null and logged), and per
    column the rows whose value was reported as unconvertible."""
    sa_table = metadata.tables[table]
    out: dict[str, pd.Series] = {}
    reported: dict[str, np.ndarray] = {}
    for name, spec in mapping.tables[table].columns.items():
        values = _evaluate(spec, source)
        what = describe(table, name, spec)
        bad = np.zeros(len(values), dtype=bool)
        if spec.map is not None:
            values, bad = _apply_map(spec, values, rows, log, what)
        if spec.if_null is not None:
            values = values.astype(object).where(values.notna() | bad, spec.if_null)
        converted, bad_convert = _convert(
            spec, sa_table.columns[name].type, values, rows, log, what
        )
        out[name] = converted
        if (bad := bad | bad_convert).any():
            reported[name] = bad
    frame = pd.DataFrame(out, index=source.index)
    frame["source"] = mapping.source
    return frame, reported


def _evaluate(spec: ColumnSpec, source: pd.DataFrame) -> pd.Series:
    index = source.index
    if spec.const is not None:
        return pd.Series([spec.const] * len(index), index=index, dtype=object)
    if spec.from_ is not None:
        columns = spec.sources
        values = source[columns[0]]
        for other in columns[1:]:
            values = values.where(values.notna(), source[other])
        return values
    if spec.template is not None:
        result = pd.Series("", index=index, dtype=str)
        for literal, field in template_parts(spec.template):
            result = result + literal
            if field is not None:
                result = result + source[field].astype(object).fillna("").astype(str)
        return result
    if spec.join is not None:
        joined = _join_text(source, spec.join, spec.sep, skip_blanks=True)
        return joined.where(joined != "", None)
    assert spec.id is not None
    id_spec = spec.id
    columns = id_spec.columns
    all_blank = source[columns].isna().all(axis=1)
    natural = _join_text(source, columns, id_spec.sep, skip_blanks=False)
    if id_spec.hash:
        uniques = pd.unique(natural)
        digests = {v: hashlib.sha256(v.encode("utf-8")).hexdigest()[:16] for v in uniques}
        natural = natural.map(digests)
    result = id_spec.prefix + natural.astype(str)
    return result.where(~all_blank, None)


def _text_array(values: pd.Series) -> pa.Array:
    if not pd.api.types.is_string_dtype(values) or values.dtype == object:
        values = values.astype("str")
    return pa.array(values, type=pa.string(), from_pandas=True)


def _join_text(
    source: pd.DataFrame, columns: list[str], sep: str, *, skip_blanks: bool
) -> pd.Series:
    """Columns joined by ``sep`` (vectorised with Arrow); blanks skipped or written empty."""
    arrays = [_text_array(source[c]) for c in columns]
    if skip_blanks:
        joined = pc.binary_join_element_wise(*arrays, sep, null_handling="skip")
    else:
        joined = pc.binary_join_element_wise(
            *arrays, sep, null_handling="replace", null_replacement=""
        )
    return pd.Series(joined.to_pandas(), index=source.index, dtype="str")


def _apply_map(
    spec: ColumnSpec, values: pd.Series, rows: np.ndarray, log: ProblemLog, what: str
) -> tuple[pd.Series, np.ndarray]:
    assert spec.map is not None
    present = values.notna()
    keys = values.astype(object).where(~present, values.astype(str).str.strip())
    mapped = keys.map(spec.map)
    unmapped = (present & mapped.isna()).to_numpy(dtype=bool)
    if unmapped.any():
        if spec.default is not None:
            mapped = mapped.astype(object)
            mapped[unmapped] = spec.default
            unmapped = np.zeros(len(mapped), dtype=bool)
        else:
            options = list(spec.map)
            known = ", ".join(repr(k) for k in options[:20])
            if len(options) > 20:
                known += f", ... ({len(options)} in all)"
            messages = [
                f"{what}: value {v!r} is not in the mapping's `map`.{_close(v, options)} Known "
                f"values: {known}. Fix: correct the value, add it to `map`, or give the map a "
                "`default`."
                for v in keys[unmapped]
            ]
            log.add_rows(
                rows[unmapped],
                messages,
                same_as=("map", tuple(spec.sources)),
                field=what,
                values=keys[unmapped],
            )
    return mapped, unmapped


def _close(value: str, options: list[str]) -> str:
    return did_you_mean(value, options)


def _convert(
    spec: ColumnSpec,
    sa_type: object,
    values: pd.Series,
    rows: np.ndarray,
    log: ProblemLog,
    what: str,
) -> tuple[pd.Series, np.ndarray]:
    present = values.notna().to_numpy()
    sources = tuple(spec.sources)
    if isinstance(sa_type, Date | DateTime):
        parsed = _to_datetime(values, spec.format)
        bad = present & parsed.isna().to_numpy()
        if bad.any():
            expected = f"format '{spec.format}'" if spec.format else "ISO format (YYYY-MM-DD)"
            messages = [
                f"{what}: {v!r} is not a date in {expected}. Fix: correct the date, or set "
                "`format:` for this column in the mapping (strftime codes, e.g. '%Y/%m/%d')."
                for v in values[bad]
            ]
            log.add_rows(
                rows[bad],
                messages,
                same_as=("date", sources, spec.format),
                field=what,
                values=values[bad],
            )
        if spec.add_days:
            parsed = parsed + pd.Timedelta(days=spec.add_days)
        if not isinstance(sa_type, DateTime):
            parsed = parsed.dt.normalize()
        return parsed, bad
    if isinstance(sa_type, Boolean):
        text = values.astype(object).where(~present, values.astype(str).str.strip().str.lower())
        result = pd.Series(pd.NA, index=values.index, dtype="boolean")
        result[text.isin(_TRUE).to_numpy()] = True
        result[text.isin(_FALSE).to_numpy()] = False
        bad = present & result.isna().to_numpy()
        if bad.any():
            messages = [
                f"{what}: {v!r} is not yes/no. Fix: use true/false, yes/no or 1/0, or add a "
                "`map` to true/false."
                for v in values[bad]
            ]
            log.add_rows(
                rows[bad], messages, same_as=("bool", sources), field=what, values=values[bad]
            )
        return result, bad
    if isinstance(sa_type, Integer | Float | Numeric):
        # float64 so a 20-digit number is a (too large) number, not a uint64/object column
        numbers = pd.to_numeric(values.astype(object), errors="coerce").astype("float64")
        bad = present & numbers.isna().to_numpy()
        if isinstance(sa_type, Integer):
            fraction = (numbers % 1 != 0).fillna(False).to_numpy(dtype=bool)
            bad |= present & ~numbers.isna().to_numpy() & fraction
        if bad.any():
            kind = "a whole number" if isinstance(sa_type, Integer) else "a number"
            messages = [
                f"{what}: {v!r} is not {kind}. Fix: correct the value or `map` it to a number."
                for v in values[bad]
            ]
            log.add_rows(
                rows[bad], messages, same_as=("number", sources), field=what, values=values[bad]
            )
        limit = _largest(sa_type)
        huge = ~bad & (numbers.abs() > limit).fillna(False).to_numpy(dtype=bool)
        if huge.any():
            messages = [
                f"{what}: {v!r} is too large for the column (at most {limit:,.0f}). Fix: correct "
                "the value (an id or phone number in a numeric column?)."
                for v in values[huge]
            ]
            log.add_rows(
                rows[huge], messages, same_as=("number", sources), field=what, values=values[huge]
            )
            bad |= huge
        numbers = numbers.where(~pd.Series(bad, index=values.index))
        if isinstance(sa_type, Integer):
            return numbers.round().astype("Int64"), bad
        return numbers.astype("Float64"), bad
    text = values.astype(object).where(values.notna(), None).astype("str")
    return text, np.zeros(len(values), dtype=bool)


def _largest(sa_type: object) -> float:
    """The largest magnitude a numeric column holds on every engine (PostgreSQL's integer is
    32-bit, smallint 16-bit); a float column still refuses infinity."""
    if isinstance(sa_type, SmallInteger):
        return 32_767
    if isinstance(sa_type, Integer):
        return 2_147_483_647
    if isinstance(sa_type, Numeric) and not isinstance(sa_type, Float) and sa_type.precision:
        return 10.0 ** (sa_type.precision - (sa_type.scale or 0)) - 1
    return 1e300


def _to_datetime(values: pd.Series, fmt: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[us]")
    objects = values.astype(object)
    is_native = (
        objects.map(lambda v: isinstance(v, dt.date)).to_numpy()
        if objects.dtype == object and len(objects) and not pd.api.types.is_string_dtype(values)
        else np.zeros(len(objects), dtype=bool)
    )
    text = objects.where(~is_native, None).where(objects.notna(), None)
    parsed = pd.to_datetime(
        text.astype(str).str.strip().where(text.notna(), None),
        format=fmt or "ISO8601",
        errors="coerce",
    ).astype("datetime64[us]")
    if is_native.any():
        native = pd.to_datetime(objects[is_native].map(pd.Timestamp)).astype("datetime64[us]")
        parsed[is_native] = native
    return parsed
