"""The `handoff` command: its root group, the commands it offers, and the entry point.

Every command is named here (or in its flow's `flow.py`) with one line of
help and the 'module:attribute' that defines it; its module is imported only
when it runs or shows its help, so `handoff --version` and `handoff --help`
import no framework beyond click (docs/performance.md, "Start-up").
"""

from __future__ import annotations

import sys

import click

from handoff import __version__
from handoff.cli import voice
from handoff.cli.lazy import LazyGroup
from handoff.errors import HandoffError
from handoff.flow import FlowCommand
from handoff.flows import built_in_flows, flow_commands

__all__ = ["CORE_COMMANDS", "cli", "main"]

CORE_COMMANDS: tuple[FlowCommand, ...] = (
    FlowCommand(
        "connectors",
        "handoff.cli.connectors:connectors",
        "Inspect the installed connectors.",
    ),
    FlowCommand(
        "check",
        "handoff.cli.check:check",
        "Check handoff.toml and secrets: every table valid, every enabled connector configured.",
    ),
    FlowCommand(
        "secrets",
        "handoff.cli.secrets:secrets",
        "Set, delete and list connector secrets (OS keyring, file, or environment).",
    ),
    FlowCommand(
        "new-connector",
        "handoff.cli.scaffold:new_connector",
        "Create a connector package NAME that installs, is discovered and passes its tests.",
    ),
    FlowCommand(
        "demo",
        "handoff.cli.demo:demo",
        "Run the main jobs on SQLite: each flow's part, its decisions printed with why.",
    ),
    FlowCommand(
        "db",
        "handoff.cli.db:db",
        "Create and migrate the hub's database (SQLite by default, PostgreSQL by URL).",
    ),
    FlowCommand(
        "serve",
        "handoff.cli.serve:serve",
        "Receive events: the hub's API under /v1, webhooks at /webhooks/CONNECTOR.",
    ),
    FlowCommand(
        "worker",
        "handoff.cli.worker:worker",
        "Run the outbox: fire due timers, claim due jobs, call the connectors, retry, give up.",
    ),
    FlowCommand(
        "jobs",
        "handoff.cli.jobs:jobs",
        "List, retry and discard the outbox's jobs.",
    ),
    FlowCommand(
        "keys",
        "handoff.cli.keys:keys",
        "API keys: who may call the hub's /v1 routes and /metrics, and for what.",
    ),
    FlowCommand(
        "users",
        "handoff.cli.users:users",
        "Console users: who may sign in to the web console, with which role.",
    ),
    FlowCommand(
        "explain",
        "handoff.cli.explain:explain",
        "Show the decisions about REF and why, with the jobs each one caused.",
    ),
    FlowCommand(
        "events",
        "handoff.cli.events:events",
        "The stored events: export a period of them for `handoff replay`.",
    ),
    FlowCommand(
        "replay",
        "handoff.cli.replay:replay_command",
        "Decide exported events again through the whole hub; with a candidate, what changes.",
    ),
    FlowCommand(
        "shadow",
        "handoff.cli.shadow:shadow",
        "The candidate `[shadow]` names, decided beside the live configuration: where it differs.",
    ),
    FlowCommand(
        "sandbox",
        "handoff.sandbox.cli:sandbox",
        "Try the whole hub with no vendor account: every connector against a simulator.",
    ),
)
"""The commands of the hub itself (the flows add theirs, see `handoff.flow.Flow.commands`).

A new command: a module under handoff/cli/ defining it, and one line here.
"""


def all_commands() -> dict[str, FlowCommand]:
    """The hub's commands and every built-in flow's, by name; a name taken twice is a bug."""
    commands = {command.name: command for command in CORE_COMMANDS}
    for name, command in flow_commands(built_in_flows()).items():
        if name in commands:
            raise HandoffError(f"a flow adds `handoff {name}`, which is a command of the hub")
        commands[name] = command
    return commands


@click.group(
    cls=LazyGroup,
    lazy=all_commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="handoff")
def cli() -> None:
    """handoff: an integration hub for revenue operations.

    It connects the systems marketing, sales and support live in (Salesforce,
    Marketo, 6sense, Zendesk, Slack, ...) and carries out the rules between them.
    Connectors are installed packages; handoff.toml enables and configures them;
    secrets live in the OS keyring (or a file, or environment variables).

    Start with `handoff connectors list`, then `handoff check`.
    """


def main() -> None:
    """Entry point: run the CLI, printing user errors as one `error:` line, never a traceback.

    The exit codes and the error voice are `handoff.cli.voice`'s.
    """
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        voice.error("aborted")
        sys.exit(voice.FAILURE)
    except click.UsageError as exc:
        voice.usage_error(exc)
    except click.ClickException as exc:
        voice.error(exc.format_message())
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        voice.error(str(exc))
        sys.exit(voice.FAILURE)


def _is_user_error(exc: Exception) -> bool:
    if isinstance(exc, HandoffError):
        return True
    # A connector's error can only come from a command that imported the SDK already.
    sdk = sys.modules.get("handoff_sdk")
    return sdk is not None and isinstance(exc, sdk.ConnectorError)
