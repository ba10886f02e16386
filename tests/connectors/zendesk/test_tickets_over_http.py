"""Z2-Z6 over a real socket: the Zendesk connector's ticket hooks against its simulator."""

from __future__ import annotations

from handoff_zendesk import ZendeskConnector

from handoff_sdk.entities import TicketUpdate
from handoff_sdk.testing.company import COMPANY

FIELD = 360000000042
CONFIG = {"escalated_to_sales_field_id": FIELD}
TAYLOR = COMPANY.rep("sdr-taylor")
ANA = COMPANY.person("ana-lima")


def put_bodies(sim) -> list[dict]:
    return [s.body["ticket"] for s in sim.simulator.calls("update_ticket")]


async def test_z2_a_ticket_comes_with_its_requesters_email_and_fields(simulated) -> None:
    sim = await simulated(ZendeskConnector, config=CONFIG)
    ticket = await sim.connector.handoff_get_ticket("1001")
    assert ticket is not None
    assert (ticket.requester_email, ticket.status, ticket.escalated_to_sales) == (
        ANA.email,
        "open",
        False,
    )
    assert ticket.url == f"{sim.server.url}/agent/tickets/1001"
    assert await sim.connector.handoff_get_ticket("424242") is None


async def test_z2_passing_assigns_ticks_the_box_and_notes_once_per_key(simulated) -> None:
    sim = await simulated(ZendeskConnector, config=CONFIG)
    update = TicketUpdate(
        ticket_id="1001",
        assignee_email=TAYLOR.email.upper(),
        escalated_to_sales=True,
        note="Passed to the account owner (Z2).",
    )
    first = await sim.connector.handoff_update_ticket(update, "tickets:1001:pass")
    again = await sim.connector.handoff_update_ticket(update, "tickets:1001:pass")
    assert first.ok
    assert again.ok
    [body] = put_bodies(sim)  # the second attempt found its tag and wrote nothing
    assert body["custom_fields"] == [{"id": FIELD, "value": True}]
    assert body["comment"] == {"body": "Passed to the account owner (Z2).", "public": False}
    ticket = await sim.connector.handoff_get_ticket("1001")
    assert ticket is not None
    assert (ticket.assignee_email, ticket.escalated_to_sales) == (TAYLOR.email, True)
    comments = await sim.connector.handoff_ticket_comments("1001")
    assert [(c.public, c.author_email) for c in comments] == [
        (True, ANA.email),
        (False, "agent@example.test"),
    ]
    [queued] = await sim.connector.handoff_escalated_tickets()
    assert (queued.id_in("zendesk"), queued.assignee_email) == ("1001", TAYLOR.email)


async def test_z2_a_macro_is_applied_once_per_key_and_an_unknown_one_fails(simulated) -> None:
    sim = await simulated(ZendeskConnector, config=CONFIG)
    assert (await sim.connector.handoff_apply_macro("1004", "pass to  sales", "k-1")).ok
    assert (await sim.connector.handoff_apply_macro("1004", "Pass to Sales", "k-1")).ok
    assert len(put_bodies(sim)) == 1
    missing = await sim.connector.handoff_apply_macro("1004", "Pass to Marketing", "k-2")
    assert not missing.ok
    assert missing.errors[0].code == "MacroNotFound"


async def test_z2_an_assignee_who_is_no_agent_fails_the_write_by_name(simulated) -> None:
    sim = await simulated(ZendeskConnector, config=CONFIG)
    result = await sim.connector.handoff_update_ticket(
        TicketUpdate(ticket_id="1001", assignee_email=ANA.email), "k-3"
    )
    assert not result.ok
    assert (result.errors[0].code, result.errors[0].fields) == (
        "AssigneeNotFound",
        ["assignee_email"],
    )
    assert put_bodies(sim) == []
