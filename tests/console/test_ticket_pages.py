"""The Escalated tickets pages over HTTP: the queue handed to sales and one ticket, matching what
the tickets flow decided (Z1 segment, Z2 new business to the account owner, Z3 its escalation
reason, Z6 the daily review's ping); a dead job of a ticket retried from its page, audited.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from console_kit import sign_in  # type: ignore[import-not-found]
from fastapi import FastAPI
from sqlalchemy import select
from tickets_kit import MACRO_ERROR, seed_tickets, tickets_config  # type: ignore[import-not-found]

from handoff.console.users import UserInfo
from handoff.runtime import audit_trail
from handoff.runtime.explain import explain_ref
from handoff.server import create_app
from handoff.store import Job, Store
from handoff.tickets.queue import queue
from handoff_sdk import FakeClock


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub with the tickets tests' [tickets] table and the two sample tickets (tickets_kit)."""
    await seed_tickets(store, clock, dead_macro=True)
    built = create_app(store, config=tickets_config(), clock=clock)
    yield built
    await built.state.intake.aclose()


def text_of(answer: httpx.Response) -> str:
    """The page's main part as text: no tags, unescaped, spaces squeezed."""
    main = re.sub(r"<[^>]+>", " ", answer.text.split("<main", 1)[-1])
    return re.sub(r"\s+", " ", html.unescape(main))


def rows_of(answer: httpx.Response, table: str) -> list[str]:
    """Each body row of a table, as text."""
    body = answer.text.split(f'id="{table}"', 1)[1].split("<tbody>", 1)[1]
    return [
        re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).strip()
        for row in body.split("</tbody>", 1)[0].split("</tr>")[:-1]
    ]


def decisions(store: Store, ticket: str) -> list[dict[str, Any]]:
    with store.sessions() as session:
        found: list[dict[str, Any]] = explain_ref(session, f"ticket:{ticket}")["decisions"]
        return found


async def ops(client: httpx.AsyncClient, add: Callable[..., UserInfo]) -> str:
    add("olga", "ops")
    return str(await sign_in(client, "olga"))


async def test_z2_z3_z6_the_queue_lists_what_the_flow_passed_with_its_state_rep_and_why(
    store: Store,
    clock: FakeClock,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    await ops(console_client, console_user)
    page = await console_client.get("/console/tickets")
    assert page.status_code == 200, page.text
    with store.sessions() as session:
        (row,) = [r.as_json(clock.now()) for r in queue(session)]
    route, ping = decisions(store, "5001")
    assert (row["ticket_id"], row["last_action"], row["pings"]) == ("5001", "ping", 1)
    assert rows_of(page, "tickets") == [
        "5001 Quote for 40 seats new business ping 2026-01-06 09:00 "
        'Olga Owner <olga@example.test> account_owner; MidMarket x EMEA; macro "Pass to Sales" '
        f"2026-01-05 09:00 {row['age_hours']:g} h ago 1 "
        "passed to Olga Owner (account owner); Z2: the account owner is a sales rep "
        f"[Z2, Z3, Z1] decision {route['id']}"
    ]
    assert "1 ticket waiting for sales" in text_of(page)
    assert f'href="/console/decisions/{route["id"]}"' in page.text
    assert ping["outcome"]["action"] == "ping"
    # ?all=true adds the ticket support kept (no Z3 reason held).
    both = await console_client.get("/console/tickets?all=true")
    kept = rows_of(both, "tickets")[1]
    assert kept.startswith("5002 Pricing question new business not escalated")
    assert "nobody not_escalated; MidMarket x EMEA not passed 0" in kept
    assert "not escalated to sales: no escalation reason holds; support keeps it" in kept


async def test_bad_query_parameters_are_named_and_unknown_tickets_are_404(
    console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    await ops(console_client, console_user)
    bad = await console_client.get("/console/tickets?all=maybe")
    assert bad.status_code == 400
    assert "all: expected true or false, got 'maybe'" in text_of(bad)
    unknown = await console_client.get("/console/tickets/9999")
    assert unknown.status_code == 404
    assert "No ticket 9999: the hub decided nothing about it" in text_of(unknown)
    word = await console_client.get("/console/tickets/abc")
    assert word.status_code == 404
    assert "a ticket id is a number" in text_of(word)
    assert (await console_client.get("/console/tickets/" + "1" * 21)).status_code == 404


async def test_tickets_are_for_ops_only(
    console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    for path in ("/console/tickets", "/console/tickets/5001"):
        unsigned = await console_client.get(path)
        assert unsigned.status_code == 303, path  # no session: to the sign-in form and back
        assert unsigned.headers["location"].startswith("/console/sign-in?next=")
    console_user("ana", "rep", rep="ana")
    await sign_in(console_client, "ana")
    for path in ("/console/tickets", "/console/tickets/5001"):
        refused = await console_client.get(path)
        assert refused.status_code == 403, path
        assert "This page is for the admin or ops role" in text_of(refused)
    assert 'href="/console/tickets"' not in (await console_client.get("/console")).text


async def test_z1_z6_a_tickets_page_explains_each_decision_and_its_jobs(
    store: Store, console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    await ops(console_client, console_user)
    page = await console_client.get("/console/tickets/5001")
    assert page.status_code == 200, page.text
    text = text_of(page)
    route, ping = decisions(store, "5001")
    assert "Ticket 5001: Quote for 40 seats" in text
    assert "Escalated because purchase_order" in text
    assert "1 ping [Z6]" in text
    for d in (route, ping):
        assert f"Decision {d['id']} : {d['kind']} about ticket:5001" in text
        assert d["why"]["summary"] in text
        assert d["why"]["counterfactual"] in text
    for item in route["why"]["not_matched"]:
        assert item in text
    assert "Z1" in text
    assert "MidMarket" in text
    assert MACRO_ERROR in text  # the dead macro job, with its error
    (dead,) = [j for j in route["jobs"] if j["state"] == "dead"]
    assert f'action="/console/jobs/{dead["id"]}/retry"' in page.text
    assert page.text.count("/retry") == 1  # the done jobs offer nothing


async def test_retry_a_tickets_dead_job_from_its_page_audited_with_the_console_user(
    store: Store, console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    csrf = await ops(console_client, console_user)
    (route, _ping) = decisions(store, "5001")
    (dead,) = [j for j in route["jobs"] if j["state"] == "dead"]
    refused = await console_client.post(f"/console/jobs/{dead['id']}/retry", data={})
    assert refused.status_code == 403  # no CSRF token: nothing done
    with store.sessions() as session:
        assert session.scalar(select(Job.state).where(Job.id == dead["id"])) == "dead"
    done = await console_client.post(f"/console/jobs/{dead['id']}/retry", data={"csrf_token": csrf})
    assert done.status_code == 303
    with store.sessions() as session:
        assert session.scalar(select(Job.state).where(Job.id == dead["id"])) == "queued"
        (audit,) = audit_trail(session, actions=("jobs.retry",))
    assert audit.actor == "console:olga"
    page = await console_client.get("/console/tickets/5001")
    assert "/retry" not in page.text


async def test_without_tickets_the_pages_are_not_served(
    store: Store, clock: FakeClock, console_user: Callable[..., UserInfo]
) -> None:
    plain = create_app(store, clock=clock)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=plain), base_url="http://hub.test"
        ) as client:
            await ops(client, console_user)
            assert (await client.get("/console/tickets")).status_code == 404
    finally:
        await plain.state.intake.aclose()
