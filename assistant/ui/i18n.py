"""UI text that follows the language switch. The strings themselves live in the one message
catalog, ``assistant.messages``, shared with the answers."""

from __future__ import annotations

from assistant.messages import MESSAGES as STRINGS
from assistant.messages import SUGGESTIONS, msg

__all__ = ["STRINGS", "SUGGESTIONS", "Translator", "t"]


def t(lang: str, key: str, **values: object) -> str:
    """The UI string ``key`` in ``lang`` (unknown keys fail loudly)."""
    return msg(lang, key, **values)


class Translator:
    """Components whose text follows the language switch: (component, key, property)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.items: list[tuple[object, str, str]] = []

    def add(self, component, key: str, prop: str = "label"):  # noqa: ANN001, ANN201
        self.items.append((component, key, prop))
        return component

    def text(self, key: str) -> str:
        return t(self.lang, key)

    @property
    def components(self) -> list[object]:
        return [c for c, _, _ in self.items]

    def updates(self, lang: str) -> list[dict]:
        import gradio as gr

        return [gr.update(**{prop: t(lang, key)}) for _, key, prop in self.items]
