"""SQL for engines without a SQLAlchemy dialect here (Trino, Spark SQL, ...): the DuckDB
rendering transpiled by sqlglot (parsed into sqlglot's AST, never edited as text)."""

from __future__ import annotations

import sqlglot

from semantic_layer.compiler import CompiledQuery

SUPPORTED = ("trino", "spark", "duckdb", "postgres", "bigquery", "snowflake", "clickhouse")


def transpile(compiled: CompiledQuery, target: str, *, pretty: bool = True) -> str:
    """The query's SQL for ``target`` (a sqlglot dialect name such as ``trino`` or ``spark``)."""
    if compiled.dialect != "duckdb":
        raise ValueError("transpile from a query compiled for duckdb")
    if target not in SUPPORTED:
        raise ValueError(f"Unsupported target '{target}'. Valid targets: {', '.join(SUPPORTED)}.")
    (sql,) = sqlglot.transpile(compiled.sql, read="duckdb", write=target, pretty=pretty)
    return sql
