"""`handoff sandbox` and `handoff sandbox traffic`: the whole hub against simulated vendors."""

from __future__ import annotations

from pathlib import Path

import click

from handoff.errors import HandoffError

__all__ = ["sandbox"]

_dir_option = click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("sandbox"),
    show_default=True,
    help="The sandbox's folder: its handoff.toml, secrets file, database and state.",
)


@click.group("sandbox", invoke_without_command=True)
@_dir_option
@click.option(
    "--port",
    type=click.IntRange(0, 65000),
    default=0,
    show_default=True,
    help="First port for the simulators (the others follow); 0 takes free ports.",
)
@click.option(
    "--latency",
    type=click.FloatRange(0, 10),
    default=0.0,
    show_default=True,
    help="Seconds added to every answer of the HTTP simulators, as a network would.",
)
@click.pass_context
def sandbox(ctx: click.Context, folder: Path, port: int, latency: float) -> None:
    """Try the whole hub with no vendor account: every connector against a simulator.

    Starts, in this process, the vendor simulator of every installed connector
    (Salesforce, 6sense, Outreach, Zoom, ... each on its own 127.0.0.1 port,
    over TLS with a throwaway certificate), seeded with one synthetic company:
    its accounts, contacts, leads, reps with calendars, tickets. Writes
    DIR/handoff.toml pointing every connector at its simulator, the
    simulators' credentials in DIR/secrets.cfg (the file backend the config
    names; never in the toml) and a migrated SQLite database, then prints the
    two commands to run: the hub (`handoff serve --with-worker --config
    DIR/handoff.toml`) and `handoff sandbox traffic`. Ctrl-C stops the
    simulators. docs/sandbox.md walks through it.
    """
    if ctx.invoked_subcommand is not None:
        return
    from handoff.cli import voice  # noqa: PLC0415 - fast startup
    from handoff.cli.progress import step  # noqa: PLC0415
    from handoff.sandbox.run import run_sandbox  # noqa: PLC0415

    run_sandbox(folder, port=port, latency=latency, echo=click.echo, warn=voice.warning, step=step)


@sandbox.command("traffic")
@_dir_option
@click.option(
    "--hub",
    "hub_url",
    default="http://127.0.0.1:8080",
    show_default=True,
    help="Where the hub (`handoff serve`) listens.",
)
@click.option(
    "--api-key",
    envvar="HANDOFF_API_KEY",
    show_envvar=True,
    default=None,
    help="The hub's API key (admin, or ingest with rep for every rep). "
    "Default: the one the sandbox wrote in DIR/api-key.",
)
def traffic(folder: Path, hub_url: str, api_key: str | None) -> None:
    """Send sample traffic through the hub running against the sandbox, and report.

    Reps go online; the synthetic company's visitors view pages (identified
    by 6sense and the CRM), ask the chat for a human (routed), end their chats
    (written back to the CRM) and one books a meeting (Zoom and calendar); the
    vendors that send webhooks send theirs (Gainsight's survey responses,
    PathFactory's visitor sessions). Then it waits for the hub's worker and
    prints the hub's decisions and what each simulated vendor was asked.
    """
    from handoff.sandbox.files import read_key, read_state  # noqa: PLC0415 - fast startup
    from handoff.sandbox.traffic import send_traffic  # noqa: PLC0415

    state = read_state(folder.expanduser().resolve())
    if state is None or not state.running:
        raise HandoffError(
            f"no sandbox is running in {folder}: start one with `handoff sandbox --dir {folder}`"
        )
    key = api_key or read_key(folder.expanduser().resolve())
    send_traffic(state, hub_url, api_key=key, echo=click.echo)
