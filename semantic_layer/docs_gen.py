"""Generate the spec reference in docs/metrics.md from the pydantic models (never by hand).

``python -m semantic_layer.docs_gen docs/metrics.md`` rewrites the text between the markers.
"""

from __future__ import annotations

import sys
import typing
from pathlib import Path

from pydantic import BaseModel

from semantic_layer import spec

BEGIN = "<!-- BEGIN GENERATED SPEC REFERENCE -->"
END = "<!-- END GENERATED SPEC REFERENCE -->"
DOCUMENTED = (
    spec.SemanticSpec,
    spec.CodeList,
    spec.Code,
    spec.CodeGroup,
    spec.Model,
    spec.ComputedAsOf,
    spec.Dimension,
    spec.Relationship,
    spec.Measure,
    spec.FilterSpec,
    spec.DurationExpr,
    spec.Duration,
    spec.Metric,
    spec.AmbiguousTerm,
    spec.MetricPart,
    spec.Snapshot,
    spec.Formula,
    spec.MetricRef,
    spec.Constant,
    spec.Label,
)


def _type(annotation: object) -> str:
    text = repr(annotation) if not isinstance(annotation, type) else annotation.__name__
    for prefix in ("typing.", "semantic_layer.spec."):
        text = text.replace(prefix, "")
    return text.replace("|", "\\|")


def reference() -> str:
    lines = [BEGIN, ""]
    for cls in DOCUMENTED:
        doc = (cls.__doc__ or "").strip().splitlines() or [""]
        lines += [
            f"### `{cls.__name__}`",
            "",
            doc[0],
            "",
            "| key | type | required | meaning |",
            "|---|---|---|---|",
        ]
        for name, info in cls.model_fields.items():
            required = "yes" if info.is_required() else f"no (default `{info.default!r}`)"
            lines.append(
                f"| `{name}` | `{_type(info.annotation)}` | {required} | "
                f"{(info.description or '').replace('|', '/')} |"
            )
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def all_fields() -> set[tuple[str, str]]:
    return {(c.__name__, f) for c in DOCUMENTED for f in c.model_fields} | {
        (c.__name__, f) for c in _all_spec_models() for f in c.model_fields
    }


def _all_spec_models() -> list[type[BaseModel]]:
    return [
        v
        for v in vars(spec).values()
        if isinstance(v, type)
        and issubclass(v, BaseModel)
        and v.__module__ == spec.__name__
        and v is not spec.Frozen
    ]


def update(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    new = head + reference() + tail
    changed = new != text
    path.write_text(new, encoding="utf-8")
    return changed


if __name__ == "__main__":
    print("updated" if update(Path(sys.argv[1])) else "up to date")
    _ = typing
