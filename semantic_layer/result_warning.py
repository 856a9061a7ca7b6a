"""A warning attached to a result, sayable in the reader's language.

The semantic layer writes warnings in English (for logs, JSON and analysts); an answer in
Chinese must not carry them as English sentences. So each warning is its English text (a ``str``,
so every existing consumer keeps working) plus a ``code`` and the ``params`` it was built from,
from which the assistant's message catalog writes it in either language."""

from __future__ import annotations

from typing import Any

__all__ = ["ResultWarning"]


class ResultWarning(str):
    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, text: str, **params: Any) -> ResultWarning:
        warning = super().__new__(cls, text)
        warning.code = code
        warning.params = params
        return warning

    def __reduce__(self) -> tuple[Any, ...]:  # pickled to and from worker processes
        return (_rebuild, (self.code, str(self), self.params))


def _rebuild(code: str, text: str, params: dict[str, Any]) -> ResultWarning:
    return ResultWarning(code, text, **params)
