"""Errors raised by the semantic layer.

User-recoverable errors name the item, list the valid options and suggest the closest match,
because both people and the agent read these messages to correct themselves (the texts are
snapshot-tested). This module sits at the bottom of ``semantic_layer`` and imports nothing from
the project; the CLI maps ``exit_code`` onto its own exit codes.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


class SemanticLayerError(Exception):
    """Base class: something a user (or planner) can fix."""

    exit_code = 1


def closest(name: str, options: Iterable[str]) -> str | None:
    """The option closest to ``name`` (case-insensitive), or None when nothing is close."""
    by_lower = {o.lower(): o for o in options}
    match = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` for the closest option, or "" (the product's one did-you-mean)."""
    guess = closest(str(name), options)
    return f" Did you mean {guess!r}?" if guess else ""


def unknown_key(key: object, valid: Sequence[str]) -> str:
    """ "unknown key. Did you mean 'x'? Valid keys: ..." for a config file's unrecognised key."""
    hint = closest(str(key), valid) if valid else None
    text = "unknown key" + (f". Did you mean '{hint}'?" if hint else ".")
    return text + (f" Valid keys: {', '.join(valid)}." if valid else "")


def _listing(options: Sequence[str], limit: int = 40) -> str:
    shown = ", ".join(options[:limit])
    return shown + (f", ... ({len(options) - limit} more)" if len(options) > limit else "")


class UnknownItemError(SemanticLayerError):
    """A name (metric, dimension, model, ...) that the catalog does not know."""

    kind = "item"

    def __init__(
        self,
        name: str,
        valid: Iterable[str],
        *,
        suggestion: str | None = None,
        context: str = "",
    ) -> None:
        self.name = name
        self.valid = sorted(set(valid))
        self.suggestion = suggestion or closest(name, self.valid)
        hint = f" Did you mean '{self.suggestion}'?" if self.suggestion else ""
        where = f" {context}" if context else ""
        super().__init__(
            f"Unknown {self.kind} '{name}'{where}.{hint} "
            f"Valid {self.kind_plural}: {_listing(self.valid)}."
        )

    @property
    def kind_plural(self) -> str:
        return f"{self.kind}s"


class UnknownMetricError(UnknownItemError):
    kind = "metric"


class UnknownDimensionError(UnknownItemError):
    kind = "dimension"


class UnknownModelError(UnknownItemError):
    kind = "model"


class UnknownFieldError(UnknownItemError):
    """A filter or order-by field that is neither a dimension nor a metric of the query."""

    kind = "field"


class UnknownCodeError(UnknownItemError):
    kind = "code"


class QueryError(SemanticLayerError):
    """A MetricQuery that is well-formed but cannot be answered as asked (says why and how)."""

    exit_code = 2


class AccessPolicyError(SemanticLayerError):
    """The access policy cannot be applied to a query; the query is refused (fail closed)."""

    exit_code = 1


SHOWN_PROBLEMS = 50


def problem_list(problems: Sequence[object], total: int | None = None) -> str:
    """Problems as indented lines, the first ``SHOWN_PROBLEMS`` of them and how many more:
    the one format of every "N problems" error (spec, import, mapping files)."""
    total = len(problems) if total is None else total
    lines = "\n".join(f"  - {p}" for p in list(problems)[:SHOWN_PROBLEMS])
    more = f"\n  ... and {total - SHOWN_PROBLEMS} more" if total > SHOWN_PROBLEMS else ""
    return lines + more


class SpecError(SemanticLayerError):
    """The YAML spec has problems; ``issues`` lists every one with file, line and a fix."""

    exit_code = 2

    def __init__(self, issues: Sequence[object]) -> None:
        self.issues = list(issues)
        super().__init__(
            f"The semantic spec has {len(self.issues)} problem(s):\n{problem_list(self.issues)}\n"
            "Run `servicepilot metrics validate` for the full report."
        )


class ExecutionError(SemanticLayerError):
    """The warehouse failed to run a compiled query (timeout, missing table, ...)."""

    exit_code = 3


class ComputedTableMissing(ExecutionError):
    """A table computed as of a date (customer segments) has not been built in this warehouse,
    or is empty; ``built_by`` is the command that builds it."""

    def __init__(self, message: str, *, table: str, built_by: str) -> None:
        super().__init__(message)
        self.table = table
        self.built_by = built_by
