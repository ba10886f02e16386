"""The accounts flow's console pages over HTTP: account tiers (P2, P3) and cases (P4-P6).

Roles (reps read the tiers; ops act and see cases), CSRF, bad input named by its field,
404s, an override set and cleared through the page and recorded in the Account Rank Notes
History in the signed-in user's name, and a case by hand stored once when its form is sent
twice (P6), as the API's `id` makes it."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import pytest
from accounts_kit import Connectors, config, drain, first_run  # type: ignore[import-not-found]
from console_kit import sign_in  # type: ignore[import-not-found]
from fastapi import FastAPI
from sqlalchemy import func, select

from handoff.accounts.kinds import CASE_REQUEST
from handoff.accounts.store import AccountRankRow, RankHistoryRow
from handoff.console.users import UserInfo
from handoff.server import create_app
from handoff.store import Decision, EventRecord, Store
from handoff_sdk import FakeClock
from handoff_sdk.entities import Account

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""When the rows added by hand were updated."""
REQUEST_ID = re.compile(r'name="request_id" value="([0-9a-f]{32})"')


def text_of(answer: httpx.Response) -> str:
    """The page's main part as text: no tags, unescaped, spaces folded."""
    main = re.sub(r"<[^>]+>", " ", answer.text.split("<main", 1)[-1])
    return re.sub(r"\s+", " ", html.unescape(main))


def request_id(answer: httpx.Response) -> str:
    """The id of the page's (first) form."""
    found = REQUEST_ID.search(answer.text)
    assert found, answer.text
    return found.group(1)


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's app with the playbook's [accounts] and [cases] tables."""
    built = create_app(store, config=config(), clock=clock)
    yield built
    await built.state.intake.aclose()


@pytest.fixture
async def ranked(store: Store, clock: FakeClock) -> None:
    """accounts_kit's first run over three pooled accounts (P2)."""
    await first_run(store, clock)


async def test_p2_the_tiers_list_filters_searches_and_pages_in_sql(
    ranked: None,
    store: Store,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    console_user("olga", "ops")
    await sign_in(console_client, "olga")
    page = text_of(await console_client.get("/console/accounts"))
    assert "Tier 1: 1" in page
    assert "Tier 3: 1" in page
    assert "1-3 of 3 accounts" in page
    assert "none -> Tier 1: 1" in page  # the run's moves between tiers
    only = text_of(await console_client.get("/console/accounts?tier=Tier+3"))
    assert "Bolt Bikes" in only
    assert "Acme Rockets" not in only
    # The filter by htmx: the list alone, no page around it.
    partial = await console_client.get(
        "/console/accounts?tier=Tier+3", headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200
    assert "Bolt Bikes" in partial.text
    assert "<html" not in partial.text
    assert "Last re-rank runs" not in partial.text
    found = text_of(await console_client.get("/console/accounts?q=cobalt"))
    assert "Cobalt Labs" in found
    assert "Bolt Bikes" not in found
    assert "Acme" in text_of(await console_client.get("/console/accounts?q=001A"))
    # A LIKE wildcard is searched as itself.
    assert "No pooled account matches" in text_of(
        await console_client.get("/console/accounts?q=%25")
    )
    # Many accounts: 50 a page, counted in SQL.
    with store.transaction() as session:
        session.add_all(
            AccountRankRow(
                account_id=f"002{n:05d}",
                name=f"Pool {n}",
                crm_tier="Tier 2",
                updated_at=NOW,
            )
            for n in range(120)
        )
    second = text_of(await console_client.get("/console/accounts?tier=Tier+2&page=2"))
    assert "51-100 of 121 accounts holding Tier 2" in second
    assert "Page 2 of 3" in second
    for bad, field in (
        ("tier=Tier+9", "tier: expected one of Tier 1, Tier 3, Tier 2, none"),
        ("page=0", "page: expected a whole number from 1"),
        ("q=" + "x" * 201, "q: expected up to 200 characters"),
    ):
        refused = await console_client.get(f"/console/accounts?{bad}")
        assert refused.status_code == 400, bad
        assert field in text_of(refused), bad


async def test_p3_ops_set_an_override_recorded_in_the_history_with_their_name_then_clear_it(
    ranked: None,
    store: Store,
    clock: FakeClock,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    console_user("olga", "ops")
    csrf = await sign_in(console_client, "olga")
    page = await console_client.get("/console/accounts/001B")
    text = text_of(page)
    assert "Tier 3" in text
    # P2: the ranking criterion by criterion, as `handoff accounts show` words it.
    assert "tier3_both (both): 2 of 2 met, gives Tier 3" in text
    assert "met carr is 500.0, below 1500" in text
    assert "not met lam_dev_count is 10, not at least 103" in text
    form = request_id(page)
    # Without the CSRF token: refused, nothing stored.
    forged = await console_client.post(
        "/console/accounts/001B/override",
        data={"tier": "Tier 1", "why": "big deal", "request_id": form},
    )
    assert forged.status_code == 403
    # Bad input: named.
    for data, problem in (
        ({"tier": "Tier 9", "why": "x"}, "tier: expected one of Tier 1, Tier 3, Tier 2"),
        ({"tier": "Tier 1", "why": " "}, "why: say why"),
        ({"tier": "Tier 1", "why": "x" * 5001}, "why: expected up to 5000 characters"),
    ):
        bad = await console_client.post(
            "/console/accounts/001B/override", data={**data, "request_id": form, "csrf_token": csrf}
        )
        assert bad.status_code == 400, data
        assert problem in text_of(bad)
    no_id = await console_client.post(
        "/console/accounts/001B/override", data={"tier": "Tier 1", "why": "x", "csrf_token": csrf}
    )
    assert no_id.status_code == 400
    assert "request_id:" in text_of(no_id)
    sent = {
        "tier": "Tier 1",
        "why": "expanding to 200 seats",
        "request_id": form,
        "csrf_token": csrf,
    }
    answer = await console_client.post("/console/accounts/001B/override", data=sent)
    assert answer.status_code == 303
    waiting = text_of(await console_client.get(answer.headers["location"]))
    assert "Override stored" in waiting
    assert "Waiting for the worker: set Tier 1 by console:olga: expanding to 200 seats" in waiting
    # The same form sent again: stored once.
    again = await console_client.post("/console/accounts/001B/override", data=sent)
    assert "duplicate=1" in again.headers["location"]
    assert "This form was sent before" in text_of(
        await console_client.get(again.headers["location"])
    )
    await drain(store, clock)
    held = text_of(await console_client.get("/console/accounts/001B"))
    assert "Tier 1, set by console:olga" in held
    assert "It holds until cleared" in held
    with store.sessions() as session:
        rows = list(
            session.scalars(select(RankHistoryRow).where(RankHistoryRow.account_id == "001B"))
        )
    assert [(r.kind, r.actor, r.from_tier, r.to_tier, r.why) for r in rows] == [
        ("auto", "auto", None, "Tier 3", rows[0].why),
        ("manual", "console:olga", "Tier 3", "Tier 1", "expanding to 200 seats"),
    ]
    # Clear it: the auto rank applies again, in the history in olga's name.
    page = await console_client.get("/console/accounts/001B")
    cleared = await console_client.post(
        "/console/accounts/001B/clear",
        data={"why": "deal lost", "request_id": request_id(page), "csrf_token": csrf},
    )
    assert cleared.status_code == 303
    await drain(store, clock)
    after = text_of(await console_client.get("/console/accounts/001B"))
    assert "None: the auto rank applies" in after
    assert "console:olga cleared Tier 1 Tier 3 deal lost; the auto rank applies" in after
    # Nothing to clear now: said.
    page = await console_client.get("/console/accounts/001B")
    nothing = await console_client.post(
        "/console/accounts/001B/clear",
        data={"why": "again", "request_id": request_id(page), "csrf_token": csrf},
    )
    assert nothing.status_code == 409
    assert "Account 001B has no override to clear" in text_of(nothing)


async def test_an_unknown_or_malformed_account_is_a_404_or_a_400(
    ranked: None, console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    console_user("olga", "ops")
    csrf = await sign_in(console_client, "olga")
    missing = await console_client.get("/console/accounts/009Z")
    assert missing.status_code == 404
    assert "No pooled account 009Z" in text_of(missing)
    posted = await console_client.post(
        "/console/accounts/009Z/override",
        data={"tier": "Tier 1", "why": "x", "request_id": "a" * 32, "csrf_token": csrf},
    )
    assert posted.status_code == 404
    malformed = await console_client.get("/console/accounts/00%20B")
    assert malformed.status_code == 400
    assert "account_id: expected 1-100 letters and digits" in text_of(malformed)
    for path in ("/console/cases/999", "/console/cases/1"):  # none, and a rank decision
        assert (await console_client.get(path)).status_code == 404, path
    bad = await console_client.get("/console/cases/abc")
    assert bad.status_code == 400
    assert "decision_id: expected the number" in text_of(bad)


async def test_a_rep_reads_the_tiers_but_sets_no_override_and_sees_no_case(
    ranked: None, console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    console_user("ana", "rep", rep="ana")
    csrf = await sign_in(console_client, "ana")
    home = text_of(await console_client.get("/console"))
    assert "Account tiers" in home
    assert "Cases" not in home
    page = await console_client.get("/console/accounts/001A")
    assert page.status_code == 200
    assert "Set override" not in page.text
    refused = await console_client.post(
        "/console/accounts/001A/override",
        data={"tier": "Tier 2", "why": "x", "request_id": "a" * 32, "csrf_token": csrf},
    )
    assert refused.status_code == 403
    for path in ("/console/cases", "/console/cases/1"):
        answer = await console_client.get(path)
        assert answer.status_code == 403, path
        assert "This page is for the admin or ops role" in text_of(answer)
    posted = await console_client.post("/console/cases", data={"csrf_token": csrf})
    assert posted.status_code == 403


async def test_every_accounts_route_needs_a_session_and_csrf(
    ranked: None, console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    for path in (
        "/console/accounts",
        "/console/accounts/001A",
        "/console/cases",
        "/console/cases/1",
    ):
        answer = await console_client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/console/sign-in?next="), path
    console_user("root", "admin")
    await sign_in(console_client, "root")
    for path in (
        "/console/accounts/001A/override",
        "/console/accounts/001A/clear",
        "/console/cases",
    ):
        refused = await console_client.post(path, data={"tier": "Tier 1", "why": "x"})
        assert refused.status_code == 403, path
        assert "Form refused" in refused.text, path


async def test_p6_a_case_by_hand_is_validated_as_the_api_and_stored_once_when_sent_twice(
    ranked: None,
    store: Store,
    clock: FakeClock,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    console_user("olga", "ops")
    csrf = await sign_in(console_client, "olga")
    page = await console_client.get("/console/cases")
    assert "No case yet" in text_of(page)
    form = request_id(page)
    # The API's validation, each problem naming its field; what was typed is kept.
    invalid = await console_client.post(
        "/console/cases",
        data={"email": "not-an-email", "subject_line": "", "request_id": form, "csrf_token": csrf},
    )
    assert invalid.status_code == 400
    text = text_of(invalid)
    assert "The case was not opened" in text
    assert "email: String should match pattern" in text
    assert "subject_line: Field required" in text
    assert 'value="not-an-email"' in invalid.text
    assert 'aria-invalid="true"' in invalid.text
    nobody = await console_client.post(
        "/console/cases", data={"subject_line": "Asked", "request_id": form, "csrf_token": csrf}
    )
    assert nobody.status_code == 400
    assert "email: give the customer's email or the CRM account_id" in text_of(nobody)
    sent = {
        "account_id": "001C",
        "subject_line": "Asked for a quote on a call",
        "description": "Wants 40 seats",
        "source": "Phone",
        "request_id": form,
        "csrf_token": csrf,
    }
    first = await console_client.post("/console/cases", data=sent)
    assert first.status_code == 303
    assert "duplicate=0" in first.headers["location"]
    stored = text_of(await console_client.get(first.headers["location"]))
    assert "Case request stored" in stored
    assert "Case by hand: Asked for a quote on a call (001C, by console:olga" in stored
    second = await console_client.post("/console/cases", data=sent)
    assert "duplicate=1" in second.headers["location"]
    assert "already received" in text_of(await console_client.get(second.headers["location"]))
    with store.sessions() as session:
        events = list(session.scalars(select(EventRecord).where(EventRecord.type == CASE_REQUEST)))
    assert len(events) == 1
    assert events[0].payload["requested_by"] == "console:olga"
    # The worker opens it once, for the Pooled AE team.
    cobalt = Account(ids={"salesforce": "001C"}, name="Cobalt Labs", owner_id="005POOL")
    connectors = Connectors({"001C": cobalt})
    await drain(store, clock, connectors)
    await drain(store, clock, connectors)
    with store.sessions() as session:
        decided = session.scalar(
            select(func.count()).select_from(Decision).where(Decision.subject_type == "case")
        )
    assert decided == 1
    assert [hook for _c, hook, _a in connectors.calls] == ["handoff_create_case"]
    listed = await console_client.get("/console/cases")
    row = re.search(r'<tr id="case-(\d+)">(.*?)</tr>', listed.text, re.S)
    assert row, listed.text
    cells = html.unescape(re.sub(r"<[^>]+>", " ", row.group(2)))
    for part in ("Phone", "Hand raise recorded by console:olga", "001C", "opened"):
        assert part in cells, part
    case = text_of(await console_client.get(f"/console/cases/{row.group(1)}"))
    assert "Asked for a quote on a call" in case
    assert "salesforce.handoff_create_case" in case
    assert "done" in case
    assert "Wants 40 seats" in case
