"""`handoff ai`: the AI rep's commands; each part of the flow adds its group here."""

from __future__ import annotations

import click

from handoff.ai.conversation_cli import conversation
from handoff.ai.studio.cli import content, inbox, scorecard

__all__ = ["ai"]


@click.group("ai")
def ai() -> None:
    """The AI rep: its conversations (Q5), AI Studio's content, Scorecard and Inbox (Q7)."""


ai.add_command(content)
ai.add_command(scorecard)
ai.add_command(inbox)
ai.add_command(conversation)
