"""Row-level access policies, injected by the compiler (never by a prompt or a planner).

A policy returns filters per model; the compiler ANDs them into every aggregation it builds
(including comparison periods and snapshots), so no query filter can widen what a user sees.
A policy filter that cannot be applied to a model refuses the query (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from semantic_layer.query import Filter, Scalar


@runtime_checkable
class RowPolicy(Protocol):
    def filters_for(self, model: str) -> Sequence[Filter]:
        """Filters every row of ``model`` the user may see must satisfy."""
        ...


@dataclass(frozen=True)
class AccessPolicy:
    """Same row filters on every model, e.g. ``AccessPolicy(row_filters={"region": ["east"]})``.

    Field names are query dimension names (``region`` resolves per model: a survey's region is
    its ticket's region, an order's region is the order's).
    """

    row_filters: Mapping[str, Sequence[Scalar]] = field(default_factory=dict)
    name: str = "policy"

    def filters_for(self, model: str) -> Sequence[Filter]:
        return [Filter(field=f, op="in", values=tuple(v)) for f, v in self.row_filters.items()]


ALLOW_ALL = AccessPolicy(name="allow_all")
