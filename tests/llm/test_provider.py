"""Settings -> chat model."""

from __future__ import annotations

import pytest
from langchain_openai import ChatOpenAI

from assistant.llm.planner import LLMPlanner
from assistant.llm.provider import LLMConfig, chat_model_from_settings
from tools.errors import ConfigError
from tools.settings import load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SERVICEPILOT_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for name in ("PROVIDER", "BASE_URL", "API_KEY", "MODEL", "GGUF_PATH"):
        monkeypatch.delenv(f"SERVICEPILOT_LLM_{name}", raising=False)


def test_no_llm_by_default():
    settings = load_settings()
    assert settings.llm_provider == "none"
    assert chat_model_from_settings(settings) is None
    assert LLMPlanner.from_settings(settings) is None


def test_an_openai_compatible_endpoint_from_env(monkeypatch):
    monkeypatch.setenv("SERVICEPILOT_LLM_PROVIDER", "openai")
    monkeypatch.setenv("SERVICEPILOT_LLM_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("SERVICEPILOT_LLM_MODEL", "qwen2.5:7b-instruct")
    monkeypatch.setenv("SERVICEPILOT_LLM_API_KEY", "sk-test-secret")
    monkeypatch.setenv("SERVICEPILOT_LLM_TIMEOUT_S", "12")
    settings = load_settings()
    model = chat_model_from_settings(settings)
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://127.0.0.1:11434/v1"
    assert model.model_name == "qwen2.5:7b-instruct"
    assert model.request_timeout == 12 and model.max_retries == 0 and model.temperature == 0
    assert "sk-test-secret" not in repr(LLMConfig.from_settings(settings))
    assert "sk-test-secret" not in repr(settings)
    planner = LLMPlanner.from_settings(settings)
    assert planner is not None and planner.timeout_s == 12 and planner.max_retries == 2


def test_toml_configuration(monkeypatch, tmp_path):
    config = tmp_path / "servicepilot.toml"
    config.write_text(
        'llm_provider = "openai"\nllm_base_url = "http://gpu-box:8000/v1"\n'
        'llm_model = "Qwen/Qwen2.5-7B-Instruct"\nllm_max_retries = 1\n'
        "llm_max_tokens_per_question = 6000\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SERVICEPILOT_CONFIG", str(config))
    settings = load_settings()
    assert settings.llm_max_tokens_per_question == 6000
    planner = LLMPlanner.from_settings(settings)
    assert planner is not None and planner.max_retries == 1


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SERVICEPILOT_LLM_PROVIDER": "openai"}, "needs llm_model"),
        (
            {"SERVICEPILOT_LLM_PROVIDER": "openai", "SERVICEPILOT_LLM_MODEL": "gpt-4o-mini"},
            "needs a key",
        ),
        ({"SERVICEPILOT_LLM_PROVIDER": "gguf"}, "needs llm_gguf_path"),
        (
            {"SERVICEPILOT_LLM_PROVIDER": "gguf", "SERVICEPILOT_LLM_GGUF_PATH": "/nope.gguf"},
            "does not exist",
        ),
    ],
)
def test_incomplete_settings_say_how_to_fix_them(monkeypatch, env, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        chat_model_from_settings(load_settings())


def test_an_unknown_provider_is_a_settings_error(monkeypatch):
    monkeypatch.setenv("SERVICEPILOT_LLM_PROVIDER", "claude")
    with pytest.raises(ConfigError, match="llm_provider"):
        load_settings()
