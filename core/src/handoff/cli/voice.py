"""How every command speaks when something goes wrong: one prefix, stderr, two exit codes.

- `error: WHAT` on stderr (red on a terminal) for anything that stopped the
  command or that it found wrong; `warning: WHAT` (yellow) for what did not.
- Exit code 1 (`FAILURE`): the command ran and failed, or found problems
  (a bad handoff.toml, an unknown connector, a job that is not dead,
  `handoff check` listing what to fix).
- Exit code 2 (`USAGE`): the command line itself is wrong (an unknown command
  or option, a missing argument, a value of the wrong form); the usage line
  and where to find help come first.

docs/configuration.md ("The CLI") says the same to users.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

import click

__all__ = ["FAILURE", "USAGE", "error", "fail", "usage_error", "warning"]

FAILURE = 1
USAGE = 2


def error(message: str) -> None:
    """Print `error: MESSAGE` on stderr."""
    click.secho(f"error: {message}", fg="red", err=True)


def warning(message: str) -> None:
    """Print `warning: MESSAGE` on stderr: something the user should know that did not stop us."""
    click.secho(f"warning: {message}", fg="yellow", err=True)


def fail(messages: Iterable[str]) -> NoReturn:
    """Print each message as an `error:` line, then exit with FAILURE.

    For commands that find several problems at once and report them all.
    """
    for message in messages:
        error(message)
    raise SystemExit(FAILURE)


def usage_error(exc: click.UsageError) -> NoReturn:
    """Print a wrong command line the CLI's way: the usage, where help is, `error: ...`; exit 2."""
    if exc.ctx is not None:
        click.echo(exc.ctx.get_usage(), err=True)
        option = exc.ctx.help_option_names[0] if exc.ctx.help_option_names else "--help"
        click.echo(f"Try '{exc.ctx.command_path} {option}' for help.", err=True)
    error(exc.format_message())
    raise SystemExit(USAGE)
