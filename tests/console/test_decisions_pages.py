"""The Decisions page over HTTP: search, explanations, a rep's own decisions only, Q19 flags.

Rule Q19: a rep flags a conversation as misrouted, for ops to review with the
decision's explanation.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from console_kit import sign_in  # type: ignore[import-not-found]
from fastapi import FastAPI
from ops_kit import ROUTING, routed  # type: ignore[import-not-found]
from sqlalchemy import select

from handoff.config import HubConfig
from handoff.console.users import UserInfo
from handoff.server import create_app
from handoff.store import EventRecord, Store
from handoff_sdk import FakeClock


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's app with two reps in [routing]."""
    built = create_app(store, config=HubConfig(routing=ROUTING), clock=clock)
    yield built
    await built.state.intake.aclose()


def text_of(answer: httpx.Response) -> str:
    """The page's main part as text: no tags, unescaped."""
    return html.unescape(re.sub(r"<[^>]+>", "", answer.text.split("<main", 1)[-1]))


async def test_ops_search_a_conversation_and_read_each_decision_as_explain_shows_it(
    store: Store,
    clock: FakeClock,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    first = routed(store, clock, "c-1", "ana", error="salesforce: 503 Service Unavailable")
    routed(store, clock, "c-2", "bo")
    console_user("olga", "ops")
    await sign_in(console_client, "olga")
    found = await console_client.get("/console/decisions?kind=conversation&id=c-1")
    assert found.status_code == 200, found.text
    page = text_of(found)
    assert "1 decision about conversation:c-1" in page
    assert f"Decision {first}" in page
    assert "owner-first (Q3): the account has an owner" in page  # matched
    assert "vip: account.tier is 3, not 1" in page  # not matched, and why
    assert "carl: away (owner)" in page  # a rep skipped, and why
    assert "had carl been available (away), it would have gone to carl (owner)" in page
    assert "EMEA" in page  # the flow's other reasons
    assert "test.write_back" in page
    assert "salesforce: 503 Service Unavailable" in page  # its job, dead, with the error
    assert "c-2" not in page
    one = await console_client.get(f"/console/decisions/{first}")
    assert one.status_code == 200
    assert "the account has an owner" in text_of(one)
    assert (await console_client.get("/console/decisions/999")).status_code == 404
    assert (await console_client.get("/console/decisions/abc")).status_code == 404
    # A bare id finds it too; nothing found is said.
    assert f"Decision {first}" in text_of(await console_client.get("/console/decisions?id=c-1"))
    assert "Nothing is recorded about" in text_of(
        await console_client.get("/console/decisions?kind=lead&id=nobody")
    )


async def test_bad_search_input_is_named_not_a_traceback(
    console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    console_user("olga", "ops")
    await sign_in(console_client, "olga")
    wrong_kind = await console_client.get("/console/decisions?kind=planet&id=1")
    assert wrong_kind.status_code == 400
    assert "kind: expected one of any, visitor, lead" in text_of(wrong_kind)
    not_a_number = await console_client.get("/console/decisions?kind=decision&id=x1")
    assert not_a_number.status_code == 400
    assert "id: a decision id is a number, got 'x1'" in text_of(not_a_number)
    too_long = await console_client.get("/console/decisions?id=" + "a" * 201)
    assert too_long.status_code == 400
    assert "Traceback" not in too_long.text


async def test_a_rep_sees_only_decisions_about_their_own_work(
    store: Store,
    clock: FakeClock,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    mine = routed(store, clock, "c-1", "ana")
    theirs = routed(store, clock, "c-2", "bo")
    console_user("ana", "rep", rep="ana")
    await sign_in(console_client, "ana")
    assert (await console_client.get(f"/console/decisions/{mine}")).status_code == 200
    stolen = await console_client.get(f"/console/decisions/{theirs}")
    assert stolen.status_code == 403
    assert "it is another rep's" in text_of(stolen)
    assert "c-2" not in text_of(stolen)
    search = text_of(await console_client.get("/console/decisions?kind=conversation&id=c-2"))
    assert f"Decision {theirs}" not in search
    assert "1 more about other reps' work are not shown" in search


async def test_q19_a_rep_flags_a_decision_and_ops_see_it_in_the_queue(
    store: Store,
    clock: FakeClock,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    mine = routed(store, clock, "c-1", "ana")
    theirs = routed(store, clock, "c-2", "bo")
    console_user("ana", "rep", rep="ana")
    console_user("olga", "ops")
    csrf = await sign_in(console_client, "ana")
    page = await console_client.get(f"/console/decisions/{mine}")
    assert "Flag for ops review" in page.text
    # Without the CSRF token: refused, nothing stored.
    forged = await console_client.post(
        f"/console/decisions/{mine}/misroute", data={"reason": "wrong team"}
    )
    assert forged.status_code == 403
    assert "security token" in text_of(forged)
    empty = await console_client.post(
        f"/console/decisions/{mine}/misroute", data={"csrf_token": csrf, "reason": " "}
    )
    assert empty.status_code == 400
    assert "reason: say why" in text_of(empty)
    other = await console_client.post(
        f"/console/decisions/{theirs}/misroute", data={"csrf_token": csrf, "reason": "x"}
    )
    assert other.status_code == 403
    flagged = await console_client.post(
        f"/console/decisions/{mine}/misroute",
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        data={"reason": "a French speaker, Ana speaks no French"},
    )
    assert flagged.status_code == 200, flagged.text
    assert f"Decision {mine} flagged as misrouted" in flagged.text
    with store.sessions() as session:
        [flag] = session.scalars(
            select(EventRecord).where(EventRecord.dedupe_key.like("misroute:%"))
        ).all()
    assert flag.payload["rep"] == "ana"
    assert (await console_client.get("/console/misroutes")).status_code == 403  # ops only
    console_client.cookies.clear()
    await sign_in(console_client, "olga")
    queue = text_of(await console_client.get("/console/misroutes"))
    assert "a French speaker, Ana speaks no French" in queue
    assert f"{mine} routing about conversation:c-1" in queue
    assert "owner-first (Q3): the account has an owner" in queue
    # Ops do not flag (the rep role does).
    assert "Flag for ops review" not in text_of(
        await console_client.get(f"/console/decisions/{mine}")
    )
