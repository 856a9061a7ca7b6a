"""An exact, cheap test that a text cannot contain a Chinese name ``names._zh_names`` would find,
so the ~1 s load of jieba's part-of-speech dictionary is paid only by texts that may.

Every span ``_zh_names`` reports comes from one of a few token patterns, and each pattern
implies a substring of the text (tokens are substrings, and a token's tag comes from jieba's
dictionary, ``word_tag_tab``, since the name finder cuts with ``HMM=False``):

- a word tagged ``nr``/``nrfg``/``nrt`` of 2–6 characters starting with a surname (张伟,
  王师傅: ≤ 3 name characters + a title of ≤ 3) → that word occurs in the text;
- a bare surname token (张 / 欧阳) followed by
  - a title within two characters (张 / 伟 / 先生) → surname, ≤ 2 characters, title;
  - a given-name token tagged ``nr`` of 1–2 characters, surname not a weak one → surname + that
    word;
  - nothing special but a cue right before (客户陈晓明) → cue + surname + one more character;
  - 姓 right before (姓王) → 姓 + surname;
- 老/小 + a one-character surname (老李, 小王) → those two characters.

``may_contain_zh_name`` is true when any of these substrings occurs, so it never skips a text
the finder would mask (``tests/test_pii_zh_gate.py`` checks this against the finder itself on
the PII corpus, the demo data's complaint texts and the evaluation questions). The two word sets
are read from jieba's ``dict.txt`` once and kept in the user cache, keyed by the dictionary file
and the name lists, so a jieba upgrade or an edited list rebuilds them. They are stored as one
string per first character (``"\n张伟\n张三\n"``): a few hundred strings load in about a
millisecond, where 40,000 set members took tens; and a text with no surname in it loads
nothing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import re
import tempfile
import threading
from pathlib import Path

from tools.pii import name_lists
from tools.pii.name_lists import (
    ZH_CUES,
    ZH_SURNAMES_COMPOUND,
    ZH_SURNAMES_SINGLE,
    ZH_SURNAMES_WEAK,
    ZH_TITLES,
)

__all__ = ["may_contain_zh_name", "nr_word_sets"]

FORMAT = 1
_NR_LINE = re.compile(r"^(\S+) \d+ (?:nr|nrfg|nrt)$", re.MULTILINE)
_ANY_SURNAME = ZH_SURNAMES_SINGLE | {c[0] for c in ZH_SURNAMES_COMPOUND}
_CUE_SKIP = " ：:，,、"  # what _cue_before strips between a cue and the name
_lock = threading.Lock()
WordSet = dict[str, str]  # first character -> "\n" + its words joined by "\n" + "\n"
_sets: tuple[WordSet, WordSet] | None = None


def _jieba_dict() -> Path:
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("jieba is not installed: pip install jieba")
    return Path(next(iter(spec.submodule_search_locations))) / "dict.txt"


def _starts_with_surname(word: str) -> bool:
    return word[:2] in ZH_SURNAMES_COMPOUND or word[:1] in ZH_SURNAMES_SINGLE


def _by_first_char(words: set[str]) -> WordSet:
    buckets: dict[str, list[str]] = {}
    for word in sorted(words):
        buckets.setdefault(word[0], []).append(word)
    return {first: "\n" + "\n".join(ws) + "\n" for first, ws in buckets.items()}


def _has(words: WordSet, word: str) -> bool:
    return bool(word) and "\n" not in word and f"\n{word}\n" in words.get(word[0], "")


def _build(dict_file: Path) -> tuple[WordSet, WordSet]:
    """(name words of 2–6 characters starting with a surname, name words of 1–2 characters)."""
    words = _NR_LINE.findall(dict_file.read_text(encoding="utf-8"))
    full = {w for w in words if 2 <= len(w) <= 6 and _starts_with_surname(w)}
    given = {w for w in words if len(w) <= 2}
    return _by_first_char(full), _by_first_char(given)


def _cache_path(dict_file: Path) -> Path | None:
    from semantic_layer.user_cache import cache_dir

    directory = cache_dir()
    if directory is None:
        return None
    stat = dict_file.stat()
    digest = hashlib.sha256(f"{FORMAT}\n{dict_file}\n{stat.st_size}\n{stat.st_mtime_ns}\n".encode())
    for module in (name_lists.__file__, __file__):
        digest.update(Path(module).read_bytes())
    return directory / f"zh-name-words-{digest.hexdigest()[:32]}.marshal"


def nr_word_sets() -> tuple[WordSet, WordSet]:
    """The two word sets, from the cache when it is there (a missing, corrupt or unwritable
    cache is never an error: the sets are then read from jieba's dictionary)."""
    global _sets
    if _sets is None:
        with _lock:
            if _sets is None:
                _sets = _load()
    return _sets


def _load() -> tuple[WordSet, WordSet]:
    dict_file = _jieba_dict()
    try:
        path = _cache_path(dict_file)
    except OSError:
        path = None
    if path is not None:
        try:
            full, given = marshal.loads(path.read_bytes())
            if isinstance(full, dict) and isinstance(given, dict):
                return full, given
        except (OSError, EOFError, ValueError, TypeError):
            pass
    sets = _build(dict_file)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".zh-name-words-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(marshal.dumps(sets))
            os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one
        except OSError:
            pass
    return sets


def _cue_before(text: str, start: int) -> bool:
    return text[max(0, start - 8) : start].rstrip(_CUE_SKIP).endswith(ZH_CUES)


def may_contain_zh_name(text: str) -> bool:
    """False only when no Chinese name can be found in ``text`` (see the module doc)."""
    # Every pattern starts at a surname (上 alone is none: only 上官 is).
    positions = [
        p for p, c in enumerate(text) if c in _ANY_SURNAME and _starts_with_surname(text[p : p + 2])
    ]
    if not positions:
        return False
    full, given = nr_word_sets()
    n = len(text)
    for p in positions:
        if any(_has(full, text[p : p + k]) for k in range(2, 7)):
            return True
        if p > 0 and text[p - 1] in "老小" and text[p] in ZH_SURNAMES_SINGLE:
            return True
        for surname in (text[p : p + 2], text[p]):
            if surname not in ZH_SURNAMES_COMPOUND and surname not in ZH_SURNAMES_SINGLE:
                continue
            if text[p - 1 : p] == "姓":
                return True
            after = p + len(surname)
            if after >= n:
                continue
            if any(text.startswith(t, after + k) for k in range(3) for t in ZH_TITLES):
                return True
            if surname not in ZH_SURNAMES_WEAK and (
                _has(given, text[after]) or _has(given, text[after : after + 2])
            ):
                return True
            if _cue_before(text, p):
                return True
    return False
