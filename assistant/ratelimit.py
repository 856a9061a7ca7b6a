"""Per-user rate limits (sliding one-minute window): questions in the UI, the Gradio API and
MCP; tool calls on every tool endpoint and MCP tool."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from assistant.errors import AssistantError


class RateLimited(AssistantError):
    """Too many questions or tool calls from one user in the last minute."""


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        what: str = "questions",
        setting: str = "SERVICEPILOT_RATE_LIMIT_PER_MINUTE",
    ) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.what, self.setting = what, setting
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, key: str | None) -> None:
        """Count one question for ``key``; raise RateLimited when over the limit."""
        now = self.clock()
        with self._lock:
            window = self._seen[key or "anonymous"]
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= self.per_minute:
                wait = 60.0 - (now - window[0])
                raise RateLimited(
                    f"Too many {self.what}: at most {self.per_minute} per minute per user. "
                    f"Try again in {wait:.0f} s (limit: {self.setting})."
                )
            window.append(now)
