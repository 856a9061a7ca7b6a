"""Load the chart library while the page is idle, so the first chart (the cockpit's on opening
it, or the first charted answer in the chat) does not wait for it.

Gradio loads Plotly (a 4.6 MB module) only when the first chart is mounted; measured in
Chromium, that load was most of the cockpit's first-open time. The page's ``<head>`` imports the
same module file after the page has loaded, so the browser's module map holds it when Gradio
asks for it. The file name carries a content hash: it is found in the installed Gradio's assets,
and without it (a Gradio build that names it otherwise) nothing is preloaded."""

from __future__ import annotations

import json
from pathlib import Path

import gradio

ASSETS = Path(gradio.__file__).parent / "templates" / "frontend" / "assets"


def chart_module() -> str | None:
    """The file name of Gradio's Plotly chunk (``PlotlyPlot-<hash>.js``), if there is one."""
    found = sorted(ASSETS.glob("PlotlyPlot-*.js"))
    return found[0].name if len(found) == 1 else None


def preload_head() -> str:
    """A ``<script>`` for the page's head that imports the chart module when the browser is
    idle after loading (at once when Gradio adds the head after that), resolved against the
    page's own asset URL; empty without the module."""
    name = chart_module()
    if name is None:
        return ""
    return (
        # Gradio may add this head after the page's load event: then it starts at once
        "<script>(() => {"
        "const start = () => {"
        "const entry = document.querySelector('script[type=module][src*=\"/assets/\"]');"
        "if (!entry) return;"
        f"import(new URL({json.dumps(name)}, entry.src).href).catch(() => {{}});"
        "};"
        "const later = () => window.requestIdleCallback"
        " ? requestIdleCallback(start, {timeout: 1000}) : setTimeout(start, 200);"
        "if (document.readyState === 'complete') later();"
        "else window.addEventListener('load', later);"
        "})();</script>"
    )
