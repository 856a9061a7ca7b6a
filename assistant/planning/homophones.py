"""Chinese metric names typed with a homophone ("首响时常中位数" for 首响时长): read as the name.

An input method offers characters by sound, so one swapped character is the commonest Chinese
typo. Only a whole metric name of three or more characters with exactly one character swapped
for one of its listed homophones (``planner_words.yml``: homophones_zh) is rewritten, so a real
word elsewhere ("时常投诉" = often complains) is left as written and the coverage check still
sees it. The rewrite keeps every character position.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.planning.words import HOMOPHONES_ZH

_SOUNDS_LIKE: dict[str, frozenset[str]] = {
    ch: frozenset(group) - {ch} for group in HOMOPHONES_ZH for ch in group
}
MIN_LENGTH = 3


class HomophoneFixer:
    """Index of metric names by "name with one position blanked" for a fast one-swap lookup."""

    def __init__(self, names: Iterable[str]) -> None:
        self._names = frozenset(n for n in names if len(n) >= MIN_LENGTH)
        self._blanked: dict[tuple[int, str], list[str]] = {}
        for name in self._names:
            for i, ch in enumerate(name):
                if ch in _SOUNDS_LIKE:
                    self._blanked.setdefault((i, name[:i] + "\0" + name[i + 1 :]), []).append(name)
        self._lengths = sorted({len(n) for n in self._names}, reverse=True)

    def fix(self, text: str) -> str:
        """``text`` with each metric name typed with one homophone written as the name."""
        if not self._blanked:
            return text
        chars = list(text)
        i = 0
        while i < len(chars):
            name = self._name_at(chars, i)
            if name is None:
                i += 1
                continue
            chars[i : i + len(name)] = list(name)
            i += len(name)
        return "".join(chars)

    def _name_at(self, chars: list[str], start: int) -> str | None:
        """The longest metric name starting at ``start``, as written or with one swap."""
        for length in self._lengths:
            window = "".join(chars[start : start + length])
            if len(window) < length:
                continue
            if window in self._names:
                return window
            for i, ch in enumerate(window):
                key = (i, window[:i] + "\0" + window[i + 1 :])
                for name in self._blanked.get(key, ()):
                    if ch in _SOUNDS_LIKE.get(name[i], ()):
                        return name
        return None
