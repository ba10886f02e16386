"""`handoff ai`: the AI rep's commands; each part of the flow adds its group here."""

from __future__ import annotations

import click

from handoff.ai.campaign_cli import campaigns
from handoff.ai.conversation_cli import conversation
from handoff.ai.studio.cli import content, inbox, scorecard

__all__ = ["ai"]


@click.group("ai")
def ai() -> None:
    """The AI rep: conversations (Q5), AI Studio (Q7), AI email campaigns (Q16, Q17)."""


ai.add_command(content)
ai.add_command(scorecard)
ai.add_command(inbox)
ai.add_command(conversation)
ai.add_command(campaigns)
