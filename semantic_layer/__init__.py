"""The semantic layer's public API: certified metric definitions, queries over them, SQL.

    from semantic_layer import MetricQuery, TimeRange, default_catalog, execute

    query = MetricQuery(metrics=("csat",), dimensions=("region",),
                        time_range=TimeRange(start=date(2026, 10, 1), end=date(2026, 11, 1)))
    result = execute(query, "duckdb:///data/warehouse.duckdb", catalog=default_catalog())

Everything else in the package is an implementation detail and may change.
"""

from semantic_layer.catalog import Catalog
from semantic_layer.catalog_loader import default_catalog, load_catalog
from semantic_layer.compiler import CompileCache, CompiledQuery, compile_query
from semantic_layer.errors import (
    AccessPolicyError,
    ExecutionError,
    QueryError,
    SemanticLayerError,
    SpecError,
    UnknownCodeError,
    UnknownDimensionError,
    UnknownFieldError,
    UnknownItemError,
    UnknownMetricError,
    UnknownModelError,
    closest,
    did_you_mean,
    problem_list,
)
from semantic_layer.executor import MetricResult, execute
from semantic_layer.periods import (
    add_months,
    comparison_range,
    last_full_month,
    month_start,
    quarter_start,
    week_start,
)
from semantic_layer.policy import ALLOW_ALL, AccessPolicy, RowPolicy
from semantic_layer.query import Filter, MetricFilter, MetricQuery, OrderBy, TimeRange

__all__ = [
    "ALLOW_ALL",
    "AccessPolicy",
    "AccessPolicyError",
    "Catalog",
    "CompileCache",
    "CompiledQuery",
    "ExecutionError",
    "Filter",
    "MetricFilter",
    "MetricQuery",
    "MetricResult",
    "OrderBy",
    "QueryError",
    "RowPolicy",
    "SemanticLayerError",
    "SpecError",
    "TimeRange",
    "UnknownCodeError",
    "UnknownDimensionError",
    "UnknownFieldError",
    "UnknownItemError",
    "UnknownMetricError",
    "UnknownModelError",
    "add_months",
    "closest",
    "comparison_range",
    "compile_query",
    "default_catalog",
    "did_you_mean",
    "execute",
    "last_full_month",
    "load_catalog",
    "month_start",
    "problem_list",
    "quarter_start",
    "week_start",
]
