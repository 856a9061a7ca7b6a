"""A server that starts but dies on inference is reported as a crash, with how it died.

The crashing server is a real process (tests/llm/crashing_server.py) that answers /v1/models and
kills itself with SIGSEGV on the first chat completion, the way a llama.cpp build compiled for
the wrong CPU did; no llama.cpp is needed to run these tests.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

import assistant.llm.local_server as local_server
from assistant.cli import main
from assistant.llm.check import run_check
from assistant.llm.local_server import LlamaServer, describe_exit, stop_shared_servers
from assistant.llm.planner import LLMPlanner
from assistant.llm.provider import chat_model_from_settings
from tests.llm.conftest import TODAY, RecordingFallback
from tools.settings import load_settings

CRASHING = Path(__file__).with_name("crashing_server.py")


@pytest.fixture
def crashing_gguf(monkeypatch, tmp_path):
    """``llm_provider=gguf`` whose local server is the crashing stand-in."""
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF stand-in")
    monkeypatch.setattr(local_server, "llama_cpp_available", lambda: True)
    monkeypatch.setattr(
        LlamaServer,
        "command",
        lambda self: [sys.executable, str(CRASHING), "--port", str(self.port)],
    )
    monkeypatch.setenv("SERVICEPILOT_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SERVICEPILOT_LLM_PROVIDER", "gguf")
    monkeypatch.setenv("SERVICEPILOT_LLM_GGUF_PATH", str(model))
    monkeypatch.setenv("SERVICEPILOT_LLM_MAX_RETRIES", "0")
    yield model
    stop_shared_servers()


def test_describe_exit_names_the_signal():
    assert describe_exit(1) == "exited with code 1"
    assert describe_exit(-11) == "was killed by signal 11 (SIGSEGV, a segmentation fault)"
    assert describe_exit(-4) == "was killed by signal 4 (SIGILL, an illegal instruction)"


def test_llm_check_reports_a_local_server_that_dies_on_inference(crashing_gguf):
    report = run_check(load_settings(), today=TODAY)

    assert not report.ok and not report.answered
    assert report.server_crashed
    assert report.server_exit == -11
    assert "crashed" in report.error and "SIGSEGV, a segmentation fault" in report.error
    assert crashing_gguf.name in report.error
    assert "llama_decode: failed to decode the batch" in report.server_log
    assert "cannot be reached" not in report.error  # not the generic connection error


def test_llm_check_cli_exits_3_with_the_log_tail(crashing_gguf):
    result = CliRunner().invoke(main, ["llm", "check"])

    assert result.exit_code == 3, result.output
    assert "was killed by signal 11 (SIGSEGV" in result.output
    assert "llama_decode: failed to decode the batch" in result.output


def test_the_gguf_planner_notice_says_the_server_crashed(crashing_gguf, state):
    model = chat_model_from_settings(load_settings())
    fallback = RecordingFallback()
    planner = LLMPlanner(model, fallback=fallback, max_retries=0, timeout_s=20)
    from assistant.planning.plans import ConversationState

    outcome = planner.plan_detailed(
        "What was CSAT by region last month?", ConversationState(today=TODAY)
    )

    assert outcome.source == "offline" and fallback.questions
    assert "SIGSEGV" in outcome.notices[0]
    assert "llama_decode: failed to decode the batch" in outcome.notices[0]


def test_llm_check_reports_an_endpoint_that_stops_answering(monkeypatch, tmp_path):
    port = local_server.free_port()
    proc = subprocess.Popen(
        [sys.executable, str(CRASHING), "--port", str(port)], stderr=subprocess.DEVNULL
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{base_url}/models", timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "stand-in server did not start"
                time.sleep(0.1)
        monkeypatch.setenv("SERVICEPILOT_CONFIG", str(tmp_path / "none.toml"))
        monkeypatch.setenv("SERVICEPILOT_LLM_PROVIDER", "openai")
        monkeypatch.setenv("SERVICEPILOT_LLM_BASE_URL", base_url)
        monkeypatch.setenv("SERVICEPILOT_LLM_MODEL", "local")

        report = run_check(load_settings(), today=TODAY)
    finally:
        proc.kill()
        proc.wait(timeout=10)

    assert report.server_crashed and not report.answered
    assert "answered before the chat request and does not answer now" in report.error
    assert report.server_exit is None  # someone else's process: no exit status to give
