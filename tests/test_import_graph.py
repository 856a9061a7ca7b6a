"""One direction of imports (shared/DESIGN.md): semantic_layer <- tools <- assistant <- evals."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "semantic_layer": {"tools", "assistant", "evals"},
    "tools": {"assistant", "evals"},
    "assistant": {"evals"},
}


def imported_top_levels(path: Path) -> set[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module.split(".")[0], node.lineno))
    return found


def violations(package: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for top, line in imported_top_levels(path):
            if top in FORBIDDEN[package]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {top}")
    return bad


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_parts_never_import_higher_ones(package: str) -> None:
    assert violations(package) == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    # Guard against a checker that silently finds nothing.
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom tools.settings import Settings\nimport assistant.cli\n")
    assert {top for top, _ in imported_top_levels(module)} == {"os", "tools", "assistant"}
