"""The chat tab (executives): questions in zh/en, answers with chart and provenance,
clarification buttons, follow-up buttons (an alert's "why?"), suggested questions, feedback."""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

from assistant.planning.plans import Clarification, ClarificationOption, ConversationState, Plan
from assistant.service import Answer
from assistant.ui.chat_turns import ChatRenderer, Turn, switch_language
from assistant.ui.context import UIContext
from assistant.ui.i18n import SUGGESTIONS, Translator, t
from assistant.ui.progress import progress_targets
from tools.feedback import Feedback

log = logging.getLogger(__name__)
CHAT_HEIGHT = "calc(100vh - 260px)"
# After an answer (and its chart) is drawn, bring the newest message into view: Gradio's own
# autoscroll stops when a long answer arrives while the view is not at the bottom.
# Repeated for a few seconds: a chart drawn late (a loaded machine, a slow browser) makes the
# answer taller after the first scroll, which left the view on the previous answer.
SCROLL_TO_NEWEST = """() => { for (const wait of [400, 1500, 3000]) setTimeout(() => {
  for (const el of document.querySelectorAll('#sp-chat *')) {
    if (el.scrollHeight > el.clientHeight + 4 && getComputedStyle(el).overflowY !== 'visible') {
      el.scrollTop = el.scrollHeight;
    }
  }
}, wait); }"""
MAX_OPTIONS = 5  # clarifications offer at most 3; an alert list offers a "why?" per alert


def _state_for(ctx: UIContext, conv: ConversationState | None, role: str | None, user: str):
    if conv is None:
        return ctx.api.new_state(role, user=user)
    # Role and user always come from the sign-in, never from what the browser sent back.
    return conv.model_copy(update={"role": role, "user": user})


def _choices(answer: Answer | None) -> tuple[Any, ...]:
    """What the answer offers to click: clarification options, else its follow-ups (each has
    ``label`` and the ``plan`` it runs)."""
    if answer is None:
        return ()
    if isinstance(answer.plan, Clarification):
        return answer.plan.options
    return answer.follow_ups


def _option_updates(answer: Answer | None) -> list[Any]:
    options = _choices(answer)
    out = []
    for i in range(MAX_OPTIONS):
        if i < len(options):
            out.append(gr.update(value=options[i].label, visible=True))
        else:
            out.append(gr.update(visible=False))
    return out


def build_chat_tab(ctx: UIContext, tr: Translator, lang_radio: gr.Radio) -> None:
    conv = gr.State(None)  # ConversationState of this browser session
    turns = gr.State([])  # list[Turn]: the conversation, kept here (assistant.ui.chat_turns)
    pending = gr.State(None)  # (question, [option or follow-up, ...]) the buttons run
    last = gr.State(None)  # the last answer, for feedback
    chatbot = tr.add(
        gr.Chatbot(
            label=tr.text("chat_label"),
            # The page's height less the question row and buttons, so a full answer fits.
            height=CHAT_HEIGHT,
            autoscroll=True,
            elem_id="sp-chat",
        ),
        "chat_label",
    )
    with gr.Row(visible=True, elem_id="sp-suggestions") as suggest_row:
        tr.add(gr.Markdown(tr.text("suggested")), "suggested", "value")
        suggestion_buttons = [
            gr.Button(q, size="sm", elem_id=f"sp-suggest-{i}")
            for i, q in enumerate(SUGGESTIONS[tr.lang])
        ]
    clar_note = tr.add(gr.Markdown(tr.text("clarify_pick"), visible=False), "clarify_pick", "value")
    with gr.Row():
        option_buttons = [
            gr.Button(visible=False, variant="secondary", elem_id=f"sp-option-{i}")
            for i in range(MAX_OPTIONS)
        ]
    with gr.Row():
        question = tr.add(
            gr.Textbox(
                label=tr.text("question"),
                placeholder=tr.text("question_ph"),
                scale=8,
                elem_id="sp-question",
            ),
            "question",
        )
        tr.add(question, "question_ph", "placeholder")
        send = tr.add(
            gr.Button(tr.text("send"), variant="primary", scale=1, elem_id="sp-send"),
            "send",
            "value",
        )
        new_chat = tr.add(
            gr.Button(tr.text("new_chat"), scale=1, elem_id="sp-new"), "new_chat", "value"
        )
    with gr.Row():
        tr.add(gr.Markdown(tr.text("feedback")), "feedback", "value")
        # Text beside the icon: where no emoji font exists the icon alone is a box.
        up = tr.add(
            gr.Button(tr.text("feedback_up"), size="sm", elem_id="sp-up", scale=0),
            "feedback_up",
            "value",
        )
        down = tr.add(
            gr.Button(tr.text("feedback_down"), size="sm", elem_id="sp-down", scale=0),
            "feedback_down",
            "value",
        )
        comment = tr.add(
            gr.Textbox(label=tr.text("comment"), scale=4, elem_id="sp-comment"), "comment"
        )
    feedback_note = gr.Markdown(elem_id="sp-feedback-note")

    outputs = [
        chatbot,
        question,
        conv,
        pending,
        last,
        suggest_row,
        clar_note,
        *option_buttons,
        turns,
    ]
    renderer = ChatRenderer(ctx.api.assistant, chatbot)
    hide = [gr.update(visible=False)] * (2 + MAX_OPTIONS)

    def working(past: list[Turn], shown: str, lang: str, state) -> list[Any]:
        return [renderer.pending(past, shown, lang), "", state, None, gr.update(), *hide, past]

    def finish(past: list[Turn], turn: Turn, lang: str, state, question_text: str):
        past = [*past, turn]
        answer = turn.answer
        history = renderer.history(past, lang)
        if answer is None:  # the error is in the chat; the session stays usable
            return [history, "", state, None, gr.update(), *hide, past]
        clar = isinstance(answer.plan, Clarification)
        choices = _choices(answer)
        open_options = (question_text, list(choices)) if choices else None
        last_answer = {
            "question": answer.question,
            "language": answer.language,
            "plan": answer.to_dict().get("plan"),
            "text": answer.text,
            "audit_id": answer.audit_id,
        }
        return [
            history,
            "",
            state,
            open_options,
            last_answer,
            gr.update(visible=False),
            gr.update(visible=clar),
            *_option_updates(answer),
            past,
        ]

    def answered(shown: str, run) -> Turn:
        try:
            return Turn(shown, answer=run())
        except Exception as exc:  # show the problem in the chat, keep the session usable
            log.exception("chat answer failed")
            return Turn(shown, error=str(exc))

    def signed_in(state, request: gr.Request):
        user, role = ctx.identity(request)
        return _state_for(ctx, state, role, user)

    def on_ask(message: str, past, state, lang: str, request: gr.Request):
        message = (message or "").strip()
        if not message:
            yield [gr.update()] * len(outputs)
            return
        past = list(past or [])
        yield working(past, message, lang, state)
        turn = answered(message, lambda: ctx.api.ask(message, signed_in(state, request)))
        yield finish(past, turn, lang, turn.answer.state if turn.answer else state, message)

    def on_option(index: int):
        def handler(past, state, open_options, lang: str, request: gr.Request):
            if not open_options or index >= len(open_options[1]):
                yield [gr.update()] * len(outputs)
                return
            original, options = open_options
            plan: Plan = options[index].plan
            label = options[index].label
            if not isinstance(options[index], ClarificationOption):
                original = label  # a follow-up is a question of its own ("why? #1 ...")
            past, shown = list(past or []), f"→ {label}"
            yield working(past, shown, lang, state)
            turn = answered(
                shown,
                lambda: ctx.api.choose(plan, question=original, state=signed_in(state, request)),
            )
            yield finish(past, turn, lang, turn.answer.state if turn.answer else state, original)

        return handler

    # The conversation comes from the session (``turns``), never from the browser.
    inputs = [question, turns, conv, lang_radio]
    listen = {"api_visibility": "undocumented", "show_progress_on": progress_targets(outputs)}
    question.submit(on_ask, inputs, outputs, **listen).then(None, js=SCROLL_TO_NEWEST)
    send.click(on_ask, inputs, outputs, **listen).then(None, js=SCROLL_TO_NEWEST)
    for i, button in enumerate(option_buttons):
        button.click(
            on_option(i),
            [turns, conv, pending, lang_radio],
            outputs,
            **listen,
        ).then(None, js=SCROLL_TO_NEWEST)
    for button in suggestion_buttons:
        button.click(lambda q: q, button, question, api_visibility="undocumented").then(
            on_ask, inputs, outputs, **listen
        ).then(None, js=SCROLL_TO_NEWEST)

    def on_new_chat():
        return [
            [],
            "",
            None,
            None,
            None,
            gr.update(visible=True),
            gr.update(visible=False),
            *([gr.update(visible=False)] * MAX_OPTIONS),
            [],
        ]

    new_chat.click(on_new_chat, None, outputs, **listen)

    def on_feedback(rating: str):
        def handler(last_answer, comment_text: str, lang: str, request: gr.Request):
            if not last_answer:
                return t(lang, "no_answer"), comment_text
            if ctx.feedback is None:
                return "Feedback storage is not configured.", comment_text
            user, role = ctx.identity(request)
            ctx.feedback.add(
                Feedback(
                    rating=rating,
                    question=last_answer["question"],
                    answer_text=last_answer["text"],
                    plan=last_answer["plan"],
                    comment=comment_text or "",
                    username=user,
                    role=role,
                    language=last_answer["language"],
                    audit_id=last_answer.get("audit_id"),
                )
            )
            return t(lang, "thanks"), ""

        return handler

    for button, rating in ((up, "up"), (down, "down")):
        button.click(
            on_feedback(rating),
            [last, comment, lang_radio],
            [feedback_note, comment],
            api_visibility="undocumented",
        )

    def relabel(lang: str):
        return [gr.update(value=q) for q in SUGGESTIONS[lang]]

    lang_radio.change(relabel, lang_radio, suggestion_buttons, api_visibility="undocumented")

    def retell(past, lang: str):
        """Every earlier answer in the new language, from its structure: no query runs."""
        past = switch_language(list(past or []), lang)
        return renderer.history(past, lang), past

    lang_radio.change(retell, [turns, lang_radio], [chatbot, turns], api_visibility="undocumented")
