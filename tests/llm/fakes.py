"""A scripted chat model implementing the real LangChain chat interface.

``ScriptedChatModel`` subclasses ``BaseChatModel``: ``invoke``, ``bind_tools`` and the default
``with_structured_output`` (which LangChain builds on ``bind_tools``) all go through the real
langchain-core code. Each call pops the next scripted item: an ``AIMessage``, an exception to
raise, or a function of the prompt messages returning an ``AIMessage``. Every prompt and the
bound tools/kwargs are recorded so tests can assert what the model saw.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

Step = AIMessage | BaseException | Callable[[list[BaseMessage]], AIMessage]
_ids = itertools.count(1)


def tool_call(name: str, **args: Any) -> AIMessage:
    """An AIMessage calling one tool (``Draft`` for the planner)."""
    return AIMessage(
        content="",
        tool_calls=[{"name": name, "args": args, "id": f"call_{next(_ids)}", "type": "tool_call"}],
        usage_metadata={"input_tokens": 900, "output_tokens": 40, "total_tokens": 940},
    )


def draft(**args: Any) -> AIMessage:
    return tool_call("Draft", **args)


def text(content: str) -> AIMessage:
    return AIMessage(
        content=content,
        usage_metadata={"input_tokens": 900, "output_tokens": 30, "total_tokens": 930},
    )


BROKEN_JSON = '{"intent": "metric", "metrics": [csat'


def garbage_call(name: str = "Draft", raw: str = BROKEN_JSON) -> AIMessage:
    """A tool call whose arguments are not JSON (what LangChain makes of a broken response)."""
    return AIMessage(
        content="",
        invalid_tool_calls=[
            {
                "name": name,
                "args": raw,
                "id": f"call_{next(_ids)}",
                "error": "bad JSON",
                "type": "invalid_tool_call",
            }
        ],
    )


class ScriptedChatModel(BaseChatModel):
    """Returns scripted messages in order; records prompts and bound tools."""

    script: list[Any] = Field(default_factory=list)
    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    call_kwargs: list[dict[str, Any]] = Field(default_factory=list)
    delay_s: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "scripted-test-model"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.prompts.append(list(messages))
        self.call_kwargs.append(kwargs)
        if self.delay_s:
            time.sleep(self.delay_s)
        if not self.script:
            raise AssertionError("ScriptedChatModel: script exhausted (unexpected extra call)")
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        message = step(messages) if callable(step) else step
        return ChatResult(generations=[ChatGeneration(message=message)])

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ):
        formatted = [convert_to_openai_tool(t) for t in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=formatted, **kwargs)

    @property
    def calls(self) -> int:
        return len(self.prompts)

    def bound_tool_names(self, call: int = -1) -> list[str]:
        return [t["function"]["name"] for t in self.call_kwargs[call].get("tools", [])]

    def prompt_text(self, call: int = -1) -> str:
        return "\n".join(str(m.content) for m in self.prompts[call])
