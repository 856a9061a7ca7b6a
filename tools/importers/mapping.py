"""The column-mapping model: how the columns of one source file become warehouse rows.

A mapping is YAML (reference: docs/importing.md). Per target table it lists each target column
as exactly one *kind* — ``from`` (a source column, or a list: first non-blank), ``const``,
``template`` (``"{Column} text"``), ``join`` (non-blank columns joined by ``sep``) or ``id``
(prefix + source value(s), optionally hashed) — plus optional modifiers applied in this order:
``map`` (+ ``default``), ``if_null``, ``format`` (dates), ``add_days``, and ``reduce`` (for
``dedupe`` tables). No code strings, no eval.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Date, DateTime, String

from semantic_layer.errors import did_you_mean
from semantic_layer.model_errors import problem, validation_problems
from semantic_layer.yaml_load import PathKey as Path_
from semantic_layer.yaml_load import YamlFileError, read_yaml
from tools.errors import MappingError
from tools.warehouse.codes import CODED_COLUMNS
from tools.warehouse.schema import CONTRACT_TABLES, metadata

Scalar = str | int | float | bool
KINDS = ("from", "const", "template", "join", "id")
BUILTIN_PACKAGE = "tools.importers.mappings"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class IdSpec(_Model):
    """A derived id: ``prefix`` + the source value(s); several columns are joined by ``sep``;
    ``hash: true`` replaces the joined value by the first 16 hex digits of its sha256 (for
    long natural keys such as product names)."""

    prefix: str = ""
    from_: str | list[str] = Field(alias="from")
    sep: str = "-"
    hash: bool = False

    @property
    def columns(self) -> list[str]:
        return [self.from_] if isinstance(self.from_, str) else list(self.from_)


class ColumnSpec(_Model):
    """How one target column is filled. A bare string in YAML is short for ``{from: ...}``."""

    from_: str | list[str] | None = Field(None, alias="from")
    const: Scalar | None = None
    template: str | None = None
    join: list[str] | None = None
    id: IdSpec | None = None
    sep: str = " "
    map: dict[str, Scalar] | None = None
    default: Scalar | None = None
    if_null: Scalar | None = None
    format: str | None = None
    add_days: int | None = None
    reduce: Literal["min", "max"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"from": value} if isinstance(value, str) else value

    @field_validator("map", mode="before")
    @classmethod
    def _string_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> ColumnSpec:
        given = [k for k in KINDS if getattr(self, "from_" if k == "from" else k) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(
                f"give exactly one of {', '.join(KINDS)} (found: {found}); e.g. "
                "`from: Column name` or `const: value`"
            )
        if self.default is not None and self.map is None:
            raise ValueError("`default` only applies to a `map`; add a `map` or remove `default`")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in KINDS if getattr(self, "from_" if k == "from" else k) is not None)

    @property
    def sources(self) -> list[str]:
        """Source columns this target column reads (for checks and error messages)."""
        if self.from_ is not None:
            return [self.from_] if isinstance(self.from_, str) else list(self.from_)
        if self.template is not None:
            return template_fields(self.template)
        if self.join is not None:
            return list(self.join)
        if self.id is not None:
            return self.id.columns
        return []


class ReaderSpec(_Model):
    """How to read the file: text encoding and delimiter (CSV), sheet name (Excel). Without
    ``encoding`` the encoding is detected (BOM, UTF-8, GB18030) or the import is refused."""

    encoding: str | None = None
    delimiter: str = ","
    sheet: str | None = None

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(
                    f"unknown encoding {value!r}; use e.g. utf-8, gb18030, utf-16, latin-1, "
                    "or remove `encoding` to detect it"
                ) from None
        return value

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError(f"`delimiter` must be one character (got {value!r}), e.g. ',' or ';'")
        return value


class ChecksSpec(_Model):
    """Plausibility rules and what to do with bad rows (docs/importing.md, "Checks").

    Timestamps must fall in ``earliest`` .. today + ``days_ahead``; text columns without a size
    are truncated to ``max_text_chars`` (with a warning per row); ``on_bad_rows: quarantine``
    writes the good rows and records the bad ones in ``sp_quarantine`` instead of refusing the
    whole file."""

    earliest: dt.date = dt.date(2000, 1, 1)
    days_ahead: int = Field(1, ge=0, le=36_500)
    max_text_chars: int = Field(20_000, ge=1)
    on_bad_rows: Literal["refuse", "quarantine"] = "refuse"

    def window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """[earliest, latest) for timestamps; latest is the start of today + days_ahead + 1."""
        latest = pd.Timestamp(dt.date.today()) + pd.Timedelta(days=self.days_ahead + 1)
        return pd.Timestamp(self.earliest), latest


class TableSpec(_Model):
    """The columns of one target table. ``dedupe: true`` keeps one row per primary key (many
    source rows describe the same product or customer); otherwise a repeated id is an error."""

    dedupe: bool = False
    columns: dict[str, ColumnSpec]


class Mapping(_Model):
    """A whole mapping file."""

    version: Literal[1] = 1
    name: str
    source: str = Field(pattern=r"^[a-z0-9_-]{1,32}$")
    description: str = ""
    reader: ReaderSpec = ReaderSpec()
    checks: ChecksSpec = ChecksSpec()
    codes: dict[str, list[str]] = Field(default_factory=dict)
    tables: dict[str, TableSpec]

    def valid_codes(self, table: str, column: str) -> tuple[str, ...] | None:
        """Codes accepted in ``table.column`` (contract codes + ones declared here), or None."""
        base = CODED_COLUMNS.get((table, column))
        extra = self.codes.get(f"{table}.{column}")
        if base is None and extra is None:
            return None
        return tuple(base or ()) + tuple(c for c in extra or () if c not in (base or ()))

    def source_columns(self) -> dict[str, list[str]]:
        """Every source column the mapping reads -> the target columns that need it."""
        needed: dict[str, list[str]] = {}
        for table, spec in self.tables.items():
            for column, col in spec.columns.items():
                for source in col.sources:
                    needed.setdefault(source, []).append(f"{table}.{column}")
        return needed


@dataclass(frozen=True)
class MappingFile:
    """A loaded, checked mapping with where it came from and a content hash."""

    spec: Mapping
    path: Path
    sha256: str
    lines: dict[Path_, int]

    @property
    def name(self) -> str:
        return self.spec.name


def template_fields(template: str) -> list[str]:
    """Column names used as ``{Column}`` placeholders (``{{``/``}}`` are literal braces)."""
    return [field for _, field, _ in _template_parts(template) if field is not None]


def _template_parts(template: str) -> list[tuple[str, str | None, None]]:
    parts: list[tuple[str, str | None, None]] = []
    literal, i = "", 0
    while i < len(template):
        ch = template[i]
        if template.startswith("{{", i) or template.startswith("}}", i):
            literal += ch
            i += 2
        elif ch == "{":
            end = template.find("}", i)
            if end == -1:
                raise ValueError(
                    f"unclosed '{{' in template {template!r}; write '{{{{' for a brace"
                )
            parts.append((literal, template[i + 1 : end], None))
            literal, i = "", end + 1
        else:
            literal += ch
            i += 1
    parts.append((literal, None, None))
    return parts


def template_parts(template: str) -> list[tuple[str, str | None]]:
    """``[(literal, field_or_None), ...]`` — the literal text before each placeholder."""
    return [(lit, field) for lit, field, _ in _template_parts(template)]


# ---------------------------------------------------------------------------- loading


def builtin_mappings() -> dict[str, Path]:
    """Built-in mappings shipped with the package, by name (file stem)."""
    folder = resources.files(BUILTIN_PACKAGE)
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith((".yml", ".yaml"))
    }


def resolve_mapping_path(name_or_path: str | Path) -> Path:
    """A mapping file path, or the name of a built-in mapping (``cfpb``)."""
    path = Path(name_or_path).expanduser()
    if path.exists():
        return path
    builtins = builtin_mappings()
    if str(name_or_path) in builtins:
        return builtins[str(name_or_path)]
    hint = did_you_mean(str(name_or_path), list(builtins))
    raise MappingError(
        f"Mapping {str(name_or_path)!r} is neither a file nor a built-in mapping.{hint} "
        f"Built-in mappings: {', '.join(sorted(builtins)) or '(none)'}; or pass a path to a "
        "YAML file (see docs/importing.md)."
    )


def load_mapping(name_or_path: str | Path) -> MappingFile:
    """Load and check a mapping; every problem is reported at once with ``file:line``."""
    path = resolve_mapping_path(name_or_path)
    try:
        doc = read_yaml(path)
    except YamlFileError as exc:
        raise MappingError(str(exc)) from exc
    data, lines = doc.data, doc.lines
    if not isinstance(data, dict):
        raise MappingError(
            f"{path}:1: a mapping must be a YAML block with `name`, `source` and "
            "`tables` (see docs/importing.md)."
        )
    try:
        spec = Mapping.model_validate(data)
    except ValidationError as exc:
        raise _invalid(path, validation_problems(exc, doc, Mapping)) from exc
    problems = check_against_schema(spec)
    if problems:
        raise _invalid(path, [problem(doc, loc, message) for loc, message in problems])
    canonical = json.dumps(spec.model_dump(mode="json", by_alias=True), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return MappingFile(spec=spec, path=path, sha256=digest, lines=lines)


def _invalid(path: Path, problems: list[str]) -> MappingError:
    return MappingError(
        f"Invalid mapping {path} ({len(problems)} problem(s)):\n"
        + "\n".join(f"  - {p}" for p in problems)
    )


# ------------------------------------------------------------- checks against the schema


def check_against_schema(spec: Mapping) -> list[tuple[Path_, str]]:
    """Rules that need the warehouse schema: tables/columns exist, required columns are mapped,
    constants and map values are valid codes, modifiers fit the column type."""
    problems: list[tuple[Path_, str]] = []
    for key, extra in spec.codes.items():
        table, _, column = key.partition(".")
        if table not in CONTRACT_TABLES or column not in metadata.tables[table].columns:
            problems.append(
                (
                    ("codes", key),
                    f"'{key}' is not a warehouse column; write it as table.column, "
                    "e.g. tickets.region.",
                )
            )
        elif bad := [c for c in extra if not isinstance(c, str) or not c.isascii() or " " in c]:
            problems.append((("codes", key), f"codes must be ASCII words without spaces: {bad}."))
    for table, tspec in spec.tables.items():
        if table not in CONTRACT_TABLES:
            problems.append(
                (
                    ("tables", table),
                    f"unknown table '{table}'.{did_you_mean(table, list(CONTRACT_TABLES))}"
                    f" Tables: {', '.join(CONTRACT_TABLES)}.",
                )
            )
            continue
        sa_table = metadata.tables[table]
        names = [c.name for c in sa_table.columns if c.name != "source"]
        for column, col in tspec.columns.items():
            loc: Path_ = ("tables", table, "columns", column)
            if column == "source":
                problems.append(
                    (
                        loc,
                        "`source` is set from the mapping's top-level `source`; "
                        "remove this column.",
                    )
                )
                continue
            if column not in sa_table.columns:
                problems.append(
                    (
                        loc,
                        f"unknown column '{column}' of table {table}."
                        f"{did_you_mean(column, names)} Columns: {', '.join(names)}.",
                    )
                )
                continue
            problems.extend(_check_column(spec, table, column, col, tspec, loc))
        required = [
            c.name
            for c in sa_table.columns
            if not c.nullable and c.server_default is None and c.name not in tspec.columns
        ]
        if required:
            problems.append(
                (
                    ("tables", table, "columns"),
                    f"required column(s) of {table} not mapped: {', '.join(required)}. "
                    "Map them from a source column or give a `const`.",
                )
            )
    if not spec.tables:
        problems.append((("tables",), "no tables; map at least one table (e.g. tickets)."))
    return problems


def _bad_date_format(fmt: str) -> str | None:
    """Why ``fmt`` is not a usable strptime format (None when it is)."""
    if "%" not in fmt:
        return (
            f"date format {fmt!r} has no strftime codes, so no date would match it. Write it "
            "with codes, e.g. '%Y-%m-%d' for 2024-01-31 or '%d.%m.%Y %H:%M' for 31.01.2024 09:30."
        )
    try:
        dt.datetime(2024, 1, 31, 9, 30, 15).strftime(fmt)
        pd.to_datetime(pd.Series(["2024-01-31"]), format=fmt, errors="coerce")
    except ValueError as exc:
        return (
            f"invalid date format {fmt!r}: {exc}. Use strftime codes: %Y year, %m month, "
            "%d day, %H hour, %M minute, %S second (e.g. '%Y/%m/%d %H:%M')."
        )
    return None


def _check_column(
    spec: Mapping, table: str, column: str, col: ColumnSpec, tspec: TableSpec, loc: Path_
) -> list[tuple[Path_, str]]:
    problems: list[tuple[Path_, str]] = []
    sa_type = metadata.tables[table].columns[column].type
    is_date = isinstance(sa_type, Date | DateTime)
    if col.format is not None and not is_date:
        problems.append(
            (
                (*loc, "format"),
                f"`format` applies to dates only; {table}.{column} "
                "is not a date column. Remove it.",
            )
        )
    if col.format is not None and is_date and (bad := _bad_date_format(col.format)):
        problems.append(((*loc, "format"), bad))
    if col.add_days is not None and not is_date:
        problems.append(
            (
                (*loc, "add_days"),
                f"`add_days` applies to dates only; remove it from {table}.{column}.",
            )
        )
    if col.reduce is not None and not tspec.dedupe:
        problems.append(
            (
                (*loc, "reduce"),
                f"`reduce` only makes sense in a `dedupe: true` table; "
                f"set `dedupe: true` on {table} or remove it.",
            )
        )
    if col.template is not None:
        try:
            template_fields(col.template)
        except ValueError as exc:
            problems.append(((*loc, "template"), str(exc)))
    valid = spec.valid_codes(table, column)
    if valid is not None:

        def bad_code(value: Scalar | None) -> bool:
            return value is not None and str(value) not in valid

        checks: list[tuple[Path_, Scalar | None]] = [
            ((*loc, "const"), col.const),
            ((*loc, "default"), col.default),
            ((*loc, "if_null"), col.if_null),
        ]
        checks += [((*loc, "map", k), v) for k, v in (col.map or {}).items()]
        for where, value in checks:
            if bad_code(value):
                problems.append(
                    (
                        where,
                        f"'{value}' is not a valid {table}.{column} code."
                        f"{did_you_mean(str(value), list(valid))} Valid: "
                        f"{', '.join(valid)} (declare more under `codes:`).",
                    )
                )
    if (
        isinstance(sa_type, String)
        and sa_type.length
        and col.const is not None
        and len(str(col.const)) > sa_type.length
    ):
        problems.append(
            (
                (*loc, "const"),
                f"longer than {sa_type.length} characters, the size of {table}.{column}.",
            )
        )
    return problems
