"""The ``servicepilot`` command line. Every command has ``--help``; most take ``--json``."""

from __future__ import annotations

import os
import sys

import click

from assistant.plugins import commands

INTERNAL_ERROR_EXIT = 70  # EX_SOFTWARE


class _Commands(click.Group):
    """The command group, with a last line of defence: a bug in any command ends in a
    one-line message and exit 70, never a Python traceback (SERVICEPILOT_DEBUG=1 shows it)."""

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


if __name__ == "__main__":
    main()
