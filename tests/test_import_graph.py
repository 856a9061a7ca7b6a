"""One direction of imports (shared/DESIGN.md): semantic_layer <- tools <- assistant <- evals.

The checker sees static imports and dynamic ones too: ``importlib.import_module("x")``,
``__import__("x")`` and module paths written as strings ("evals.cli"), which a registry could
import by name. Besides the direction between parts, a few edges inside the parts are
forbidden: the ones that used to close an import circle or let a lower module reach back up.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("semantic_layer", "tools", "assistant", "evals")
FORBIDDEN = {
    "semantic_layer": {"tools", "assistant", "evals"},
    "tools": {"assistant", "evals"},
    "assistant": {"evals"},
}
# module -> modules it must not import (its old back-edges).
FORBIDDEN_EDGES = {
    # the catalog -> validation -> executor -> catalog circle
    "semantic_layer.catalog": (
        "semantic_layer.validation",
        "semantic_layer.catalog_loader",
        "semantic_layer.executor",
        "semantic_layer.smoke",
    ),
    "semantic_layer.validation": ("semantic_layer.executor", "semantic_layer.smoke"),
    # the assistant is built by the app; it never reaches up to the API or the builder
    "assistant.service": ("assistant.api", "assistant.app"),
    "assistant.answer": ("assistant.api", "assistant.app", "assistant.service"),
    "assistant.planning": ("assistant.api", "assistant.app", "assistant.service"),
    # "why" uses the caller's catalog, never the packaged one
    "tools.cases.why": ("semantic_layer.catalog_loader",),
}
MODULE_PATH = re.compile(rf"^(?:{'|'.join(PARTS)})(?:\.[A-Za-z_]\w*)+$")
DYNAMIC = {"import_module", "__import__"}


def imports_of(path: Path) -> set[tuple[str, int]]:
    """(module, line) of every static import, dynamic import and module-path string."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {(alias.name, node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module, node.lineno))
            found |= {(f"{node.module}.{a.name}", node.lineno) for a in node.names}
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            arg = node.args[0] if node.args else None
            if name in DYNAMIC and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add((arg.value, node.lineno))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and MODULE_PATH.match(node.value)
        ):
            found.add((node.value, node.lineno))
    return found


def imported_top_levels(path: Path) -> set[tuple[str, int]]:
    return {(module.split(".")[0], line) for module, line in imports_of(path)}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def violations(package: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for top, line in imported_top_levels(path):
            if top in FORBIDDEN[package]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {top}")
    return bad


def back_edges() -> list[str]:
    bad = []
    for part in PARTS:
        for path in sorted((ROOT / part).rglob("*.py")):
            name = module_name(path)
            for owner, targets in FORBIDDEN_EDGES.items():
                if name != owner and not name.startswith(owner + "."):
                    continue
                for module, line in imports_of(path):
                    if any(module == t or module.startswith(t + ".") for t in targets):
                        bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return sorted(set(bad))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_parts_never_import_higher_ones(package: str) -> None:
    assert violations(package) == []


def test_no_old_back_edges() -> None:
    assert back_edges() == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    # Guard against a checker that silently finds nothing.
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom tools.settings import Settings\nimport assistant.cli\n")
    assert {top for top, _ in imported_top_levels(module)} == {"os", "tools", "assistant"}


def test_the_checker_sees_dynamic_imports_and_module_strings(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import importlib\n"
        "importlib.import_module('evals.runner')\n"
        "__import__('tools.settings')\n"
        "COMMANDS = ('assistant.commands.ask', 'not a module', 'evals')\n"
    )
    assert {m for m, _ in imports_of(module)} == {
        "importlib",
        "evals.runner",
        "tools.settings",
        "assistant.commands.ask",
    }
