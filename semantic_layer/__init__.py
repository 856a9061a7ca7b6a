"""The semantic layer's public API: certified metric definitions, queries over them, SQL.

    from semantic_layer import MetricQuery, TimeRange, default_catalog, execute

    query = MetricQuery(metrics=("csat",), dimensions=("region",),
                        time_range=TimeRange(start=date(2026, 10, 1), end=date(2026, 11, 1)))
    result = execute(query, "duckdb:///data/warehouse.duckdb", catalog=default_catalog())

Everything else in the package is an implementation detail and may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from semantic_layer.lazy_exports import lazy_getattr

if TYPE_CHECKING:
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

# Names resolve on first use (PEP 562), so importing one light module of the package (say
# semantic_layer.errors) does not load pandas, SQLAlchemy and the compiler: CLI start-up.
_HOME = {  # public name -> the module defining it
    "Catalog": "semantic_layer.catalog",
    "default_catalog": "semantic_layer.catalog_loader",
    "load_catalog": "semantic_layer.catalog_loader",
    "CompileCache": "semantic_layer.compiler",
    "CompiledQuery": "semantic_layer.compiler",
    "compile_query": "semantic_layer.compiler",
    "AccessPolicyError": "semantic_layer.errors",
    "ExecutionError": "semantic_layer.errors",
    "QueryError": "semantic_layer.errors",
    "SemanticLayerError": "semantic_layer.errors",
    "SpecError": "semantic_layer.errors",
    "UnknownCodeError": "semantic_layer.errors",
    "UnknownDimensionError": "semantic_layer.errors",
    "UnknownFieldError": "semantic_layer.errors",
    "UnknownItemError": "semantic_layer.errors",
    "UnknownMetricError": "semantic_layer.errors",
    "UnknownModelError": "semantic_layer.errors",
    "closest": "semantic_layer.errors",
    "did_you_mean": "semantic_layer.errors",
    "problem_list": "semantic_layer.errors",
    "MetricResult": "semantic_layer.executor",
    "execute": "semantic_layer.executor",
    "add_months": "semantic_layer.periods",
    "comparison_range": "semantic_layer.periods",
    "last_full_month": "semantic_layer.periods",
    "month_start": "semantic_layer.periods",
    "quarter_start": "semantic_layer.periods",
    "week_start": "semantic_layer.periods",
    "ALLOW_ALL": "semantic_layer.policy",
    "AccessPolicy": "semantic_layer.policy",
    "RowPolicy": "semantic_layer.policy",
    "Filter": "semantic_layer.query",
    "MetricFilter": "semantic_layer.query",
    "MetricQuery": "semantic_layer.query",
    "OrderBy": "semantic_layer.query",
    "TimeRange": "semantic_layer.query",
}


__getattr__ = lazy_getattr(__name__, _HOME, globals())


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
