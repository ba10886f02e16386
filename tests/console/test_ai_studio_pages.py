"""AI Studio's console pages over HTTP (Q7): Content, Scorecard and Inbox, for ops.

Sources added and re-indexed, documents paged; Scorecard entries added,
edited and removed, each refused field named; an Inbox group promoted in one
step, after which a new conversation (through the public conversation API)
is answered from the Scorecard. Every change is audited as `console:<name>`;
reps are refused; nothing changes without the CSRF token.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_kit import sign_in  # type: ignore[import-not-found]
from fastapi import FastAPI
from keyed import key_headers  # type: ignore[import-not-found]
from sqlalchemy import select
from test_every_page import console_routes  # type: ignore[import-not-found]

from handoff.ai.studio.demo import DEMO_SITE
from handoff.config import HubConfig, load_config
from handoff.console.users import UserInfo
from handoff.server import create_app
from handoff.store import Audit, Store
from handoff_sdk import FakeClock

STARTUP = "Do you offer a startup program?"
STARTUP_ANSWER = "Yes: startups under two years old get the Ultimate plan free for a year."


def studio_toml(folder: Path) -> str:
    """handoff.toml with the AI flow: the demo site as a source, an AI-first experience."""
    return f"""
[ai]
company = "Example"
support_url = "https://support.example.test/"

[[ai.content.sources]]
name = "demo"
folder = "{DEMO_SITE.as_posix()}"
base_url = "https://www.example.test/"

[[experiences]]
id = "site"
name = "Site"
twin = "site-ai"

[[experiences]]
id = "site-ai"
name = "Site - AI"
mode = "ai_first"
twin = "site"
"""


@pytest.fixture
def studio_config(tmp_path: Path) -> HubConfig:
    """The config, and a folder 'extra' beside it with one page (a source to add)."""
    (tmp_path / "extra").mkdir()
    shutil.copy(DEMO_SITE / "security.html", tmp_path / "extra" / "security.html")
    path = tmp_path / "handoff.toml"
    path.write_text(studio_toml(tmp_path))
    return load_config(path)


@pytest.fixture
async def app(store: Store, clock: FakeClock, studio_config: HubConfig) -> AsyncIterator[FastAPI]:
    """The hub's app with the AI flow on."""
    built = create_app(store, config=studio_config, clock=clock)
    yield built
    await built.state.intake.aclose()


def text_of(answer: httpx.Response) -> str:
    """The page's main part as text: no tags, unescaped."""
    return " ".join(
        html.unescape(re.sub(r"<[^>]+>", " ", answer.text.split("<main", 1)[-1])).split()
    )


def row(answer: httpx.Response, row_id: str) -> str:
    """The text of the table row `row_id` (its cells, without the source's location)."""
    found = re.search(rf'<tr id="{re.escape(row_id)}">(.*?)</tr>', answer.text, re.S)
    assert found, answer.text
    cells = re.sub(r"<small.*?</small>", "", found.group(1), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cells)).split())


def audited(store: Store, prefix: str) -> list[tuple[str, str, str | None]]:
    """(actor, action, subject id) of the audit lines whose action starts with `prefix`."""
    with store.sessions() as session:
        return [
            (a.actor, a.action, a.subject_id)
            for a in session.scalars(
                select(Audit).where(Audit.action.like(f"{prefix}%")).order_by(Audit.id)
            )
        ]


async def start_and_ask(api: httpx.AsyncClient, cid: str, question: str) -> dict[str, Any]:
    """A visitor opens "I have a question" and asks; the conversation API's answer."""
    opened = await api.post(
        "/v1/ai/conversations",
        json={"id": cid, "experience_id": "site-ai", "entry": "question", "visitor_id": cid},
    )
    assert opened.status_code == 201, opened.text
    said = await api.post(f"/v1/ai/conversations/{cid}/messages", json={"text": question})
    assert said.status_code == 200, said.text
    answer: dict[str, Any] = said.json()
    return answer


async def test_q7_ops_add_a_source_and_reindex_from_the_content_page(
    store: Store, console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    console_user("olga", "ops")
    csrf = await sign_in(console_client, "olga")
    answer = await console_client.get("/console/ai/content")
    assert row(answer, "source-demo") == "demo folder handoff.toml 0 0 never Re-index"
    assert "No document indexed yet" in text_of(answer)

    forged = await console_client.post("/console/ai/content/index", data={"source": "demo"})
    assert forged.status_code == 403
    indexed = await console_client.post(
        "/console/ai/content/index", data={"source": "demo", "csrf_token": csrf}
    )
    assert indexed.status_code == 303
    answer = await console_client.get(indexed.headers["location"])
    page = text_of(answer)
    assert "Indexed demo" in page
    assert row(answer, "source-demo").startswith("demo folder handoff.toml 8 21 2026-")
    assert "1 to 8 of 8 documents" in page
    assert "console:olga indexed demo: 8 added, 0 changed, 0 unchanged, 0 removed" in page

    for fields, field, said in (
        ({"name": "Extra!", "location": "extra"}, "name", "should match pattern"),
        ({"name": "extra", "location": "../outside"}, "folder", "without '..'"),
        ({"name": "extra", "location": "/etc"}, "folder", "relative to handoff.toml"),
        ({"name": "www", "kind": "sitemap", "location": "ftp://x.test/s.xml"}, "sitemap", "http"),
        ({"name": "extra", "location": ""}, "location", "expected the folder's path"),
        ({"name": "extra", "location": "extra", "max_pages": "many"}, "max_pages", "whole"),
        ({"name": "demo", "location": "extra"}, "name", "exists already"),
    ):
        refused = await console_client.post(
            "/console/ai/content/sources",
            data={"kind": "folder", **fields, "csrf_token": csrf},
        )
        assert refused.status_code == 400, fields
        problem = text_of(refused)
        assert f"The source was not added. {field}: " in problem, (fields, problem)
        assert said in problem, (fields, problem)
        assert f'id="{field if field in ("name", "max_pages") else "location"}-error"' in (
            refused.text
        ) or field in ("folder", "sitemap"), fields

    added = await console_client.post(
        "/console/ai/content/sources",
        data={"name": "extra", "kind": "folder", "location": "extra", "csrf_token": csrf},
    )
    assert added.status_code == 303
    answer = await console_client.get(added.headers["location"])
    assert "Source extra added" in text_of(answer)
    assert row(answer, "source-extra") == "extra folder console 0 0 never Re-index"
    await console_client.post(
        "/console/ai/content/index", data={"source": "extra", "csrf_token": csrf}
    )
    answer = await console_client.get("/console/ai/content?source=extra")
    extra = text_of(answer)
    assert row(answer, "source-extra").startswith("extra folder console 1 ")
    assert "Indexed documents of extra" in extra
    assert "1 to 1 of 1 document" in extra
    # Re-index everything: both sources, nothing changed.
    await console_client.post("/console/ai/content/index", data={"csrf_token": csrf})
    assert audited(store, "ai.content.") == [
        ("console:olga", "ai.content.index", "demo"),
        ("console:olga", "ai.content.source_add", "extra"),
        ("console:olga", "ai.content.index", "extra"),
        ("console:olga", "ai.content.index", "demo"),
        ("console:olga", "ai.content.index", "extra"),
    ]
    for bad in ("0", "x"):
        paged = await console_client.get(f"/console/ai/content?page={bad}")
        assert paged.status_code == 400
        assert "page: expected a page number" in text_of(paged)
    unknown = await console_client.get("/console/ai/content?source=nope")
    assert unknown.status_code == 400
    assert "source: no content source 'nope'" in text_of(unknown)
    missing = await console_client.post(
        "/console/ai/content/index", data={"source": "nope", "csrf_token": csrf}
    )
    assert missing.status_code == 404


async def test_q7_ops_add_edit_and_remove_scorecard_entries_each_refused_field_named(
    store: Store, console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    console_user("olga", "ops")
    csrf = await sign_in(console_client, "olga")
    assert "The Scorecard is empty" in text_of(await console_client.get("/console/ai/scorecard"))
    entry = {"question": "Is there an on-premises version?", "answer": "Yes: self-managed."}
    forged = await console_client.post("/console/ai/scorecard", data=entry)
    assert forged.status_code == 403
    added = await console_client.post("/console/ai/scorecard", data={**entry, "csrf_token": csrf})
    assert added.status_code == 303
    page = text_of(await console_client.get(added.headers["location"]))
    assert "Scorecard entry 1 added." in page
    assert (
        "Is there an on-premises version? (entry 1) Yes: self-managed. dictated console:olga"
        in (page)
    )

    for fields, field, status in (
        ({"question": "What is it?"}, "question", 400),
        ({"answer": "   "}, "answer", 400),
        ({"answer": "x" * 4001}, "answer", 400),
        ({"kind": "guessed"}, "kind", 400),
        ({"link": "ftp://files.example.test/"}, "link", 400),
        ({"question": "on-premises version there?"}, "question", 409),
    ):
        refused = await console_client.post(
            "/console/ai/scorecard",
            data={**entry, "question": "Do you support SAML?", **fields, "csrf_token": csrf},
        )
        assert refused.status_code == status, fields
        assert f"Not added: {field}: " in text_of(refused), fields
        assert f'id="new-{field}-error"' in refused.text, fields
        assert 'aria-invalid="true"' in refused.text
    assert "entry 1" in text_of(refused)  # the conflict names the entry that answers it

    form = await console_client.get("/console/ai/scorecard/1")
    assert "Scorecard entry 1" in text_of(form)
    assert "Yes: self-managed.</textarea>" in form.text
    edited = {**entry, "answer": "Yes: self-managed, on your own servers.", "kind": "edited"}
    saved = await console_client.post(
        "/console/ai/scorecard/1", data={**edited, "csrf_token": csrf}
    )
    assert saved.status_code == 303
    page = text_of(await console_client.get(saved.headers["location"]))
    assert "Scorecard entry 1 saved." in page
    assert "Yes: self-managed, on your own servers. edited" in page
    bad = await console_client.post(
        "/console/ai/scorecard/1", data={**edited, "link": "nowhere", "csrf_token": csrf}
    )
    assert bad.status_code == 400
    assert "Not saved: link: expected an http(s) URL or a site path" in text_of(bad)
    assert 'id="entry-link-error"' in bad.text
    assert (await console_client.get("/console/ai/scorecard/99")).status_code == 404

    removed = await console_client.post("/console/ai/scorecard/1/remove", data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert "Scorecard entry 1 removed." in text_of(
        await console_client.get(removed.headers["location"])
    )
    again = await console_client.post("/console/ai/scorecard/1/remove", data={"csrf_token": csrf})
    assert again.status_code == 404
    assert audited(store, "ai.scorecard.") == [
        ("console:olga", "ai.scorecard.add", "1"),
        ("console:olga", "ai.scorecard.edit", "1"),
        ("console:olga", "ai.scorecard.remove", "1"),
    ]


async def test_q7_promote_an_inbox_group_and_the_next_conversation_answers_from_the_scorecard(
    app: FastAPI,
    store: Store,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    """Q7 end to end: visitors' questions grouped in the Inbox; ops promote the group with an
    approved answer in one step on the console; the next visitor asking it, through the public
    conversation API, gets the Scorecard's answer."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=key_headers(store, "ingest")
    ) as api:
        before = await start_and_ask(api, "c-1", STARTUP)
        await start_and_ask(api, "c-2", "Is there a program for startups?")
        await start_and_ask(api, "c-3", "Can I install it on my own servers?")
    assert STARTUP_ANSWER not in (before["reply"] or "")

    console_user("olga", "ops")
    csrf = await sign_in(console_client, "olga")
    inbox = await console_client.get("/console/ai/inbox")
    page = text_of(inbox)
    assert f"{STARTUP} asked 2 times" in page
    assert "Asked as: Is there a program for startups? Do you offer a startup program?" in page
    group = re.search(r'id="group-(\d+)-title">Do you offer', inbox.text)
    assert group
    gid = group.group(1)
    # The built-in responder had no answer ("shall I connect you"): nothing to accept as is.
    assert (
        f'name="answer" rows="4" maxlength="4000" required aria-describedby="group-{gid}-answer-hint"></textarea>'
        in inbox.text
    )
    assert "The AI rep had no answer from the content: write one." in page

    forged = await console_client.post(
        f"/console/ai/inbox/{gid}/promote", data={"answer": STARTUP_ANSWER}
    )
    assert forged.status_code == 403
    blank = await console_client.post(
        f"/console/ai/inbox/{gid}/promote", data={"answer": " ", "csrf_token": csrf}
    )
    assert blank.status_code == 400
    assert f"Group {gid} was not promoted: answer: " in text_of(blank)
    assert f'id="group-{gid}-answer-error"' in blank.text
    promoted = await console_client.post(
        f"/console/ai/inbox/{gid}/promote",
        data={"question": STARTUP, "answer": STARTUP_ANSWER, "link": "", "csrf_token": csrf},
    )
    assert promoted.status_code == 303
    page = text_of(await console_client.get(promoted.headers["location"]))
    assert f"Group {gid} promoted: Scorecard entry 1 answers its question from now." in page
    assert STARTUP not in page  # it left the Inbox
    assert "Can I install it on my own servers? asked 1 time" in page
    scorecard = text_of(await console_client.get("/console/ai/scorecard"))
    assert f"{STARTUP} (entry 1) {STARTUP_ANSWER} dictated console:olga" in scorecard
    assert f"console:olga promoted from the Inbox entry 1: {STARTUP}" in scorecard
    twice = await console_client.post(
        f"/console/ai/inbox/{gid}/promote", data={"answer": STARTUP_ANSWER, "csrf_token": csrf}
    )
    assert twice.status_code == 409
    assert "already on the Scorecard (entry 1)" in text_of(twice)
    assert (
        await console_client.post(
            "/console/ai/inbox/999/promote", data={"answer": "x", "csrf_token": csrf}
        )
    ).status_code == 404

    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=key_headers(store, "ingest")
    ) as api:
        after = await start_and_ask(api, "c-4", "Any startup programs on offer?")
    assert after["reply"] == STARTUP_ANSWER
    assert audited(store, "ai.inbox.") == [("console:olga", "ai.inbox.promote", "1")]


async def test_q7_the_drafted_answer_sent_unchanged_is_accepted_as_is(
    app: FastAPI,
    store: Store,
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=key_headers(store, "ops")
    ) as api:
        await api.post("/v1/ai/content/index", json={"source": "demo"})
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test", headers=key_headers(store, "ingest")
    ) as api:
        drafted = (await start_and_ask(api, "c-1", "Do you integrate with Jira?"))["reply"]
    assert "Jira" in drafted
    console_user("olga", "ops")
    csrf = await sign_in(console_client, "olga")
    inbox = await console_client.get("/console/ai/inbox")
    gid = re.search(r'id="group-(\d+)-title"', inbox.text).group(1)  # type: ignore[union-attr]
    assert drafted in html.unescape(inbox.text)  # the draft, ready to approve
    promoted = await console_client.post(
        f"/console/ai/inbox/{gid}/promote",
        data={"question": "Do you integrate with Jira?", "answer": drafted, "csrf_token": csrf},
    )
    assert promoted.status_code == 303
    assert "accepted console:olga" in text_of(await console_client.get("/console/ai/scorecard"))


async def test_q7_studio_pages_are_for_ops_and_need_csrf(
    app: FastAPI, console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    routes = [r for r in console_routes(app) if r[1].startswith("/console/ai/")]
    assert len(routes) == 10, routes
    for method, path in routes:  # no session
        answer = await console_client.request(method, path)
        assert answer.status_code in ((303,) if method == "GET" else (401, 403)), (method, path)
    console_user("ana", "rep", rep="ana")
    csrf = await sign_in(console_client, "ana")
    home = text_of(await console_client.get("/console"))
    assert "Scorecard" not in home
    for method, path in routes:
        concrete = path.replace("/x", "/1")
        answer = await console_client.request(method, concrete, data={"csrf_token": csrf})
        assert answer.status_code == 403, (method, concrete)
        assert "for the admin or ops role" in text_of(answer), (method, concrete)


async def test_without_the_ai_flow_there_are_no_studio_pages(
    store: Store, clock: FakeClock, console_user: Callable[..., UserInfo]
) -> None:
    built = create_app(store, config=HubConfig(), clock=clock)
    try:
        assert not [r for r in console_routes(built) if r[1].startswith("/console/ai/")]
    finally:
        await built.state.intake.aclose()
