"""The half of :mod:`semantic_layer.yaml_load` that needs PyYAML: the loader with YAML 1.2
booleans, the graph checks (tags, cycles, depth, alias bombs) and the build with key lines.

Imported on the first parse, not with ``yaml_load``: a CLI question reads its packaged YAML files
from the parse cache (``read_yaml(..., cached=True)``) and never loads PyYAML (≈10 ms).
The limits stay in ``yaml_load`` (read from there at each parse, so tests can lower them).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from semantic_layer import yaml_load as limits
from semantic_layer.yaml_load import PathKey, YamlDoc, YamlFileError

_TAG = "tag:yaml.org,2002:"
_BOOL_TAG = _TAG + "bool"
_ALLOWED_TAGS = frozenset(
    _TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
) | {_TAG + "merge"}


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader (C-accelerated when available) with YAML 1.2 booleans (true/false only)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse(text: str, name: str) -> YamlDoc:
    """Parse YAML ``text`` (``name`` names it in errors); the size is checked by the caller."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(None, {}, name)
        _check_graph(node, name)
        lines: dict[PathKey, int] = {(): _line(node)}
        data = _build(loader, node, (), lines, name)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlFileError(
            name, line, f"not valid YAML: {problem}. Fix the syntax there."
        ) from exc
    except RecursionError as exc:
        raise YamlFileError(
            name, 1, f"the YAML nests too deeply. Flatten it (at most {limits.MAX_DEPTH} levels)."
        ) from exc
    finally:
        loader.dispose()
    return YamlDoc(data, lines, name)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _check_graph(root: yaml.Node, file: str) -> None:
    """Refuse unknown tags, cycles, deep nesting and alias bombs before anything is built.

    Sizes are memoised per node object: an alias is the same object as its anchor, so this
    costs one visit per distinct node however large the expansion would be.
    """
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()
    aliases = 0

    def size(node: yaml.Node, depth: int) -> int:
        nonlocal aliases
        key = id(node)
        if key in in_progress:
            raise YamlFileError(file, _line(node), "an anchor refers to itself. Remove the alias.")
        if key in sizes:
            aliases += 1
            if aliases > limits.MAX_ALIASES:
                raise YamlFileError(
                    file,
                    _line(node),
                    f"more than {limits.MAX_ALIASES} aliases (*name; this line holds the anchor). "
                    "Write the values out or use fewer aliases.",
                )
            return sizes[key]
        if depth > limits.MAX_DEPTH:
            raise YamlFileError(
                file, _line(node), f"nested more than {limits.MAX_DEPTH} levels deep. Flatten it."
            )
        if node.tag not in _ALLOWED_TAGS:
            raise YamlFileError(
                file,
                _line(node),
                f"tag {node.tag!r} is not allowed; only plain YAML "
                "(text, numbers, true/false, null, dates, lists, mappings). Remove the tag.",
            )
        in_progress.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node, depth + 1) + size(value_node, depth + 1)
                if total > limits.MAX_NODES:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item, depth + 1)
                if total > limits.MAX_NODES:
                    break
        in_progress.discard(key)
        if total > limits.MAX_NODES:
            raise YamlFileError(
                file,
                _line(node),
                f"expands to more than {limits.MAX_NODES:,} values once "
                "aliases (*name) are replaced. Refusing a possible alias bomb; write the "
                "data out or use fewer nested aliases.",
            )
        sizes[key] = total
        return total

    size(root, 0)


def _build(loader: _Loader, node: yaml.Node, path: PathKey, lines: dict[PathKey, int], file):
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolve "<<: *anchor" merge keys
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, int | float | bool):
                key = str(key)
            if key in result:
                raise YamlFileError(
                    file,
                    _line(key_node),
                    f"key {key!r} appears twice in the same block "
                    f"(first at line {lines[(*path, key)]}). Keep one of them.",
                )
            lines[(*path, key)] = _line(key_node)
            result[key] = _build(loader, value_node, (*path, key), lines, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[(*path, index)] = _line(item)
            items.append(_build(loader, item, (*path, index), lines, file))
        return items
    return loader.construct_object(node, deep=True)
