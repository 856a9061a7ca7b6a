"""Extension points (pluggy): answer handlers, CLI commands, tools, notification channels.

The built-ins register through the same hooks as extensions (``assistant.builtins``), and
extensions are found through the ``servicepilot`` entry-point group::

    [project.entry-points.servicepilot]
    my_plugin = "my_package.plugin"     # a module with @hookimpl functions

No module is imported by a name written in a string here: a plugin is a module object.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from types import ModuleType
from typing import Any

import click
import pluggy

PROJECT = "servicepilot"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class Specs:
    """The hooks a plugin may implement (each returns a list; results are concatenated)."""

    @hookspec
    def servicepilot_answer_handlers(self) -> list[ModuleType]:
        """Modules each with ``PLAN`` (a Plan class) and ``handle(plan, ctx) -> Reply``."""

    @hookspec
    def servicepilot_commands(self) -> list[Any]:
        """Click commands or groups added to the ``servicepilot`` CLI."""

    @hookspec
    def servicepilot_tools(self) -> list[Any]:
        """``assistant.toolset.Tool`` objects (``tool(typed_function)``) offered to the agent,
        over MCP and over HTTP."""

    @hookspec
    def servicepilot_notification_channels(self) -> list[Any]:
        """Notification channels (objects with ``name`` and ``send(message)``)."""


@lru_cache(maxsize=1)
def plugin_manager() -> pluggy.PluginManager:
    from assistant import builtins

    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(Specs)
    manager.register(builtins, name="builtins")
    manager.load_setuptools_entrypoints(PROJECT)
    return manager


def register(plugin: object, name: str | None = None) -> None:
    """Register a plugin module or object at run time (tests, embedding applications)."""
    plugin_manager().register(plugin, name=name)
    _clear()


def unregister(plugin: object) -> None:
    plugin_manager().unregister(plugin)
    _clear()


def _clear() -> None:
    answer_handlers.cache_clear()


def _collect(results: list[list[Any]]) -> list[Any]:
    # pluggy calls the last registered plugin first; built-ins come first in every listing.
    return [item for result in reversed(results) for item in result]


@lru_cache(maxsize=1)
def answer_handlers() -> dict[type, Callable[..., Any]]:
    """The table Plan type -> handler (``assistant.answer.handlers.table_of``)."""
    from assistant.answer.handlers import table_of

    return table_of(_collect(plugin_manager().hook.servicepilot_answer_handlers()))


class LazyCommand(click.Command):
    """A CLI command known by name and help text, its module imported only when it runs (or its
    own --help is asked for), so `servicepilot --help` and every other command start without it.

    ``load`` returns the real click command; ``help`` is its docstring's first paragraph (what
    `servicepilot --help` shows). A plugin's ``servicepilot_commands`` may return these too."""

    def __init__(self, name: str, help: str, load: Callable[[], click.Command]) -> None:
        super().__init__(name, help=help)
        self._load = load
        self._real: click.Command | None = None

    def real(self) -> click.Command:
        if self._real is None:
            self._real = self._load()
        return self._real

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # The context (and so the parsing, --help and invocation) is the real command's.
        return self.real().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        return self.real().invoke(ctx)

    def get_help(self, ctx: click.Context) -> str:
        return self.real().get_help(ctx)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        return self.real().shell_complete(ctx, incomplete)


def commands() -> list[Any]:
    return _collect(plugin_manager().hook.servicepilot_commands())


def tools() -> list[Any]:
    return _collect(plugin_manager().hook.servicepilot_tools())


def notification_channels() -> list[Any]:
    return _collect(plugin_manager().hook.servicepilot_notification_channels())
