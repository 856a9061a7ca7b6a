"""The page imports Gradio's Plotly chunk while idle (assistant/ui/preload.py)."""

from __future__ import annotations


def test_the_head_imports_the_installed_plotly_chunk(tmp_path):
    from assistant.ui.preload import ASSETS, plotly_preload_head

    head = plotly_preload_head()
    (chunk,) = ASSETS.glob("PlotlyPlot-*.js")
    assert f"import('./assets/{chunk.name}')" in head and "requestIdleCallback" in head
    assert plotly_preload_head(tmp_path) == ""  # another Gradio build: charts load as before
