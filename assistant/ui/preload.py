"""Load Gradio's Plotly chunk (4.6 MB of JavaScript) while the page is idle after sign-in.

Gradio imports it only when the first chart is drawn, so the first cockpit view (or the first
chart answer) waited for the download, parse and start-up of plotly.js on top of its own
numbers: measured in Chromium, most of the cockpit's first load. Importing the same module URL
early leaves it in the browser's module map, where Gradio's own import then finds it.
"""

from __future__ import annotations

from pathlib import Path

import gradio

ASSETS = Path(gradio.__file__).parent / "templates" / "frontend" / "assets"


def plotly_preload_head(assets: Path = ASSETS) -> str:
    """A ``<script>`` for ``launch(head=...)``, or "" when this Gradio build has no such chunk
    (the charts then load as before)."""
    chunks = sorted(assets.glob("PlotlyPlot-*.js"))
    if len(chunks) != 1:
        return ""
    url = f"./assets/{chunks[0].name}"  # the URL Gradio's own import resolves to
    return (
        "<script type='module'>"
        "const spPreload = () => import(" + repr(url) + ").catch(() => {});"
        "window.addEventListener('load', () => ('requestIdleCallback' in window)"
        " ? requestIdleCallback(spPreload, {timeout: 3000}) : setTimeout(spPreload, 1000));"
        "</script>"
    )
