"""Extension points (assistant.plugins, pluggy): the built-ins register through the same hooks
as extensions, and an extension found through the ``servicepilot`` entry-point group adds a
command, a tool and an answer handler without touching the built-ins."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import plugins


def test_builtins_come_through_the_hooks() -> None:
    manager = plugins.plugin_manager()
    assert manager.get_plugin("builtins") is not None
    names = [c.name for c in plugins.commands()]
    assert names[:7] == ["demo-data", "import", "quality", "warehouse", "metrics", "query", "ask"]
    assert {"serve", "mcp", "cases", "alerts", "forecast", "audit", "llm", "doctor"} <= set(names)
    from assistant.planning.plans import (
        AlertReview,
        CaseSearch,
        Clarification,
        Forecast,
        MetricPlan,
        OutOfScope,
        RootCause,
    )

    handlers = plugins.answer_handlers()
    assert set(handlers) == {
        MetricPlan,
        Clarification,
        OutOfScope,
        CaseSearch,
        RootCause,
        Forecast,
        AlertReview,
    }
    assert handlers[RootCause].__module__ == "assistant.answer.why"


def test_the_eval_command_is_a_plugin_of_evals() -> None:
    import evals.plugin

    # An installed checkout already has it through its entry point (pyproject.toml).
    installed = plugins.plugin_manager().is_registered(evals.plugin)
    if not installed:
        plugins.register(evals.plugin, name="evals-test")
    try:
        assert "eval" in [c.name for c in plugins.commands()]
    finally:
        if not installed:
            plugins.unregister(evals.plugin)


@pytest.fixture
def entry_point_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A package installed with a ``servicepilot`` entry point (a dist-info on sys.path)."""
    (tmp_path / "sp_hello.py").write_text(
        textwrap.dedent(
            '''
            import click

            from assistant.plugins import hookimpl
            from assistant.toolset import tool


            def shout(backend, text: str) -> dict:
                """Upper-case a text."""
                return {"text": text.upper()}


            @click.command("hello")
            def hello() -> None:
                """Say hello."""
                click.echo("hello from a plugin")


            @hookimpl
            def servicepilot_commands():
                return [hello]


            @hookimpl
            def servicepilot_tools():
                return [tool(shout)]
            '''
        )
    )
    dist = tmp_path / "sp_hello-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sp-hello\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[servicepilot]\nhello = sp_hello\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.plugin_manager.cache_clear()
    plugins.answer_handlers.cache_clear()
    yield
    sys.modules.pop("sp_hello", None)
    plugins.plugin_manager.cache_clear()
    plugins.answer_handlers.cache_clear()


def test_an_installed_plugin_adds_a_command_and_a_tool(entry_point_plugin) -> None:
    import click

    group = click.Group("servicepilot", commands=plugins.commands())
    result = CliRunner().invoke(group, ["hello"])
    assert result.exit_code == 0 and result.output == "hello from a plugin\n"
    shout = next(t for t in plugins.tools() if t.name == "shout")
    assert shout.description == "Upper-case a text."
    assert shout.call(None, {"text": "why"}) == {"text": "WHY"}  # type: ignore[arg-type]
    assert [t.name for t in plugins.tools()][:6] == [
        "list_metrics",
        "describe_metric",
        "query_metrics",
        "ask",
        "search_similar_cases",
        "explain_change",
    ]


def test_two_handlers_for_one_plan_kind_are_refused() -> None:
    from assistant.answer import refuse

    class Duplicate:
        @plugins.hookimpl
        def servicepilot_answer_handlers(self):
            return [refuse]

    duplicate = Duplicate()
    plugins.register(duplicate, name="duplicate")
    try:
        with pytest.raises(ValueError, match="Two answer handlers for OutOfScope"):
            plugins.answer_handlers()
    finally:
        plugins.unregister(duplicate)
    assert plugins.answer_handlers()  # the table is whole again


def test_lazy_commands_show_their_modules_help_and_run_them() -> None:
    """`servicepilot --help` lists every built-in command without importing its module; the
    lazy entry's help is the module's own (so the listing cannot drift from the command)."""
    import inspect

    import click

    import evals.plugin
    from assistant import builtins

    listed = {c.name: c for c in plugins.commands()}
    for name, _module, help_ in builtins.BUILTIN_COMMANDS:
        lazy = listed[name]
        assert isinstance(lazy, plugins.LazyCommand)
        real = lazy.real()
        assert real.name == name
        assert help_ == " ".join(inspect.cleandoc(real.help).split("\n\n")[0].split())
        for limit in (30, 45, 80, 200):
            assert lazy.get_short_help_str(limit) == real.get_short_help_str(limit), name
    from evals.cli import command as eval_command

    assert " ".join(eval_command.help.split("\n\n")[0].split()) == evals.plugin.EVAL_HELP
    result = CliRunner().invoke(
        click.Group("sp", commands=[listed["metrics"]]), ["metrics", "--help"]
    )
    assert result.exit_code == 0 and "validate" in result.output


def test_cli_help_imports_no_command_module() -> None:
    import subprocess

    code = (
        "import sys; from click.testing import CliRunner; from assistant.cli import main; "
        "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0, r.output; "
        "print(sorted(m for m in sys.modules if m.startswith('assistant.commands.') "
        "or m in ('pandas', 'sqlalchemy', 'semantic_layer.executor')))"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "PYTHONPATH": str(root)},
    )
    assert out.stdout.strip() == "[]"


def test_a_bug_in_a_command_ends_in_a_message_not_a_traceback(monkeypatch):
    from click.testing import CliRunner

    import assistant.app as app
    from assistant.cli import INTERNAL_ERROR_EXIT, main

    def broken(*args, **kwargs):
        raise TypeError("unsupported format string passed to NoneType.__format__")

    monkeypatch.setattr(app, "build_app", broken)
    monkeypatch.delenv("SERVICEPILOT_DEBUG", raising=False)
    result = CliRunner().invoke(main, ["ask", "上个月的满意度"])
    assert result.exit_code == INTERNAL_ERROR_EXIT, result.output
    assert "internal error" in result.output and "TypeError" in result.output
    assert "Traceback" not in result.output


def test_a_reader_that_goes_away_is_no_internal_error(demo_warehouse_path, tmp_path):
    # `servicepilot ask ... | head -1`: the pipe closes before the answer is written.
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    read, write = os.pipe()
    os.close(read)  # no reader: the first write fails with EPIPE
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "SERVICEPILOT_DATA_DIR": str(tmp_path),
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("SERVICEPILOT_DEBUG", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant.cli",
            "ask",
            "上个月的满意度",
            "--db",
            str(demo_warehouse_path),
            "--today",
            "2026-11-22",
        ],
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=120,
    )
    os.close(write)
    assert done.returncode == 1, done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
