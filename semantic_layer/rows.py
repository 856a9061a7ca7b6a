"""Row lists under the same access policy as the metrics (operational lists, not KPIs).

An operational list ("tickets whose SLA runs out in the next two hours") reads single rows,
not aggregates, so it cannot be a MetricQuery. It still goes through the compiler's access
check: the policy's row filters are resolved per model exactly as ``build_plan`` resolves them
and ANDed into the statement, so a regional manager's list holds their region's rows only,
and a policy filter that cannot apply to the model refuses the list (fail closed).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement, Select

from semantic_layer.catalog import Catalog
from semantic_layer.compiler import _compare, _literal_for, _Source
from semantic_layer.errors import AccessPolicyError, SemanticLayerError
from semantic_layer.plan import _resolve_filter
from semantic_layer.policy import RowPolicy


class ScopedRows:
    """Columns of one model's rows (``columns``: spec paths such as ``sla_due_at`` or
    ``agent.agent_name``, joined many-to-one) with the policy's row filters compiled in.

    ``rows.c["sla_due_at"]`` is a column to build conditions on; ``rows.select(...)`` the
    statement of the visible rows that also meet them."""

    def __init__(
        self,
        catalog: Catalog,
        model: str,
        columns: Sequence[str],
        policy: RowPolicy | None,
    ) -> None:
        self.model = catalog.model(model)
        src = _Source(catalog, self.model)
        self.c: dict[str, ColumnElement] = {name: src.path(name) for name in columns}
        self._where: list[ColumnElement] = []
        for flt in policy.filters_for(model) if policy is not None else ():
            try:
                resolved = _resolve_filter(catalog, model, flt, policy=True)
            except SemanticLayerError as exc:
                raise AccessPolicyError(
                    f"The access policy filter on '{flt.field}' cannot be applied to model "
                    f"'{model}' ({exc}); the list is refused. Ask an administrator to extend "
                    "the policy."
                ) from exc
            column = src.column(resolved.column)
            self._where.append(
                _compare(resolved.filter.op, column, resolved.values, literal=_literal_for)
            )
        self._from = src.from_clause()  # after every join above is known

    def select(
        self,
        *where: ColumnElement,
        order_by: Sequence[ColumnElement] = (),
        limit: int | None = None,
    ) -> Select:
        stmt = (
            sa.select(*(col.label(name) for name, col in self.c.items()))
            .select_from(self._from)
            .where(*self._where, *where)
            .order_by(*order_by)
        )
        return stmt.limit(limit) if limit is not None else stmt

    def count(self, *where: ColumnElement) -> Select:
        return sa.select(sa.func.count()).select_from(self._from).where(*self._where, *where)
