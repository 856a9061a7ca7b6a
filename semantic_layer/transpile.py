"""SQL for engines without a SQLAlchemy dialect here (Trino, Spark SQL, ...): the DuckDB
rendering transpiled by sqlglot (parsed into sqlglot's AST, never edited as text)."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from semantic_layer.compiler import CompiledQuery

SUPPORTED = ("trino", "spark", "duckdb", "postgres", "bigquery", "snowflake", "clickhouse")


def _spark_percentile(node: exp.Expression) -> exp.Expression:
    # sqlglot writes DuckDB's quantile_cont(x, p) as PERCENTILE_CONT(x, p), which Spark rejects
    # (it takes WITHIN GROUP). Spark's PERCENTILE(x, p) is the same exact, linearly
    # interpolated percentile, so the numbers equal DuckDB's.
    if isinstance(node, exp.PercentileCont) and node.expression is not None:
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
    return node


def to_ast(compiled: CompiledQuery, target: str) -> exp.Expression:
    """The query's SQL as a sqlglot tree ready to be written for ``target``."""
    if compiled.dialect != "duckdb":
        raise ValueError("transpile from a query compiled for duckdb")
    if target not in SUPPORTED:
        raise ValueError(f"Unsupported target '{target}'. Valid targets: {', '.join(SUPPORTED)}.")
    tree = sqlglot.parse_one(compiled.sql, read="duckdb")
    return tree.transform(_spark_percentile) if target == "spark" else tree


def transpile(compiled: CompiledQuery, target: str, *, pretty: bool = True) -> str:
    """The query's SQL for ``target`` (a sqlglot dialect name such as ``trino`` or ``spark``)."""
    return to_ast(compiled, target).sql(dialect=target, pretty=pretty)
