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

Lives at the bottom of the import graph so tools, assistant and evals can all use it. The parser
itself (PyYAML) is in :mod:`semantic_layer.yaml_parse`, imported at the first parse; files read
with ``cached=True`` keep their parse in the user's cache between processes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from semantic_layer import user_cache
from semantic_layer.errors import SemanticLayerError
from semantic_layer.user_cache import cache_dir

MAX_BYTES = 5_000_000
MAX_NODES = 200_000
MAX_ALIASES = 1_000
MAX_DEPTH = 100

PathKey = tuple[str | int, ...]


class YamlFileError(SemanticLayerError):
    """A YAML file that cannot be read; the message starts with ``file:line``."""

    def __init__(self, file: str | Path, line: int, problem: str) -> None:
        self.file, self.line, self.problem = str(file), line, problem
        super().__init__(f"{file}:{line}: {problem}")


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


def read_yaml(path: Path | str, *, cached: bool = False) -> YamlDoc:
    """Read and parse a YAML file (size checked before reading). ``cached``: keep the parse in
    the user's cache (``semantic_layer.user_cache``) for the next process — for the files that
    ship with the code and are read on every CLI question (planner words, roles, targets)."""
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
    return parse_yaml(text, file, cached=cached)


def parse_yaml(text: str, file: Path | str = "<text>", *, cached: bool = False) -> YamlDoc:
    """Parse YAML ``text`` (``file`` names it in errors). With ``cached``, a parse of the same
    text and name is read from the user's cache when there (see :func:`read_yaml`)."""
    name = str(file)
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise YamlFileError(name, 1, f"the YAML text is larger than {MAX_BYTES:,} bytes. Split it.")
    path = _cache_path(text, name) if cached else None
    if path is not None:
        found = user_cache.load(path)
        if isinstance(found, YamlDoc) and found.file == name:
            return found
    from semantic_layer.yaml_parse import parse  # PyYAML: only when something is parsed

    doc = parse(text, name)
    if path is not None:
        user_cache.store(path, doc)
    return doc


# The cache of parsed documents (``read_yaml(..., cached=True)``): keyed by the text, its name and
# the code that parses it, so an edited file or an upgrade misses. Only what parsed without error
# is stored, so every error is reported from the text itself. Never an error of its own.
_FORMAT = 1


@lru_cache(maxsize=1)
def _code_digest() -> bytes:
    digest = hashlib.sha256(f"yaml cache {_FORMAT}\n".encode())
    here = Path(__file__).parent
    for name in ("yaml_load.py", "yaml_parse.py"):
        digest.update((here / name).read_bytes())
    return digest.digest()


def _cache_path(text: str, name: str) -> Path | None:
    directory = cache_dir()
    if directory is None:
        return None
    try:
        digest = hashlib.sha256(_code_digest())
    except OSError:
        return None
    digest.update(f"{name}\n".encode())
    digest.update(text.encode("utf-8", errors="surrogatepass"))
    return directory / f"yaml-{digest.hexdigest()[:32]}.pickle"
