"""Errors of the assistant part: one base, so every surface catches one family.

``AssistantError`` is a ``ServicePilotError``: the CLI prints it without a traceback and
exits with its code; the API and MCP return its text (the model reads it to correct itself).
"""

from __future__ import annotations

from tools.errors import ServicePilotError


class AssistantError(ServicePilotError):
    """Base of the assistant's user-recoverable errors."""


class AccessDenied(AssistantError, PermissionError):
    """The caller's role may not do this; says so in both languages."""

    def __init__(self, en: str, zh: str | None = None) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh or en

    def text(self, language: str) -> str:
        return self.zh if language == "zh" else self.en
