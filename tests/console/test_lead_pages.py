"""The Leads pages over HTTP: the list and one lead's timeline, matching what the flow stored.

Rules the pages show: D2 (a lead's owner: a rep sees the leads they own, no other), D3
(Soft-BANT), D4 (the score's breakdown and the MQL threshold), D5 (the status history, each
change with when, who, why and the decision that made it).
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
from leads_kit import leads_config, seed_leads  # type: ignore[import-not-found]

from handoff.console.users import UserInfo
from handoff.leads.kinds import ASSIGNMENT_DECISION
from handoff.leads.records import get_lead, lead_json, transitions_of
from handoff.runtime.explain import explain_ref
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import FakeClock

KIM = "kim@acme.example"


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub with the sample [leads] table and its three sample leads (leads_kit)."""
    await seed_leads(store, clock)
    built = create_app(store, config=leads_config(), clock=clock)
    yield built
    await built.state.intake.aclose()


def text_of(answer: httpx.Response) -> str:
    """The page's main part as text: no tags, unescaped, spaces squeezed."""
    main = re.sub(r"<[^>]+>", " ", answer.text.split("<main", 1)[-1])
    return re.sub(r"\s+", " ", html.unescape(main))


def stored(store: Store, email: str) -> dict[str, Any]:
    """The lead as the flow stored it (what GET /v1/leads/{email} answers)."""
    with store.sessions() as session:
        row = get_lead(session, email, lock=False)
        assert row is not None
        return lead_json(row, transitions_of(session, email))


def rows_of(answer: httpx.Response, table: str) -> list[str]:
    """Each body row of a table, as text."""
    body = answer.text.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    body = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).strip()
        for row in body.split("</tr>")[:-1]
    ]


async def signed_in(
    client: httpx.AsyncClient, add: Callable[..., UserInfo], name: str, role: str, rep: str = ""
) -> None:
    add(name, role, rep=rep or None)
    await sign_in(client, name)


async def test_ops_list_every_lead_and_search_by_text_status_and_owner(
    store: Store, console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    await signed_in(console_client, console_user, "olga", "ops")
    every = await console_client.get("/console/leads")
    assert every.status_code == 200, every.text
    rows = rows_of(every, "leads")
    assert len(rows) == 3
    assert "3 leads" in text_of(every)
    for email in ("kim@acme.example", "lou@globex.example", "mia@initech.example"):
        lead = stored(store, email)
        row = next(r for r in rows if r.startswith(email))
        first, last = lead["person"]["first_name"], lead["person"]["last_name"]
        since = lead["status_since"][:16].replace("T", " ")
        mql = lead["mql_at"][:16].replace("T", " ") if lead["mql_at"] else "not yet"
        assert row == (
            f"{email} {first} {last} {lead['person']['company']} {lead['status']} since {since} "
            f"{lead['owner']['name']} {lead['score']} of 20 {mql}"
        )
    # Most recently changed first: kim was qualified last.
    assert rows[0].startswith(KIM)
    by_text = rows_of(await console_client.get("/console/leads?q=GLOBEX"), "leads")
    assert [r.split()[0] for r in by_text] == ["lou@globex.example"]
    by_status = rows_of(await console_client.get("/console/leads?status=Qualified"), "leads")
    assert [r.split()[0] for r in by_status] == [KIM]
    by_owner = await console_client.get("/console/leads?owner=bo")
    assert [r.split()[0] for r in rows_of(by_owner, "leads")] == ["lou@globex.example"]
    assert "1 lead owned by bo" in text_of(by_owner)
    nothing = await console_client.get("/console/leads?q=nobody%25")
    assert "0 leads" in text_of(nothing)
    assert "No lead matches." in text_of(nothing)


async def test_bad_search_parameters_are_named_not_a_traceback(
    console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    await signed_in(console_client, console_user, "olga", "ops")
    status = await console_client.get("/console/leads?status=Planet")
    assert status.status_code == 400
    assert "status: expected one of Raw, Open, Attempt 1" in text_of(status)
    assert "got 'Planet'" in text_of(status)
    long = await console_client.get("/console/leads", params={"q": "x" * 201})
    assert long.status_code == 400
    assert "q: expected up to 200 printable characters" in text_of(long)
    control = await console_client.get("/console/leads", params={"q": "kim\x07"})
    assert control.status_code == 400
    owner = await console_client.get("/console/leads?owner=zed")
    assert owner.status_code == 400
    assert "owner: no rep 'zed' in [[leads.assignment.reps]]" in text_of(owner)


async def test_d5_d4_d3_one_lead_shows_its_history_score_and_bant_as_stored(
    store: Store, console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    await signed_in(console_client, console_user, "olga", "ops")
    page = await console_client.get(f"/console/leads/{KIM}")
    assert page.status_code == 200, page.text
    lead = stored(store, KIM)
    text = text_of(page)
    assert "Status Qualified since " + lead["status_since"][:19].replace("T", " ") in text
    assert "Owner Ana Ruiz (rep ana) , team bdr-emea [D2]" in text
    # D5: every change, newest first, with when, from, to, who, why, rules and its decision.
    history = rows_of(page, "history")
    assert history == [
        " ".join(
            [
                t["at"][:19].replace("T", " "),
                t["from"] or "(new)",
                t["to"],
                t["actor"],
                t["reason"],
                ", ".join(t["rule_ids"]),
                f"decision {t['decision_id']}",
            ]
        )
        for t in reversed(lead["history"])
    ]
    assert [t["to"] for t in lead["history"]] == [
        "Raw",
        "Open",
        "Attempt 1",
        "Progressing",
        "Qualified",
    ]
    for t in lead["history"]:
        assert f'href="/console/decisions/{t["decision_id"]}"' in page.text
    # D4: each part of the stored breakdown, the total and the threshold.
    assert rows_of(page, "score") == [
        "page_view 3 3 events, +1 each, cap 5; last 2026-01-05 09:50:00 UTC",
        "webinar 8 1 event, +8 each; last 2026-01-05 10:00:00 UTC",
        "senior-title +10 lead.title is 'VP Engineering', containing 'VP'",
        "Demographic, in all 10 1 rule matched",
    ]
    assert lead["score"] == 21
    assert "Score 21 ; MQL at 20 (once)." in text
    assert "Total 21 MQL threshold 20" in text
    mql = next(d for d in explain(store) if d["kind"] == "leads.mql")
    assert f"MQL {lead['mql_at'][:19].replace('T', ' ')} UTC ( decision {mql['id']} )" in text
    # D3: each criterion as recorded.
    assert "Budget: met Authority: unknown Need: met Timeline: not met" in text
    assert "2 of 4 met; 2 qualify." in text
    # Every decision about the lead, newest first, linking to its explanation.
    for d in explain(store):
        assert f'href="/console/decisions/{d["id"]}">Decision {d["id"]}</a>' in page.text
    assert (
        page.text.count('href="/console/decisions/')
        == len(explain(store)) + len(lead["history"]) + 1
    )  # the MQL's link


def explain(store: Store) -> list[dict[str, Any]]:
    with store.sessions() as session:
        found: list[dict[str, Any]] = explain_ref(session, f"lead:{KIM}")["decisions"]
        return found


async def test_unknown_lead_is_a_404(
    console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    await signed_in(console_client, console_user, "olga", "ops")
    missing = await console_client.get("/console/leads/nobody@nowhere.example")
    assert missing.status_code == 404
    assert "No lead nobody@nowhere.example" in text_of(missing)
    assert (await console_client.get("/console/leads/" + "x" * 400)).status_code == 404


async def test_d2_a_rep_sees_only_the_leads_they_own(
    store: Store, console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    for path in ("/console/leads", f"/console/leads/{KIM}"):
        unsigned = await console_client.get(path)
        assert unsigned.status_code == 303, path  # no session: to the sign-in form and back
        assert unsigned.headers["location"].startswith("/console/sign-in?next=")
    await signed_in(console_client, console_user, "ana", "rep", rep="ana")
    listed = await console_client.get("/console/leads")
    assert sorted(r.split()[0] for r in rows_of(listed, "leads")) == [
        KIM,
        "mia@initech.example",
    ]
    assert 'id="owner"' not in listed.text  # no owner to choose: her own only
    assert (await console_client.get("/console/leads?owner=ana")).status_code == 200
    other = await console_client.get("/console/leads?owner=bo")
    assert other.status_code == 403
    theirs = await console_client.get("/console/leads/lou@globex.example")
    assert theirs.status_code == 403
    assert "Lead lou@globex.example is not yours (rep 'ana')" in text_of(theirs)
    assert "Globex" not in theirs.text
    own = await console_client.get(f"/console/leads/{KIM.upper()}")  # an email in any case
    assert own.status_code == 200
    # Her lead's decisions open for her, the assignment that gave it to her among them.
    assigned = next(d for d in explain(store) if d["kind"] == ASSIGNMENT_DECISION)
    assert f'href="/console/decisions/{assigned["id"]}"' in own.text
    assert (await console_client.get(f"/console/decisions/{assigned['id']}")).status_code == 200


async def test_d2_another_rep_cannot_open_the_decisions_of_a_lead_not_theirs(
    store: Store, console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    await signed_in(console_client, console_user, "bo", "rep", rep="bo")
    assigned = next(d for d in explain(store) if d["kind"] == ASSIGNMENT_DECISION)
    assert (await console_client.get(f"/console/decisions/{assigned['id']}")).status_code == 403
    assert (await console_client.get(f"/console/leads/{KIM}")).status_code == 403


async def test_without_leads_the_pages_are_not_served(
    store: Store,
    clock: FakeClock,
    console_user: Callable[..., UserInfo],
) -> None:
    plain = create_app(store, clock=clock)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=plain), base_url="http://hub.test"
        ) as client:
            await signed_in(client, console_user, "olga", "ops")
            assert (await client.get("/console/leads")).status_code == 404
            assert 'href="/console/leads"' not in (await client.get("/console")).text
    finally:
        await plain.state.intake.aclose()
