"""Which outputs of an event show its progress (Gradio's ``show_progress_on``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr

_LAYOUTS = (gr.Tab, gr.Tabs, gr.Accordion, gr.Row, gr.Column, gr.Group)


def progress_targets(outputs: Sequence[Any]) -> list[Any]:
    """The outputs that are not layout blocks (tabs, rows, accordions), for an event's
    ``show_progress_on``. Gradio's page keeps a loading status for every progress target of
    every event it has run, and on each status message of any later event it re-reads the data
    of every component inside each of them: with the tabs among the targets that is the whole
    page, three or four times per cockpit drill step (17,000 values copied per step, about
    0.1 s of the browser's time). Layout blocks draw no progress anyway."""
    return [c for c in outputs if not isinstance(c, _LAYOUTS)]
