"""The ``servicepilot`` command line. Every command has ``--help``; most take ``--json``."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

import click

from assistant.plugins import commands

INTERNAL_ERROR_EXIT = 70  # EX_SOFTWARE

# Commands that close what they open (warehouse, audit store, session file) and only print. After
# one of them the process leaves without the interpreter's teardown, which frees every object of
# every module one by one: ≈ 0.15–0.2 s after a question, longer than answering it took (#22).
QUICK_EXIT = frozenset({"ask", "query"})


class _Commands(click.Group):
    """The command group, with a last line of defence: a bug in any command ends in a
    one-line message and exit 70, never a Python traceback (SERVICEPILOT_DEBUG=1 shows it)."""

    ran: str | None = None  # the command this process ran (for run()'s quick exit)

    def resolve_command(self, ctx: click.Context, args: list[str]):  # noqa: ANN201
        name, command, rest = super().resolve_command(ctx, args)
        self.ran = name
        return name, command, rest

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`servicepilot ask ... | head -1`): not an error of ours.
            # Standard output now goes nowhere, so the flush at exit cannot fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)
        except Exception as exc:
            if os.environ.get("SERVICEPILOT_DEBUG"):
                raise
            click.echo(
                f"Error: an internal error stopped this command ({type(exc).__name__}: {exc}). "
                "This is a bug: please report it with the command you ran; set "
                "SERVICEPILOT_DEBUG=1 to see the details.",
                err=True,
            )
            ctx.exit(INTERNAL_ERROR_EXIT)


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="servicepilot")
def main() -> None:
    """ServicePilot: certified service KPIs, bilingual questions, similar complaints.

    Start with `servicepilot demo-data` to build a demo warehouse, or `servicepilot import`
    to load your own tickets.
    """


for _command in commands():  # built-ins first, then plugins (e.g. `eval` from evals)
    main.add_command(_command)


def run() -> None:
    """The console script (and ``python -m assistant.cli``): the command group, ended by a quick
    exit after a QUICK_EXIT command. Tests invoke ``main`` itself, which never leaves early."""
    try:
        main.main(prog_name="servicepilot")
    except SystemExit as done:
        if main.ran in QUICK_EXIT and (done.code is None or isinstance(done.code, int)):
            _leave(done.code or 0)
        raise


def _leave(code: int) -> NoReturn:
    """Everything a normal exit does that can matter to the user, then ``os._exit``: wait for
    the threads a normal exit waits for, run the exit handlers (logging, temporary folders,
    child processes), flush the output; skip freeing the modules' objects."""
    # What the interpreter's own exit runs first: thread pools told to stop (an idle pool's
    # workers would otherwise be waited for forever), then every non-daemon thread joined.
    threading._shutdown()  # noqa: SLF001
    atexit._run_exitfuncs()  # noqa: SLF001 - the handlers os._exit would otherwise skip
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader went away (`| head -1`), as in _Commands.invoke
        code = code or 1
    os._exit(code)


if __name__ == "__main__":
    run()
