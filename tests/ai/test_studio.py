"""AI Studio (Q7): the content index, the Scorecard, the Inbox and the built-in responder.

Each test that touches the store runs on SQLite (FTS5) and on PostgreSQL
(tsvector and GIN): `db` is both.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import select, text

from handoff.ai.builtin_responder import UNKNOWN, BuiltinResponder, quote_passage
from handoff.ai.config import AiConfig
from handoff.ai.guard import check_reply
from handoff.ai.responder import Draft, Passage, ReplyRequest, Turn
from handoff.ai.studio.config import ContentSource
from handoff.ai.studio.content import ContentError, index_source, passages
from handoff.ai.studio.demo import DEMO_BASE_URL, DEMO_QUESTIONS, DEMO_UNANSWERED, demo_source
from handoff.ai.studio.inbox import (
    InboxError,
    list_groups,
    promote_group,
    record_visitor_question,
)
from handoff.ai.studio.pages import PASSAGE_CHARS, parse_html, parse_markdown
from handoff.ai.studio.scorecard import (
    ScorecardConflictError,
    ScorecardError,
    add_entry,
    list_entries,
    match_question,
    remove_entry,
)
from handoff.ai.studio.tables import PassageRow
from handoff.ai.studio.text import jaccard, question_key, size_bounds, stems
from handoff.store import Store
from handoff_sdk import FakeClock

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Store:
    """The test's store: SQLite, then PostgreSQL."""
    store: Store = request.getfixturevalue("store" if request.param == "sqlite" else "pg_store")
    return store


def demo_table() -> AiConfig:
    """The rules of engagement the demo company would run with."""
    return AiConfig(
        company="Example",
        support_url="https://support.example.test/",
        forbidden_urls=["https://www.example.test/demo", "https://www.example.test/contact-us"],
        competitors=["Globex", "Initech"],
    )


# -- the match rule (pure) ---------------------------------------------------------------------


def test_q7_questions_compare_by_stems_whatever_the_case_order_and_punctuation() -> None:
    assert stems("What are your PRICES?") == stems("pricing, your price") == {"price"}
    assert question_key("Does Acme support SSO?") == question_key("sso support: acme")
    assert stems("What is it?") == frozenset()  # only words that carry no meaning alone
    assert stems("Café") == stems("cafe")


@pytest.mark.parametrize(
    ("left", "right", "similar"),
    [
        ("Acme cost seat", "Acme cost seat", 1.0),
        ("Acme cost seat", "Acme cost seat monthly", 0.75),  # 3 of 4: the boundary, a match
        ("Acme cost seat", "Acme cost", 2 / 3),  # 2 of 3: below
        ("Acme cost", "How much does Acme cost?", 2 / 3),
        ("", "Acme", 0.0),
    ],
)
def test_q7_the_match_rule_is_jaccard_of_stems(left: str, right: str, similar: float) -> None:
    assert jaccard(stems(left), stems(right)) == pytest.approx(similar)


def test_q7_size_bounds_hold_every_set_that_can_reach_the_threshold() -> None:
    for size in range(1, 30):
        low, high = size_bounds(size, 0.75)
        for other in range(1, 60):
            reachable = min(size, other) / max(size, other) >= 0.75
            assert (low <= other <= high) == reachable, (size, other)


# -- pages (pure) -------------------------------------------------------------------------------


def test_q7_html_pages_drop_what_is_not_content_and_link_headings_with_ids() -> None:
    page = parse_html(
        "<html><head><title>Security</title><script>var x = 'secret';</script></head><body>"
        "<nav>Home Pricing</nav><h2 id='sso'>Single sign-on</h2><p>SAML and OIDC.</p>"
        "<ul><li>SCIM <b>provisioning</b></li></ul><h2>Audit</h2><p>Every change.</p>"
        "<footer>Copyright</footer></body></html>"
    )
    assert page.title == "Security"
    assert [(p.title, p.anchor, p.text) for p in page.passages] == [
        ("Security — Single sign-on", "sso", "SAML and OIDC. SCIM provisioning"),
        ("Security — Audit", None, "Every change."),
    ]


def test_q7_markdown_pages_split_at_headings_and_long_sections_at_sentences() -> None:
    long = " ".join(f"Sentence number {i} says something." for i in range(80))
    page = parse_markdown(f"---\ntitle: x\n---\n# Guide\n\nIntro.\n\n## Setup\n\n{long}\n")
    assert page.title == "Guide"
    assert page.passages[0].text == "Intro."
    setup = [p for p in page.passages if p.title == "Guide — Setup"]
    assert len(setup) > 1
    assert all(len(p.text) <= PASSAGE_CHARS for p in setup)
    assert all(p.text.endswith(".") for p in setup)  # cut between sentences
    assert " ".join(p.text for p in setup) == long


def test_q7_a_page_without_markup_or_title_is_named_by_its_fallback() -> None:
    assert parse_html("", fallback_title="faq").title == "faq"
    assert parse_markdown("Just text.", fallback_title="faq").title == "faq"


# -- the content index -------------------------------------------------------------------------


def site(tmp_path: Path) -> tuple[ContentSource, Path]:
    folder = tmp_path / "site"
    (folder / "guide").mkdir(parents=True)
    (folder / "index.md").write_text("# Acme\n\nAcme routes website chats to the right rep.\n")
    (folder / "guide" / "sso.md").write_text(
        "# Single sign-on\n\nAcme supports SAML single sign-on with Okta and Entra ID.\n"
    )
    (folder / "pricing.html").write_text(
        "<title>Pricing</title><h1>Pricing</h1><p>Team costs $19 per seat per month.</p>"
    )
    (folder / "notes.txt").write_text("not indexed: not Markdown nor HTML")
    source = ContentSource(name="www", folder=str(folder), base_url="https://acme.example/")
    return source, folder


async def test_q7_a_folder_is_indexed_and_searched_ranked(db: Store, tmp_path: Path) -> None:
    source, _ = site(tmp_path)
    report = await index_source(db, source, now=NOW)
    assert report.as_json() | {"failed": []} == {
        "source": "www",
        "added": 3,
        "changed": 0,
        "unchanged": 0,
        "removed": 0,
        "passages": 3,
        "skipped": 0,
        "failed": [],
    }
    with db.sessions() as session:
        found = passages(session, "Do you support SAML single sign-on?")
        assert found[0].source == "https://acme.example/guide/sso"
        assert found[0].title == "Single sign-on"
        assert "SAML" in found[0].text
        assert found[0].score > 0
        assert passages(session, "what is the price per seat")[0].source == (
            "https://acme.example/pricing"
        )
        assert passages(session, "the of and") == []  # no word to look for
        assert passages(session, "kubernetes helm") == []  # no passage holds them


async def test_q7_reindexing_replaces_changed_pages_and_drops_removed_ones(
    db: Store, tmp_path: Path
) -> None:
    source, folder = site(tmp_path)
    await index_source(db, source, now=NOW)
    (folder / "guide" / "sso.md").write_text("# Single sign-on\n\nNow with OpenID Connect too.\n")
    (folder / "pricing.html").unlink()
    (folder / "new.md").write_text("# Webhooks\n\nAcme sends webhooks on every routed chat.\n")
    report = await index_source(db, source, now=NOW + timedelta(hours=1))
    assert (report.added, report.changed, report.unchanged, report.removed) == (1, 1, 1, 1)
    with db.sessions() as session:
        assert passages(session, "OpenID Connect")[0].source.endswith("/guide/sso")
        assert passages(session, "Okta Entra") == []  # the old text is gone from the index
        assert passages(session, "price per seat") == []  # the removed page too
        assert passages(session, "webhooks")[0].source == "https://acme.example/new"
        assert session.scalar(select(text("count(*)")).select_from(PassageRow)) == 3


async def test_q7_a_missing_folder_is_an_error_naming_the_source(db: Store, tmp_path: Path) -> None:
    source = ContentSource(name="docs", folder=str(tmp_path / "nowhere"))
    with pytest.raises(ContentError, match=r"ai.content.sources 'docs': folder .* does not exist"):
        await index_source(db, source, now=NOW)


def sitemap_site(pages: dict[str, tuple[int, str]]) -> tuple[httpx.MockTransport, list[str]]:
    """A site on acme.example: a sitemap index, a sitemap, and `pages` (path -> status, body)."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        assert request.headers["user-agent"].startswith("handoff/")
        path = request.url.path
        if path == "/sitemap.xml":
            body = (
                '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                'sitemap/0.9"><sitemap><loc>https://acme.example/pages.xml</loc></sitemap>'
                "</sitemapindex>"
            )
            return httpx.Response(200, text=body, headers={"content-type": "application/xml"})
        if path == "/pages.xml":
            locs = "".join(f"<url><loc>https://acme.example{p}</loc></url>" for p in pages)
            locs += "<url><loc>https://elsewhere.example/x</loc></url>"  # another host: skipped
            body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
            return httpx.Response(200, text=body)
        status, html = pages.get(path, (404, "gone"))
        return httpx.Response(status, text=html, headers={"content-type": "text/html"})

    return httpx.MockTransport(handler), seen


async def test_q7_a_sitemap_is_fetched_through_the_sdk_and_reindexed(
    db: Store, clock: FakeClock
) -> None:
    source = ContentSource(name="www", sitemap="https://acme.example/sitemap.xml")
    pages = {
        "/sso": (200, "<title>SSO</title><p>SAML single sign-on with Okta.</p>"),
        "/pricing": (200, "<title>Pricing</title><p>Team costs $19 per seat.</p>"),
    }
    transport, seen = sitemap_site(pages)
    report = await index_source(db, source, now=NOW, clock=clock, transport=transport)
    assert (report.added, report.failed) == (2, [])
    assert not any("elsewhere" in url for url in seen)
    with db.sessions() as session:
        assert passages(session, "SAML")[0].source == "https://acme.example/sso"

    # The pricing page now fails (kept as it was); the SSO page is gone (404: dropped).
    pages["/pricing"] = (500, "down")
    pages["/sso"] = (404, "gone")
    transport, _ = sitemap_site(pages)
    report = await index_source(db, source, now=NOW, clock=clock, transport=transport)
    assert report.removed == 1
    assert [f["url"] for f in report.failed] == ["https://acme.example/pricing"]
    with db.sessions() as session:
        assert passages(session, "SAML") == []
        assert passages(session, "price per seat")[0].source == "https://acme.example/pricing"


async def test_q7_a_sitemap_is_indexed_over_a_real_socket_within_its_budget(
    db: Store, loopback: Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
) -> None:
    """The site is served by uvicorn on 127.0.0.1; the SDK's request path fetches it."""
    site_app = FastAPI()
    hits: list[str] = []

    @site_app.get("/sitemap.xml")
    async def sitemap(request: Request) -> Response:
        hits.append(request.url.path)
        base = str(request.base_url).rstrip("/")
        locs = "".join(f"<url><loc>{base}/p/{i}</loc></url>" for i in range(6))
        body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
        return Response(body, media_type="application/xml")

    @site_app.get("/p/{number}")
    async def page(number: int, request: Request) -> Response:
        hits.append(request.url.path)
        if number == 2:
            return Response("# Markdown page\n\nWritten in *Markdown*.", media_type="text/markdown")
        html = f"<title>Page {number}</title><p>Topic number{number} explained.</p>"
        return Response(html, media_type="text/html")

    async with loopback(site_app, headers={}) as client:
        url = f"{str(client.base_url).rstrip('/')}/sitemap.xml"
        source = ContentSource(name="www", sitemap=url, max_pages=5, requests_per_minute=600)
        report = await index_source(db, source, now=NOW)
    assert (report.added, report.skipped, report.failed) == (5, 1, [])
    assert len(hits) == 6  # the sitemap and five pages: the sixth is over max_pages
    with db.sessions() as session:
        assert passages(session, "number3")[0].title == "Page 3"
        assert passages(session, "written markdown")[0].title == "Markdown page"


async def test_q7_an_unreadable_sitemap_is_an_error(db: Store, clock: FakeClock) -> None:
    source = ContentSource(name="www", sitemap="https://acme.example/sitemap.xml")
    transport = httpx.MockTransport(lambda _r: httpx.Response(200, text="<not xml"))
    with pytest.raises(
        ContentError, match=r"sitemap https://acme\.example/sitemap\.xml: not a valid"
    ):
        await index_source(db, source, now=NOW, clock=clock, transport=transport)


async def test_q7_max_pages_leaves_the_rest_out(db: Store, tmp_path: Path) -> None:
    source, _ = site(tmp_path)
    report = await index_source(db, source.model_copy(update={"max_pages": 2}), now=NOW)
    assert (report.added, report.skipped) == (2, 1)


# -- the Scorecard ------------------------------------------------------------------------------


def test_q7_scorecard_entries_are_added_matched_and_removed(db: Store) -> None:
    with db.transaction() as session:
        entry = add_entry(
            session,
            question="What does Acme cost per seat?",
            answer="Team is $19 per seat per month.",
            kind="dictated",
            created_by="ops@acme.example",
            now=NOW,
        )
    with db.sessions() as session:
        assert match_question(session, "acme cost per seat") is not None
        hit = match_question(session, "What's the Acme cost per seat, monthly?")  # 3 of 4
        assert hit is not None
        assert hit.entry.id == entry.id
        assert hit.similarity == 0.75
        assert match_question(session, "Acme cost?") is None  # 2 of 3: below the threshold
        assert match_question(session, "What is it?") is None
        assert [e.id for e in list_entries(session)] == [entry.id]
    with db.transaction() as session, pytest.raises(ScorecardConflictError, match="entry"):
        add_entry(
            session,
            question="seat cost, Acme?",
            answer="Other",
            kind="dictated",
            created_by="x",
            now=NOW,
        )
    with db.transaction() as session:
        assert remove_entry(session, entry.id) is not None
        assert remove_entry(session, entry.id) is None
    with db.sessions() as session:
        assert match_question(session, "acme cost per seat") is None


@pytest.mark.parametrize(
    ("question", "answer", "kind", "link", "message"),
    [
        ("What is it?", "x", "dictated", None, "question: .* no word to match on"),
        ("Pricing?", " ", "dictated", None, "answer: expected the answer's text"),
        ("Pricing?", "x", "guessed", None, "kind: expected one of accepted, edited, dictated"),
        ("Pricing?", "x", "edited", "ftp://x", "link: expected an http"),
    ],
)
def test_q7_a_bad_scorecard_entry_is_refused_naming_the_field(  # noqa: PLR0917 - parametrized
    store: Store, question: str, answer: str, kind: str, link: str | None, message: str
) -> None:
    with store.transaction() as session, pytest.raises(ScorecardError, match=message):
        add_entry(
            session,
            question=question,
            answer=answer,
            kind=kind,
            created_by="x",
            now=NOW,
            link=link,
        )


def test_q7_the_most_similar_entry_wins_then_the_newest(store: Store) -> None:
    with store.transaction() as session:
        for index, question in enumerate(
            ["sso saml okta", "sso saml okta entra", "sso saml okta azure"]
        ):
            add_entry(
                session,
                question=question,
                answer=f"answer {index}",
                kind="dictated",
                created_by="x",
                now=NOW + timedelta(minutes=index),
            )
    with store.sessions() as session:
        exact = match_question(session, "okta saml sso")
        assert exact is not None
        assert exact.entry.answer == "answer 0"
        closest = match_question(session, "saml sso okta google")  # 0.75, then 0.6 and 0.6
        assert closest is not None
        assert (closest.entry.answer, closest.similarity) == ("answer 0", 0.75)
        newest = match_question(session, "sso saml okta entra azure")  # 0.8 for both: the newest
        assert newest is not None
        assert newest.entry.answer == "answer 2"


# -- the Inbox ----------------------------------------------------------------------------------


def test_q7_the_inbox_groups_similar_questions_counts_them_and_promotes_one(db: Store) -> None:
    asked = [
        ("c-1", "How do I reset SSO?"),
        ("c-2", "how to reset my SSO settings"),
        ("c-3", "How do I reset SSO"),
        ("c-4", "Do you integrate with Jira?"),
        ("c-5", "hi"),
    ]
    draft = Draft(text="Go to Settings, then SSO, then Reset.", backend="builtin", passages=())
    with db.transaction() as session:
        recorded = [
            record_visitor_question(
                session,
                conversation_id=c,
                question=q,
                asked_at=NOW + timedelta(minutes=i),
                draft=draft if c == "c-3" else None,
            )
            for i, (c, q) in enumerate(asked)
        ]
    assert recorded[4] is None  # not a question
    first, second, third, jira = recorded[:4]
    assert first is not None
    assert second is not None
    assert third is not None
    assert jira is not None
    assert first.new_group
    assert (second.group_id, second.new_group) == (first.group_id, False)
    assert (third.group_id, third.count) == (first.group_id, 3)
    assert jira.group_id != first.group_id
    with db.sessions() as session:
        groups = list_groups(session)
        assert [(g.question, g.count) for g in groups] == [
            ("How do I reset SSO?", 3),
            ("Do you integrate with Jira?", 1),
        ]
        assert groups[0].answered_by == "unanswered"  # the built-in responder quoted nothing
        assert groups[0].examples[0] == "How do I reset SSO"

    with db.transaction() as session:
        entry = promote_group(session, first.group_id, by="ops@acme.example", now=NOW)
    assert (entry.kind, entry.answer) == ("accepted", "Go to Settings, then SSO, then Reset.")
    with db.sessions() as session:
        assert [g.id for g in list_groups(session)] == [jira.group_id]
        assert len(list_groups(session, include_promoted=True)) == 2
        hit = match_question(session, "How can I reset SSO?")
        assert hit is not None
        assert hit.entry.id == entry.id
    with db.transaction() as session, pytest.raises(InboxError, match="already on the Scorecard"):
        promote_group(session, first.group_id, by="x", now=NOW, answer="again")
    with db.transaction() as session, pytest.raises(InboxError, match="no drafted answer"):
        promote_group(session, jira.group_id, by="x", now=NOW)
    with db.transaction() as session:
        dictated = promote_group(session, jira.group_id, by="x", now=NOW, answer="Yes, both.")
    assert dictated.kind == "dictated"


# -- the built-in responder ---------------------------------------------------------------------


async def test_q7_the_builtin_responder_answers_the_demo_questions_from_their_pages(
    db: Store,
) -> None:
    """Q7 with Q6: each answer quotes and links the right page and passes the guard as is."""
    await index_source(db, demo_source(), now=NOW)
    responder = BuiltinResponder(db)
    table = demo_table()
    for question, page in DEMO_QUESTIONS:
        draft = await responder.draft(
            ReplyRequest(conversation_id="c-1", turns=[Turn("visitor", question)])
        )
        assert draft.backend == "builtin", question
        assert draft.passages[0].source == f"{DEMO_BASE_URL}{page}", question
        assert f"]({DEMO_BASE_URL}{page})" in draft.text
        verdict = check_reply(question, draft.text, table)
        assert verdict.allowed, (question, [c.why for c in verdict.broken])
    for question in DEMO_UNANSWERED:
        draft = responder.draft_now(question)
        assert (draft.text, draft.passages) == (UNKNOWN, ())
        assert check_reply(question, draft.text, table).allowed


async def test_q7_the_scorecard_overrides_the_content_and_unknown_offers_a_human(
    db: Store,
) -> None:
    await index_source(db, demo_source(), now=NOW)
    with db.transaction() as session:
        add_entry(
            session,
            question="Does Example support SAML single sign-on?",
            answer="Yes: SAML 2.0 and OpenID Connect, on every paid plan.",
            kind="edited",
            created_by="ops",
            now=NOW,
            link="https://www.example.test/security",
        )
    responder = BuiltinResponder(db)
    draft = responder.draft_now("does example support single sign on with SAML")
    assert draft.backend == "scorecard"
    assert draft.text == (
        "Yes: SAML 2.0 and OpenID Connect, on every paid plan. https://www.example.test/security"
    )
    assert draft.passages[0].source.startswith("scorecard:")
    # Half the question's words must be in the passage: here one word of four is.
    assert responder.draft_now("SAML lunch menu recipes").text == UNKNOWN
    assert BuiltinResponder(db, coverage=0.25).draft_now("SAML lunch menu recipes").passages


def test_q7_passages_the_caller_retrieved_are_quoted_without_searching(store: Store) -> None:
    given = Passage(
        source="/faq#hours",
        title="FAQ — Hours",
        text="We answer chats from 8am to 6pm. Weekends are closed. Holidays too.",
    )
    draft = BuiltinResponder(store).draft_now("When do you answer chats?", [given])
    assert draft.text == (
        'From our site: "We answer chats from 8am to 6pm. Weekends are closed. Holidays too." '
        "More in [FAQ — Hours](/faq#hours)"
    )


def test_q7_a_quote_takes_the_best_sentence_and_its_neighbours_within_the_limit() -> None:
    passage = Passage(
        source="/p",
        title="P",
        text="Alpha one. Beta two has SAML. Gamma three. " + "Delta " * 80 + "end.",
    )
    assert quote_passage("SAML?", passage, limit=40) == "Beta two has SAML. Gamma three."
    assert quote_passage("delta", passage, limit=40).endswith("…")
    assert len(quote_passage("delta", passage, limit=40)) <= 40
