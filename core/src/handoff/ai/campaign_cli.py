"""`handoff ai campaigns`: the AI email campaigns switched off and on, one at a time (Q17).

Imports of the store happen inside each command, so `handoff --help` stays fast.
"""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path

import click

from handoff.cli.options import json_option, open_store_for, store_options
from handoff.config import load_config

__all__ = ["campaigns"]


def _email_config(config_path: Path | None) -> object:
    from handoff.ai.flow import AI  # noqa: PLC0415

    table = AI.settings_of(load_config(config_path)).ai
    return table.email if table is not None else None


@click.group("campaigns")
def campaigns() -> None:
    """The AI email campaigns: list them, switch one off or on (Q17, audited)."""


@campaigns.command("list")
@store_options
@json_option
def campaigns_list(config_path: Path | None, database: str | None, as_json: bool) -> None:
    """Each configured AI email campaign and whether it is on now."""
    from handoff.ai.campaigns import campaign_states  # noqa: PLC0415
    from handoff.ai.email import AiEmailConfig  # noqa: PLC0415

    email = _email_config(config_path)
    store = open_store_for(config_path, database)
    with store.sessions() as session:
        states = campaign_states(session, email if isinstance(email, AiEmailConfig) else None)
    if as_json:
        click.echo(json.dumps([{"id": k, "enabled": v} for k, v in states.items()], indent=2))
        return
    if not states:
        click.echo("No AI email campaign is configured ([ai.email] in handoff.toml).")
        return
    for ident, on in states.items():
        click.echo(f"{'on ' if on else 'off'}  {ident}")


def _switch_command(enabled: bool) -> click.Command:
    word = "on" if enabled else "off"

    @click.command(word)
    @store_options
    @click.argument("campaign")
    @click.option("--actor", default=None, help="Who is switching (audited). Default: $USER.")
    @json_option
    def command(
        config_path: Path | None,
        database: str | None,
        campaign: str,
        actor: str | None,
        as_json: bool,
    ) -> None:
        from handoff.ai.campaigns import switch_campaign  # noqa: PLC0415
        from handoff.ai.email import AiEmailConfig  # noqa: PLC0415

        email = _email_config(config_path)
        who = f"cli:{actor or getpass.getuser()}"
        store = open_store_for(config_path, database)
        with store.transaction() as session:
            switch = switch_campaign(
                session,
                email if isinstance(email, AiEmailConfig) else None,
                campaign,
                enabled=enabled,
                actor=who,
                now=datetime.now(UTC),
            )
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "campaign": switch.campaign,
                        "enabled": switch.enabled,
                        "was": switch.was,
                        "changed": switch.changed,
                        "actor": switch.actor,
                    }
                )
            )
            return
        click.echo(
            f"{campaign}: {word} (switched by {who})"
            if switch.changed
            else f"{campaign}: already {word}; nothing changed (audited)"
        )

    command.help = (
        f"Q17: switch ONE AI email campaign {word}, in one audited transaction; the other "
        "campaigns (and the chat AI) are untouched. Idempotent."
    )
    return command


campaigns.add_command(_switch_command(enabled=False))
campaigns.add_command(_switch_command(enabled=True))
