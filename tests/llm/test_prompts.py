"""The prompt loader: one file per prompt, clear errors."""

from __future__ import annotations

import pytest

from assistant.prompts import (
    PromptNotFoundError,
    available_prompts,
    load_prompt,
    prompt_slots,
    render_prompt,
)


def test_every_prompt_loads_and_has_the_slots_its_callers_fill():
    assert {"planner_system", "planner_retry", "agent_system"} <= set(available_prompts())
    assert prompt_slots("planner_system") == {"today", "catalog", "history"}
    assert prompt_slots("planner_retry") == {"draft", "error"}
    assert prompt_slots("agent_system") == {"today"}
    assert "never" in load_prompt("agent_system").lower()


def test_a_missing_prompt_says_which_exist():
    with pytest.raises(PromptNotFoundError) as err:
        load_prompt("planer_system")
    message = str(err.value)
    assert "No prompt named 'planer_system'" in message and "planner_system" in message
    with pytest.raises(PromptNotFoundError):
        load_prompt("../cli")


def test_render_refuses_missing_or_unknown_slots():
    with pytest.raises(ValueError, match="missing values for \\['error'\\]"):
        render_prompt("planner_retry", draft="{}")
    with pytest.raises(ValueError, match="no slot for \\['extra'\\]"):
        render_prompt("planner_retry", draft="{}", error="e", extra=1)
    text = render_prompt("planner_retry", draft='{"a": 1}', error="Unknown metric")
    assert '{"a": 1}' in text and "{{" not in text
