"""The product's one YAML loader: data plus the line of every key, hostile input refused.

Every YAML file ServicePilot reads (specs, monitoring rules, import mappings, roles, users,
verified questions, eval cases, floors, paraphrases) goes through :func:`read_yaml` or
:func:`parse_yaml`, so all of them get the same rules:

* errors name ``file:line`` and say what to fix (:class:`YamlFileError`);
* a file larger than :data:`MAX_BYTES` is refused before it is parsed;
* aliases are capped: at most :data:`MAX_ALIASES` alias uses and :data:`MAX_NODES` nodes once
  every alias is expanded, counted on the composed graph (each shared node once), so a
  "billion laughs" file fails in milliseconds instead of expanding to gigabytes;
  self-referencing anchors and nesting deeper than :data:`MAX_DEPTH` are refused;
* only the standard tags are accepted (``!!python/object`` and local ``!tags`` are refused);
* a key written twice in one mapping is an error (YAML would silently keep the last one);
* booleans are YAML 1.2 style: only true/false — ``Yes``/``no``/``on`` stay text, as a user
  writing a value map expects; number and boolean keys become text (keys are names).

Lives at the bottom of the import graph so tools, assistant and evals can all use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from semantic_layer.errors import SemanticLayerError

MAX_BYTES = 5_000_000
MAX_NODES = 200_000
MAX_ALIASES = 1_000
MAX_DEPTH = 100

PathKey = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_BOOL_TAG = _TAG + "bool"
_ALLOWED_TAGS = frozenset(
    _TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
) | {_TAG + "merge"}


class YamlFileError(SemanticLayerError):
    """A YAML file that cannot be read; the message starts with ``file:line``."""

    def __init__(self, file: str | Path, line: int, problem: str) -> None:
        self.file, self.line, self.problem = str(file), line, problem
        super().__init__(f"{file}:{line}: {problem}")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader (C-accelerated when available) with YAML 1.2 booleans (true/false only)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class YamlDoc:
    """Parsed data and ``{key path: 1-based line}`` for the root, every key and every item."""

    data: Any
    lines: dict[PathKey, int]
    file: str

    def line_of(self, *path: str | int) -> int:
        """Line of ``path`` or of its closest recorded ancestor (1 when nothing is known)."""
        return line_of(self.lines, path) or 1

    # Readers for data files the code takes as given (phrase banks, word lists): a missing key
    # or a wrong shape is a YamlFileError at file:line, not a KeyError deep in the caller.

    def value(self, *path: str) -> Any:
        """The value at ``path``; every key on the way must be there."""
        value = self.data
        for depth, key in enumerate(path):
            if not isinstance(value, dict) or key not in value:
                where = ".".join(path[:depth]) or "the top level"
                raise YamlFileError(
                    self.file,
                    self.line_of(*path[:depth]),
                    f"{where} needs the key {key!r}. Add it.",
                )
            value = value[key]
        return value

    def texts(self, *path: str) -> tuple[str, ...]:
        """A non-empty list of texts at ``path``."""
        value = self.value(*path)
        if not value or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise YamlFileError(
                self.file,
                self.line_of(*path),
                f"{'.'.join(path)} must be a non-empty list of quoted texts.",
            )
        return tuple(value)

    def text_lines(self, *path: str) -> tuple[str, ...]:
        """A block of texts, one a line (``key: |``); blank lines and edge spaces dropped."""
        block = self.value(*path)
        lines = (
            tuple(line.strip() for line in block.splitlines() if line.strip())
            if isinstance(block, str)
            else ()
        )
        if not lines:
            raise YamlFileError(
                self.file,
                self.line_of(*path),
                f"{'.'.join(path)} must be a block of texts, one a line (write `{path[-1]}: |`).",
            )
        return lines


def line_of(lines: dict[PathKey, int], path: PathKey) -> int | None:
    """The line of ``path`` or of its closest recorded ancestor (the root included)."""
    for end in range(len(path), -1, -1):
        line = lines.get(tuple(path[:end]))
        if line is not None:
            return line
    return None


def read_yaml(path: Path | str) -> YamlDoc:
    """Read and parse a YAML file (size checked before reading)."""
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise YamlFileError(file, 1, f"cannot read the file ({exc.strerror}).") from exc
    if size > MAX_BYTES:
        raise YamlFileError(
            file,
            1,
            f"the file is {size:,} bytes; YAML files are limited to {MAX_BYTES:,} "
            "bytes. Split it or remove what is not needed.",
        )
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError(file, 1, f"not UTF-8 text ({exc.reason}). Save it as UTF-8.") from exc
    return parse_yaml(text, file)


def parse_yaml(text: str, file: Path | str = "<text>") -> YamlDoc:
    """Parse YAML ``text`` (``file`` names it in errors)."""
    name = str(file)
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise YamlFileError(name, 1, f"the YAML text is larger than {MAX_BYTES:,} bytes. Split it.")
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
            name, 1, f"the YAML nests too deeply. Flatten it (at most {MAX_DEPTH} levels)."
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
            if aliases > MAX_ALIASES:
                raise YamlFileError(
                    file,
                    _line(node),
                    f"more than {MAX_ALIASES} aliases (*name; this line holds the anchor). "
                    "Write the values out or use fewer aliases.",
                )
            return sizes[key]
        if depth > MAX_DEPTH:
            raise YamlFileError(
                file, _line(node), f"nested more than {MAX_DEPTH} levels deep. Flatten it."
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
                if total > MAX_NODES:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item, depth + 1)
                if total > MAX_NODES:
                    break
        in_progress.discard(key)
        if total > MAX_NODES:
            raise YamlFileError(
                file,
                _line(node),
                f"expands to more than {MAX_NODES:,} values once "
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
