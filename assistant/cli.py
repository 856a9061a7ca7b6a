"""The ``servicepilot`` command line. Every command has ``--help``; most take ``--json``."""

from __future__ import annotations

import click

from assistant.plugins import commands


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
