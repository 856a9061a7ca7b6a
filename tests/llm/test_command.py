"""`servicepilot llm check`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant.commands.llm import command
from tests.llm.fakes import ScriptedChatModel, draft, text


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SERVICEPILOT_CONFIG", str(tmp_path / "none.toml"))
    for name in ("PROVIDER", "BASE_URL", "API_KEY", "MODEL", "GGUF_PATH"):
        monkeypatch.delenv(f"SERVICEPILOT_LLM_{name}", raising=False)


def test_check_without_an_llm_exits_2_and_says_how_to_configure():
    result = CliRunner().invoke(command, ["check", "--json"])
    assert result.exit_code == 2
    payload = json.loads(result.output)
    assert payload["ok"] is False and "SERVICEPILOT_LLM_PROVIDER" in payload["error"]


def test_check_reports_timings_and_the_query(monkeypatch):
    model = ScriptedChatModel(
        script=[
            text("OK"),
            draft(
                intent="metric", metrics=["csat"], dimensions=["region"], time_phrase="last month"
            ),
        ]
    )
    monkeypatch.setenv("SERVICEPILOT_LLM_PROVIDER", "openai")
    monkeypatch.setattr("assistant.llm.check.chat_model_from_config", lambda config: model)
    result = CliRunner().invoke(command, ["check", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["ok"] and payload["answered"] and payload["planned"]
    assert payload["query"]["metrics"] == ["csat"] and payload["query"]["dimensions"] == ["region"]
    assert payload["ping_ms"] >= 0 and payload["plan_ms"] >= 0


def test_check_fails_when_the_model_cannot_plan(monkeypatch):
    model = ScriptedChatModel(script=[text("OK"), *[draft(intent="metric", metrics=["csta"])] * 3])
    monkeypatch.setenv("SERVICEPILOT_LLM_PROVIDER", "openai")
    monkeypatch.setattr("assistant.llm.check.chat_model_from_config", lambda config: model)
    result = CliRunner().invoke(command, ["check"])
    assert result.exit_code == 1
    assert "Did you mean 'csat'?" in result.output and "FAILED" in result.output
