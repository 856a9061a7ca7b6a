"""Settings -> a LangChain chat model (or None: the offline planner answers alone).

``llm_provider``:

* ``none`` (default): no LLM.
* ``openai``: any OpenAI-compatible endpoint through ``ChatOpenAI`` (OpenAI, vLLM, Ollama's
  ``/v1``, a llama.cpp server, LM Studio, ...): ``llm_base_url``, ``llm_api_key``,
  ``llm_model``.
* ``gguf``: a local GGUF file (``llm_gguf_path``) served by a llama.cpp server subprocess on
  127.0.0.1 (see ``assistant.llm.local_server`` for why), reached the same way.

Calls are made with temperature 0, the configured timeout and no client-side retries (the
planner decides what a failure means: it answers offline at once rather than make the user wait).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel

from tools.errors import ConfigError

LOCAL_API_KEY = "not-needed"  # local servers ignore the key; the client insists on one
MAX_COMPLETION_TOKENS = 1024


@dataclass(frozen=True)
class LLMConfig:
    """The LLM part of the settings, validated (secrets stay out of repr)."""

    provider: str
    base_url: str | None
    model: str | None
    gguf_path: str | None
    timeout_s: float
    max_retries: int
    max_tokens_per_question: int
    api_key: str | None = None
    catalog_detail: str = "full"

    def __repr__(self) -> str:
        key = "***" if self.api_key else None
        return (
            f"LLMConfig(provider={self.provider!r}, base_url={self.base_url!r}, "
            f"model={self.model!r}, gguf_path={self.gguf_path!r}, api_key={key!r})"
        )

    @classmethod
    def from_settings(cls, settings: Any) -> LLMConfig:
        key = settings.llm_api_key
        return cls(
            provider=settings.llm_provider,
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            gguf_path=str(settings.llm_gguf_path) if settings.llm_gguf_path else None,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
            max_tokens_per_question=settings.llm_max_tokens_per_question,
            api_key=key.get_secret_value() if key is not None else None,
            catalog_detail=settings.llm_catalog_detail,
        )


def openai_compatible(
    base_url: str | None,
    model: str,
    *,
    api_key: str | None = None,
    timeout_s: float = 30.0,
    max_tokens: int = MAX_COMPLETION_TOKENS,
) -> BaseChatModel:
    """A ``ChatOpenAI`` for any OpenAI-compatible endpoint."""
    from langchain_openai import ChatOpenAI

    if base_url is None and not api_key:
        import os

        if not os.environ.get("OPENAI_API_KEY"):
            raise ConfigError(
                "llm_provider=openai without llm_base_url talks to the OpenAI API and needs a "
                "key: set SERVICEPILOT_LLM_API_KEY (or OPENAI_API_KEY), or point "
                "SERVICEPILOT_LLM_BASE_URL at your own endpoint (vLLM, Ollama, llama.cpp)."
            )
        api_key = os.environ["OPENAI_API_KEY"]
    return ChatOpenAI(
        base_url=base_url,
        api_key=api_key or LOCAL_API_KEY,
        model=model,
        temperature=0,
        timeout=timeout_s,
        max_retries=0,
        max_tokens=max_tokens,
    )


def chat_model_from_config(config: LLMConfig) -> BaseChatModel | None:
    if config.provider == "none":
        return None
    if config.provider == "openai":
        if not config.model:
            raise ConfigError(
                "llm_provider=openai needs llm_model (SERVICEPILOT_LLM_MODEL), e.g. "
                "gpt-4o-mini, or the model name your vLLM/Ollama server serves."
            )
        return openai_compatible(
            config.base_url, config.model, api_key=config.api_key, timeout_s=config.timeout_s
        )
    if config.provider == "gguf":
        if not config.gguf_path:
            raise ConfigError(
                "llm_provider=gguf needs llm_gguf_path (SERVICEPILOT_LLM_GGUF_PATH): a .gguf "
                "model file."
            )
        from assistant.llm.local_server import MODEL_ALIAS, shared_server

        server = shared_server(config.gguf_path)
        return openai_compatible(server.base_url, MODEL_ALIAS, timeout_s=config.timeout_s)
    raise ConfigError(f"Unknown llm_provider '{config.provider}': use none, openai or gguf.")


def chat_model_from_settings(settings: Any) -> BaseChatModel | None:
    """The chat model the settings describe (starts the local server for ``gguf``)."""
    return chat_model_from_config(LLMConfig.from_settings(settings))
