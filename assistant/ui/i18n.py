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
    """Components whose text follows the language switch: (component, key, property), and
    the Markdown a heading's text keeps in front of it ("### ")."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.items: list[tuple[object, str, str]] = []
        self.prefixes: dict[int, str] = {}

    def add(self, component, key: str, prop: str = "label", prefix: str = ""):  # noqa: ANN001, ANN201
        if prefix:
            self.prefixes[len(self.items)] = prefix
        self.items.append((component, key, prop))
        return component

    def heading(self, key: str, level: int = 3):  # noqa: ANN201
        """A Markdown heading whose text follows the language switch (and stays a heading)."""
        import gradio as gr

        prefix = "#" * level + " "
        return self.add(gr.Markdown(prefix + self.text(key)), key, "value", prefix)

    def text(self, key: str) -> str:
        return t(self.lang, key)

    @property
    def components(self) -> list[object]:
        return [c for c, _, _ in self.items]

    def updates(self, lang: str) -> list[dict]:
        import gradio as gr

        return [
            gr.update(**{prop: self.prefixes.get(i, "") + t(lang, key)})
            for i, (_, key, prop) in enumerate(self.items)
        ]
