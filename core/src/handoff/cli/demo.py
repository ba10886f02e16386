"""`handoff demo`: every flow's main jobs on SQLite, replayed from cassettes."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["demo"]


@click.command("demo")
@click.option(
    "--cassettes",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("cassettes"),
    show_default=True,
    help="The folder of recorded API conversations to replay.",
)
def demo(cassettes: Path) -> None:
    """Run the main jobs on SQLite: each flow's part, its decisions printed with why.

    The hub and its worker start in this process as `handoff serve
    --with-worker` would. The chat flow's part: sample visitors are enriched
    (6sense), matched (Salesforce) and their chats routed by the GitLab
    playbook (Q3/Q4). Every API answer is replayed from recorded cassettes:
    no credentials, no network.
    """
    from handoff.cli.progress import step

    with step("loading the hub (its server, store and connectors)"):
        from handoff.demo import run_demo

    run_demo(cassettes, echo=click.echo, step=step)
