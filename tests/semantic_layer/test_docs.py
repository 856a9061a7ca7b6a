"""docs/metrics.md documents every spec field, and its reference is the generated one."""

from __future__ import annotations

from pathlib import Path

from semantic_layer.docs_gen import all_fields, reference

DOC = Path(__file__).parents[2] / "docs" / "metrics.md"


def test_reference_is_generated_and_current():
    assert reference() in DOC.read_text(encoding="utf-8"), (
        "docs/metrics.md is stale: run python -m semantic_layer.docs_gen docs/metrics.md"
    )


def test_every_spec_field_is_documented():
    text = DOC.read_text(encoding="utf-8")
    missing = [
        f"{cls}.{name}"
        for cls, name in sorted(all_fields())
        if f"### `{cls}`" not in text or f"| `{name}` |" not in text
    ]
    assert not missing, missing
