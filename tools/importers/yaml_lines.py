"""Load YAML keeping the line of every key, so mapping errors can say ``file:line``.

YAML 1.1's ``yes``/``no``/``on``/``off`` booleans are switched off: in a value map ``Yes: 1``
means the text "Yes", as a user expects; only ``true``/``false`` are booleans.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tools.errors import MappingError

Path_ = tuple[str | int, ...]

_BOOL_TAG = "tag:yaml.org,2002:bool"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader with YAML 1.2-style booleans (true/false only)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml_with_lines(text: str, file: Path | str) -> tuple[Any, dict[Path_, int]]:
    """Parse ``text``; return the data and ``{path: 1-based line}`` for every key and item."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path_, int] = {}
        data = _build(loader, node, (), lines, file) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        problem = getattr(exc, "problem", None) or str(exc)
        raise MappingError(f"{where}: not valid YAML: {problem}. Fix the syntax there.") from exc
    finally:
        loader.dispose()
    return data, lines


def _build(loader: _Loader, node: yaml.Node, path: Path_, lines: dict[Path_, int], file) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolve "<<: *anchor" merge keys
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, int | float | bool):
                key = str(key)
            if key in result:
                raise MappingError(
                    f"{file}:{key_node.start_mark.line + 1}: key {key!r} appears twice in the "
                    f"same block (first at line {lines[(*path, key)]}). Keep one of them."
                )
            lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, (*path, key), lines, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            items.append(_build(loader, item, (*path, index), lines, file))
        return items
    return loader.construct_object(node, deep=True)


def line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of ``path`` or of its closest recorded ancestor."""
    for end in range(len(path), 0, -1):
        line = lines.get(tuple(path[:end]))
        if line is not None:
            return line
    return None
