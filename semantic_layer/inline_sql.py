"""Statements run on DuckDB with their values written into the SQL text, not bound.

DuckDB's Python client imports pandas and numpy (≈0.3 s) the first time a statement is run with
a bound parameter, whatever the value; a statement whose values are literals in its text does
not. A CLI question is a whole process, so the executor's queries and the operations store's
appends on DuckDB inline their values: rendered by the dialect's own literal processors
(SQLAlchemy ``literal_binds``: quotes doubled, backslashes kept as DuckDB reads them), never
by hand. The one value DuckDB's parser cannot read in a literal is a string holding NUL: such
a statement runs with bound parameters, as before. Other databases always bind parameters.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.sql.expression import Executable


def inline_sql(statement: Any, dialect: Dialect) -> str | None:
    """``statement``'s SQL with every value a literal, or None when a value cannot be one (a
    string holding NUL)."""
    text = str(
        statement.compile(
            dialect=dialect, compile_kwargs={"literal_binds": True, "render_postcompile": True}
        )
    )
    return None if "\x00" in text else text


def run(conn: Connection, statement: Executable) -> CursorResult[Any]:
    """Run ``statement`` on ``conn``: on DuckDB with its values inlined (see the module), else
    (or when a value cannot be inlined) with bound parameters."""
    if conn.dialect.name == "duckdb":
        text = inline_sql(statement, conn.dialect)
        if text is not None:
            return conn.exec_driver_sql(text)
    return conn.execute(statement)


def has_column(conn: Connection, table: str, column: str | None = None) -> bool:
    """Whether ``table`` (with ``column``, when given) exists in the connection's default
    schema. DuckDB is asked through information_schema with inlined values (its inspector binds
    parameters); other databases through SQLAlchemy's inspector."""
    if conn.dialect.name != "duckdb":
        inspector = sa.inspect(conn)
        if column is None:
            return inspector.has_table(table)
        try:
            return column in {c["name"] for c in inspector.get_columns(table)}
        except sa.exc.NoSuchTableError:
            return False
    columns = sa.table(
        "columns",
        sa.column("table_catalog", sa.String),
        sa.column("table_schema", sa.String),
        sa.column("table_name", sa.String),
        sa.column("column_name", sa.String),
        schema="information_schema",
    )
    where = [
        columns.c.table_catalog == sa.func.current_database(),
        columns.c.table_schema == sa.func.current_schema(),
        columns.c.table_name == table,
    ]
    if column is not None:
        where.append(columns.c.column_name == column)
    return run(conn, sa.select(sa.literal(1)).where(*where).limit(1)).first() is not None
