"""assistant/trace.py: spans are written only when SERVICEPILOT_TRACE names a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import trace


def test_spans_go_to_the_named_file_and_nowhere_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "trace.jsonl"
    monkeypatch.delenv(trace.ENV, raising=False)
    with trace.span("quiet"):
        pass
    assert not out.exists() and not trace.enabled()
    monkeypatch.setenv(trace.ENV, str(out))
    with trace.span("outer", depth=2) as fields:
        fields["done_at"] = 1.5
        with trace.span("inner"):
            sum(range(100_000))
    inner, outer = (json.loads(line) for line in out.read_text().splitlines())
    assert (inner["name"], outer["name"]) == ("inner", "outer")
    assert outer["depth"] == 2 and outer["done_at"] == 1.5
    assert outer["s"] >= inner["s"] > 0 and outer["at"] <= inner["at"]
