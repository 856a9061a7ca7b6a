"""The Gradio web UI: chat, similar cases, cockpit (驾驶舱) and metric catalog.

Build it with :func:`assistant.ui.app.build_app`; ``servicepilot serve`` launches it.
"""
