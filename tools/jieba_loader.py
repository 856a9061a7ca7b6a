"""jieba, initialised once per process (its dictionary ships inside the package: no download).

Shared by the case tokenizer (``tools.cases.text``) and the name finder (``tools.pii.names``) so
the ~1 s dictionary load happens once, under a lock, and jieba's start-up chatter stays quiet.

Word segmentation (:func:`cut_words`) does not need that load: jieba's dictionary-only cut
(``HMM=False``) looks up nothing but substrings of the text it cuts, and every such substring
starts with one of the text's characters. So the prefix dictionary (word → frequency, 0 for a
prefix that is no word) is kept in the user cache split by first character, and a process that
has not loaded jieba reads only the parts its texts' characters need: a cold ``cases search``
with a Chinese query cuts it in milliseconds instead of a second, with the very same
dictionary, total and code (jieba's own ``Tokenizer``), so the same words.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import marshal
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

__all__ = ["cut_words", "jieba_module", "jieba_posseg"]

_lock = threading.Lock()
_jieba: Any = None
_split: Any = None  # the jieba Tokenizer over the split dictionary; False: none available
SPLIT_FORMAT = 1


def jieba_module() -> Any:
    """The initialised ``jieba`` module (word segmentation only, see :func:`jieba_posseg`)."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def jieba_posseg() -> Any:
    """``jieba.posseg`` (part-of-speech tags, for the name finder). Imported only when needed:
    its import parses the whole dictionary again (about as long as the dictionary load), which
    a search whose query needs no name check should not pay."""
    jieba = jieba_module()
    with _lock:
        import jieba.posseg

    return jieba.posseg


def cut_words(text: str) -> list[str]:
    """``jieba.lcut(text, HMM=False)``: the same words, without loading the whole dictionary
    when this process has not loaded it yet (see the module doc)."""
    if _jieba is None:
        tokenizer = _split_tokenizer()
        if tokenizer is not None:
            return tokenizer.lcut(text, HMM=False)
    return jieba_module().lcut(text, HMM=False)


class _SplitPrefixDict:
    """jieba's prefix dictionary read part by part: the entries of one first character are
    unmarshalled on their first lookup. Offers what jieba's cut looks up (``in``, ``[]``,
    ``get``)."""

    def __init__(self, parts: dict[str, bytes]) -> None:
        self._parts = parts
        self._loaded: dict[str, dict[str, int]] = {}

    def _part(self, first: str) -> dict[str, int]:
        part = self._loaded.get(first)
        if part is None:
            blob = self._parts.get(first)
            part = self._loaded[first] = marshal.loads(blob) if blob is not None else {}
        return part

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and bool(word) and word in self._part(word[0])

    def __getitem__(self, word: str) -> int:
        return self._part(word[0])[word]

    def get(self, word: str, default: Any = None) -> Any:
        return self._part(word[0]).get(word, default) if word else default


def _dict_file() -> Path:
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("jieba is not installed: pip install jieba")
    return Path(next(iter(spec.submodule_search_locations))) / "dict.txt"


def _split_path(dict_file: Path) -> Path | None:
    from semantic_layer.user_cache import cache_dir

    directory = cache_dir()
    if directory is None:
        return None
    stat = dict_file.stat()
    key = f"{SPLIT_FORMAT}\n{dict_file}\n{stat.st_size}\n{stat.st_mtime_ns}\n"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return directory / f"jieba-prefix-dict-{digest}.marshal"


def _write_split(path: Path, freq: dict[str, int], total: int) -> None:
    by_first: dict[str, dict[str, int]] = {}
    for word, count in freq.items():
        by_first.setdefault(word[0], {})[word] = count
    parts = {first: marshal.dumps(entries) for first, entries in by_first.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".jieba-prefix-dict-", suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(marshal.dumps((SPLIT_FORMAT, total, parts)))
    os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one


def _split_tokenizer() -> Any:
    """A jieba Tokenizer over the split dictionary of the user cache, written there first if
    missing (which loads the whole dictionary once); None when there is no usable cache."""
    global _split
    if _split is None:
        with _lock:
            if _split is None:
                _split = _open_split() or False
    return _split or None


def _open_split() -> Any:
    try:
        path = _split_path(_dict_file())
    except (OSError, ImportError):
        return None
    if path is None:
        return None
    try:
        fmt, total, parts = marshal.loads(path.read_bytes())
        if fmt != SPLIT_FORMAT or not isinstance(parts, dict) or not total:
            raise ValueError("not a split prefix dictionary")
    except (OSError, EOFError, ValueError, TypeError):
        return _build_split(path)
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ = _SplitPrefixDict(parts)
    tokenizer.total = total
    tokenizer.initialized = True  # nothing to load: lookups read the split dictionary
    return tokenizer


def _build_split(path: Path) -> None:
    """Write the split dictionary from the loaded jieba (this process then cuts with it)."""
    global _jieba
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    with contextlib.suppress(OSError):  # an unwritable cache costs only speed
        _write_split(path, jieba.dt.FREQ, jieba.dt.total)
    _jieba = jieba  # already under _lock: set directly, jieba_module() would wait on it
    return None
