"""Per-question limits on LLM calls: a token budget and a wall-clock deadline.

Tokens are counted from the provider's reported usage (``AIMessage.usage_metadata``); when a
provider reports none, they are estimated from the text (about 3 characters per token, which
over-counts English and is close for Chinese). A call is not started when its estimated prompt
alone would exceed what is left, and every call runs under the time left for the question, so a
hung endpoint cannot stall an answer.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from langchain_core.messages import AIMessage, BaseMessage

T = TypeVar("T")
CHARS_PER_TOKEN = 3

# Calls run on these threads so that a deadline can be enforced for any chat model (a model
# with its own timeout, like ChatOpenAI, also ends the thread; see docs/llm.md).
_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="llm-call")


class BudgetExceeded(Exception):
    """The question's token budget or deadline is used up."""


def estimate_tokens(messages: Sequence[BaseMessage | str]) -> int:
    chars = 0
    for message in messages:
        content = message if isinstance(message, str) else message.content
        chars += len(content if isinstance(content, str) else str(content))
    return chars // CHARS_PER_TOKEN + 4 * len(messages)


def usage_tokens(message: Any, prompt: Sequence[BaseMessage]) -> int:
    """Tokens a call used: reported usage, else an estimate of prompt + output."""
    if isinstance(message, AIMessage):
        usage = message.usage_metadata
        if usage and usage.get("total_tokens"):
            return int(usage["total_tokens"])
        out = str(message.content) + "".join(str(c.get("args")) for c in message.tool_calls)
        return estimate_tokens([*prompt, out])
    return estimate_tokens(prompt)


@dataclass
class Budget:
    """Tokens and seconds allowed for one question (mutable: one per question)."""

    max_tokens: int
    timeout_s: float
    used_tokens: int = 0
    calls: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def remaining_s(self) -> float:
        return self.timeout_s - (time.monotonic() - self.started)

    @property
    def remaining_tokens(self) -> int:
        return self.max_tokens - self.used_tokens

    def check(self, prompt: Sequence[BaseMessage]) -> None:
        """Refuse a call that cannot fit: no time left, or its prompt alone is over budget."""
        if self.remaining_s <= 0:
            raise BudgetExceeded(f"no answer within {self.timeout_s:g}s")
        need = estimate_tokens(prompt)
        if need > self.remaining_tokens:
            raise BudgetExceeded(
                f"token budget of {self.max_tokens} per question used up ({self.used_tokens} "
                f"used, the next call needs about {need}); raise "
                "SERVICEPILOT_LLM_MAX_TOKENS_PER_QUESTION or ask a shorter question"
            )

    def charge(self, tokens: int) -> None:
        self.used_tokens += tokens
        self.calls += 1

    def run(self, call: Callable[[], T]) -> T:
        """Run ``call`` with the time left; raise TimeoutError when it does not return."""
        future = _EXECUTOR.submit(call)
        try:
            return future.result(timeout=max(self.remaining_s, 0.001))
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise TimeoutError(f"no answer within {self.timeout_s:g}s") from exc
