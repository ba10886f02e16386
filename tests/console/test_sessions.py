"""The console's sign-in, sessions, role checks and CSRF, over HTTP (in-process and a socket)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import httpx
import pytest
from console_kit import PASSWORD, Loopback, sign_in  # type: ignore[import-not-found]
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy import func, select

from handoff.api_keys import Scope
from handoff.console import ConsolePages, NavItem, Viewer, render, require_role
from handoff.console.users import SESSION_LIFETIME, UserInfo
from handoff.errors import HandoffError
from handoff.flow import Flow, FlowContext
from handoff.flows import built_in_flows
from handoff.server import create_app
from handoff.store import Audit, ConsoleSession, Store
from handoff_sdk import FakeClock


class _NoSettings(BaseModel):
    pass


def _notes_pages(_context: FlowContext[Any]) -> list[ConsolePages]:
    """A flow's console page, as a flow adds one: a rep sees only their own notes."""
    router = APIRouter()

    @router.get("/notes")
    async def notes(
        request: Request,
        viewer: Annotated[Viewer, require_role(Scope.REP, Scope.OPS)],
        rep: str | None = None,
    ) -> HTMLResponse:
        shown = viewer.rep_scope(rep)
        return HTMLResponse(f"<p id=notes>notes of {shown}</p>")

    @router.post("/notes")
    async def add_note(
        request: Request, viewer: Annotated[Viewer, require_role(Scope.REP)]
    ) -> HTMLResponse:
        return render(request, "error.html", {"title": "Saved", "message": viewer.actor})

    return [ConsolePages(router=router, nav=(NavItem("Notes", "/notes", (Scope.REP,)),))]


NOTES: Flow[_NoSettings] = Flow(
    name="notes", summary="test", settings=lambda: _NoSettings, console=_notes_pages
)


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's app with the built-in flows and the test flow's page."""
    built = create_app(store, clock=clock, flows=[*built_in_flows(), NOTES])
    yield built
    await built.state.intake.aclose()


async def test_a_page_without_a_session_sends_the_browser_to_sign_in(
    console_client: httpx.AsyncClient,
) -> None:
    answer = await console_client.get("/console/notes?rep=ana")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=%2Fconsole%2Fnotes%3Frep%3Dana"
    htmx = await console_client.get("/console/notes", headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"].startswith("/console/sign-in?next=")


async def test_sign_in_sets_a_session_cookie_that_scripts_cannot_read(
    console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo], store: Store
) -> None:
    console_user("ana", "rep", rep="ana")
    form = await console_client.get("/console/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    assert form.headers["content-security-policy"].startswith("default-src 'self'")
    answer = await console_client.post(
        "/console/sign-in",
        data={
            "name": "ana",
            "password": PASSWORD,
            "csrf_token": token.group(1),
            "next": "https://elsewhere.test/steal",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console"  # never another site
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("handoff_console=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/console" in cookie
    assert f"Max-Age={int(SESSION_LIFETIME.total_seconds())}" in cookie
    assert "Secure" not in cookie  # served over http here; over https it is Secure
    value = cookie.split(";")[0].split("=", 1)[1]
    with store.sessions() as session:
        [stored] = session.scalars(select(ConsoleSession)).all()
        assert value not in stored.id  # only the token's hash is kept
        actions = [a.actor for a in session.scalars(select(Audit))]
    assert "console:ana" in actions
    home = await console_client.get("/console")
    assert home.status_code == 200
    assert 'href="/console/notes"' in home.text  # the flow's page is in the rep's navigation


async def test_a_wrong_password_is_refused_naming_no_field_and_opening_nothing(
    console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    console_user("ana", "rep", rep="ana")
    with pytest.raises(AssertionError):
        await sign_in(console_client, "ana", "wrong password!!")
    form = await console_client.get("/console/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    for name, password in (("ana", "nope nope nope"), ("nobody", PASSWORD), ("", "")):
        answer = await console_client.post(
            "/console/sign-in",
            data={"name": name, "password": password, "csrf_token": token.group(1)},
        )
        assert answer.status_code == 400
        assert 'role="alert"' in answer.text
        assert "handoff_console=" not in answer.headers.get("set-cookie", "")
    assert (await console_client.get("/console")).status_code == 303


async def test_a_form_without_the_csrf_token_is_refused_with_a_page_not_a_traceback(
    console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    console_user("ana", "rep", rep="ana")
    csrf = await sign_in(console_client, "ana")
    for headers, data in (
        ({}, {}),
        ({}, {"csrf_token": "forged"}),
        ({"X-CSRF-Token": "forged"}, {}),
    ):
        refused = await console_client.post("/console/notes", headers=headers, data=data)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "Form refused" in refused.text
        assert "Traceback" not in refused.text
    by_field = await console_client.post("/console/notes", data={"csrf_token": csrf})
    assert by_field.status_code == 200
    assert "console:ana" in by_field.text  # the signed-in user, as audits name them
    by_header = await console_client.post("/console/notes", headers={"X-CSRF-Token": csrf})
    assert by_header.status_code == 200
    # The sign-in form is guarded too (its token is a double-submit cookie).
    console_client.cookies.clear()
    assert (
        await console_client.post("/console/sign-in", data={"name": "ana", "password": PASSWORD})
    ).status_code == 403


async def test_a_rep_session_never_reads_another_reps_page_and_ops_read_any(
    console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    console_user("ana", "rep", rep="ana")
    console_user("olga", "ops")
    await sign_in(console_client, "ana")
    assert "notes of ana" in (await console_client.get("/console/notes")).text
    assert "notes of ana" in (await console_client.get("/console/notes?rep=ana")).text
    other = await console_client.get("/console/notes?rep=bo")
    assert other.status_code == 403
    assert "bo" not in other.text.split("<main")[1].split("You are signed in as rep")[0]
    console_client.cookies.clear()
    csrf = await sign_in(console_client, "olga")
    assert "notes of bo" in (await console_client.get("/console/notes?rep=bo")).text
    # ops do not hold the rep role the POST needs; the refusal says which role it wants.
    refused = await console_client.post("/console/notes", headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    assert "admin or rep" in refused.text


async def test_sign_out_deletes_the_session_and_an_expired_one_opens_nothing(
    console_client: httpx.AsyncClient,
    console_user: Callable[..., UserInfo],
    store: Store,
    clock: FakeClock,
) -> None:
    console_user("ana", "rep", rep="ana")
    csrf = await sign_in(console_client, "ana")
    stolen = dict(console_client.cookies)
    out = await console_client.post("/console/sign-out", data={"csrf_token": csrf})
    assert out.status_code == 303
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ConsoleSession)) == 0
    # The old cookie, replayed, opens nothing.
    console_client.cookies.update(stolen)
    assert (await console_client.get("/console")).status_code == 303
    console_client.cookies.clear()
    await sign_in(console_client, "ana")
    clock.advance(SESSION_LIFETIME.total_seconds() - 1)
    assert (await console_client.get("/console")).status_code == 200
    clock.advance(1)
    assert (await console_client.get("/console")).status_code == 303


async def test_the_console_over_a_real_socket_with_secure_cookies_behind_https(
    app: FastAPI, loopback: Loopback, console_user: Callable[..., UserInfo]
) -> None:
    console_user("olga", "ops")
    async with loopback(app, headers={}) as client:
        await sign_in(client, "olga")
        assert (await client.get("/console/notes?rep=bo")).status_code == 200
        css = await client.get("/console/static/console.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
    # Served over https (a proxy in front, or TLS): the session cookie is Secure.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://hub.test"
    ) as tls:
        form = await tls.get("/console/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token
        answer = await tls.post(
            "/console/sign-in",
            data={"name": "olga", "password": PASSWORD, "csrf_token": token.group(1)},
        )
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("handoff_console=")
        )
        assert "Secure" in cookie


def test_a_console_route_without_a_role_stops_the_app(store: Store, clock: FakeClock) -> None:
    def open_page(_context: FlowContext[Any]) -> list[ConsolePages]:
        router = APIRouter()

        @router.get("/open")
        async def page() -> HTMLResponse:
            return HTMLResponse("anyone")

        return [ConsolePages(router=router)]

    careless: Flow[_NoSettings] = Flow(
        name="careless", summary="test", settings=lambda: _NoSettings, console=open_page
    )
    with pytest.raises(HandoffError, match="/console/open declares no access"):
        create_app(store, clock=clock, flows=[careless])
