"""The chat's turns, kept in the session on the server (``gr.State``), not in the browser.

Each turn keeps what the user typed and the structured answer (plan, metric result, why
report), not only its text. So:

- the browser never sends the conversation back with a question (it sent every earlier answer,
  with its chart JSON, tables and provenance, on every turn: the cost of a turn grew with the
  length of the chat);
- each answer is rendered once per language (its chart serialised once) and reused on every
  later turn;
- an answer is told in its question's language, as always; a language switch re-renders
  every earlier answer in the new language from its structure (``assistant.answer.retell``),
  without running a query; the questions stay as typed.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field, replace
from typing import Any

import gradio as gr

from assistant.answer.retell import retell
from assistant.roles import get_role
from assistant.service import Answer
from assistant.ui.i18n import t
from assistant.ui.render import answer_messages

Message = dict[str, Any]


@dataclass
class Turn:
    """One question and its answer (or the error that stopped it)."""

    shown: str  # the user's message as shown: the question, or "→ option"
    answer: Answer | None = None
    error: str | None = None
    # The language the answer is told in: the question's, until the user switches the page's
    # language; from then on the page's.
    told_in: str | None = None
    # (told in, page language) -> messages; the page language labels the folded sections.
    rendered: dict[tuple[str | None, str], list[Message]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.told_in is None and self.answer is not None:
            self.told_in = self.answer.language


def switch_language(turns: list[Turn], lang: str) -> list[Turn]:
    """Every turn told in ``lang`` from now on (the user switched the page's language)."""
    for turn in turns:
        turn.told_in = lang
    return turns


def in_language(answer: Answer, lang: str, services: Any) -> Answer:
    """``answer`` told in ``lang`` from its plan and result (no query runs); unchanged when it
    is in ``lang`` already or its kind keeps the language it was answered in."""
    if answer.language == lang:
        return answer
    told = retell(
        answer.plan, answer.result, answer.payload, get_role(answer.state.role), lang, services
    )
    if told is None:
        return answer
    plan, text = told
    return replace(answer, plan=plan, text=text, language=lang)


class ChatRenderer:
    """Renders turns for one chatbot: ``assistant`` gives the lexicon, catalog and services
    an answer is worded with; ``chatbot`` turns a chart into its browser form once."""

    def __init__(self, assistant: Any, chatbot: gr.Chatbot) -> None:
        self.assistant, self.chatbot = assistant, chatbot

    def turn(self, turn: Turn, lang: str) -> list[Message]:
        """The chat messages of ``turn`` on a page in ``lang`` (rendered on first use, then
        reused); the answer in ``turn.told_in``."""
        key = (turn.told_in, lang)
        if key not in turn.rendered:
            turn.rendered[key] = [self._frozen(m) for m in self._replies(turn, lang)]
        return [{"role": "user", "content": turn.shown}, *turn.rendered[key]]

    def history(self, turns: list[Turn], lang: str) -> list[Message]:
        """Every turn's messages on a page in ``lang``: what the chatbot shows."""
        return [message for turn in turns for message in self.turn(turn, lang)]

    def pending(self, turns: list[Turn], shown: str, lang: str) -> list[Message]:
        """The chat while a question is being answered: its "working" line last."""
        return [
            *self.history(turns, lang),
            {"role": "user", "content": shown},
            {"role": "assistant", "content": t(lang, "working")},
        ]

    def _replies(self, turn: Turn, lang: str) -> list[Message]:
        if turn.answer is None:
            return [{"role": "assistant", "content": t(lang, "error", msg=turn.error)}]
        assistant = self.assistant
        answer = in_language(turn.answer, turn.told_in or lang, assistant.services)
        return answer_messages(answer, assistant.lexicon, lang, assistant.catalog)

    def _frozen(self, message: Message) -> Message:
        """A chart message in the form the chatbot sends: Gradio rebuilds a component message
        (and serialises its figure) every time the history is sent, so once per answer here
        instead of once per later turn."""
        content = message["content"]
        if isinstance(content, gr.components.Component):
            # In a fresh context, as Gradio's own postprocessing runs: inside an event
            # listener a component built anew is only an update and lacks its config.
            frozen = contextvars.Context().run(self.chatbot._postprocess_content, content)
            return {**message, "content": frozen}
        return message
