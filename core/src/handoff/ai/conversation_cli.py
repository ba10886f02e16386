"""`handoff ai conversation ID`: one AI conversation, its turns and every step, and why (Q5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from handoff.cli.options import config_option, database_option, json_option, open_store_for
from handoff.errors import HandoffError

__all__ = ["conversation"]


def _lines(state: dict[str, Any], decisions: list[dict[str, Any]]) -> list[str]:
    entry = '"Connect with us"' if state.get("entry") == "connect" else '"I have a question"'
    out = [
        f"conversation {state['id']}: {entry} on {state['experience_id']}, visitor "
        f"{state['visitor_id']}, {state['status']}"
        + (f", email {state['email']}" if state.get("email") else ", no email yet")
        + (f", rep {state['rep_id']}" if state.get("rep_id") else "")
    ]
    out.append("turns:")
    out += [f"  {t['speaker']:>7}: {t['text']}" for t in state.get("turns", [])]
    out.append("decisions (handoff explain conversation:<id> shows each in full):")
    for decision in decisions:
        outcome = decision["outcome"]
        why = decision.get("why") or {}
        action = outcome.get("action")
        head = decision["kind"] + (f" {action}" if action else "")
        text = why.get("summary") or why.get("matched") or ""
        if decision["kind"] == "ai.turn" and outcome.get("rule"):
            text = f"replaced by {outcome['rule']}: {why.get('matched')}"
        out.append(f"  {decision['id']:>5} {head:<26} {text}")
    return out


@click.command("conversation")
@config_option
@database_option
@click.argument("conversation_id")
@json_option
def conversation(
    config_path: Path | None, database: str | None, conversation_id: str, as_json: bool
) -> None:
    """Show the AI conversation CONVERSATION_ID: its path, email, turns and every step, and why.

    The same as GET /v1/ai/conversations/ID: the entry path, the business
    email, each message and reply (and whether the Q6 guard replaced one),
    each goal's steps (triggered, email requested, slots offered, booked,
    routed, support link), and the chat flow's routing decisions about it.
    """
    from handoff.ai.kinds import CONVERSATION_ENTITY  # noqa: PLC0415 - read by --help
    from handoff.runtime.explain import explain_ref  # noqa: PLC0415
    from handoff.store import EntityRecord  # noqa: PLC0415

    store = open_store_for(config_path, database)
    with store.sessions() as session:
        row = session.get(EntityRecord, (CONVERSATION_ENTITY, conversation_id))
        if row is None:
            raise HandoffError(f"no AI conversation '{conversation_id}'")
        state = dict(row.data)
        decisions = explain_ref(session, f"conversation:{conversation_id}")["decisions"]
    if as_json:
        click.echo(
            json.dumps({"conversation": state, "decisions": decisions}, indent=2, default=str)
        )
        return
    click.echo("\n".join(_lines(state, decisions)))
