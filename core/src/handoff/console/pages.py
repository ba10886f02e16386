"""The console's own pages: sign in, sign out, and the home page listing the others."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from handoff.console.users import ROLES, authenticate, close_session, open_session
from handoff.console.web import (
    PRE_SESSION_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    ConsolePages,
    Viewer,
    console_of,
    render,
    require_role,
    safe_next,
    signed_in,
)

__all__ = ["console_pages", "operations_pages"]


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def console_pages() -> ConsolePages:
    """Sign-in, sign-out and home: what every console has, whatever the flows add."""
    router = APIRouter()

    def sign_in_page(
        request: Request,
        *,
        next_url: str,
        name: str = "",
        problem: str | None = None,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> Response:
        token = request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(32)
        request.state.pre_csrf = token
        page = render(
            request,
            "sign_in.html",
            {"next": next_url, "name": name, "problem": problem},
            status=status if problem else 200,
            headers=headers,
        )
        page.set_cookie(
            PRE_SESSION_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=_secure(request),
            path=PREFIX,
        )
        return page

    @router.get("/sign-in")
    async def sign_in_form(request: Request, next: str | None = None) -> Response:
        """The sign-in form (a signed-in user goes straight on)."""
        target = safe_next(next)
        if await signed_in(request) is not None:
            return RedirectResponse(target, status_code=303)
        return sign_in_page(request, next_url=target)

    @router.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        """Check the name and password; open a session in an HttpOnly cookie.

        Too many failed sign-ins for the name, or from the client, are
        refused (429) before the password is checked (handoff.console.limits).
        """
        console = console_of(request)
        form = await request.form()
        name = str(form.get("name") or "").strip()
        password = str(form.get("password") or "")
        target = safe_next(str(form.get("next") or ""))
        if not name or not password:
            return sign_in_page(
                request, next_url=target, name=name, problem="Enter your user name and password."
            )
        client = request.client.host if request.client else "unknown"
        refused = console.sign_ins.refusal(name, client, now=console.clock.now())
        if refused is not None:
            return sign_in_page(
                request,
                next_url=target,
                name=name,
                problem=refused.message,
                status=429,
                headers={"Retry-After": str(refused.retry_after)},
            )
        user = await asyncio.to_thread(authenticate, console.store, name, password)
        if user is None:
            console.sign_ins.failed(name, client, now=console.clock.now())
            return sign_in_page(
                request,
                next_url=target,
                name=name,
                problem="That user name and password do not match.",
            )
        console.sign_ins.succeeded(name)
        token, session = await asyncio.to_thread(
            open_session, console.store, user, now=console.clock.now()
        )
        answer = RedirectResponse(target, status_code=303)
        answer.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int((session.expires_at - console.clock.now()).total_seconds()),
            httponly=True,
            samesite="lax",
            secure=_secure(request),
            path=PREFIX,
        )
        answer.delete_cookie(PRE_SESSION_COOKIE, path=PREFIX)
        return answer

    @router.post("/sign-out")
    async def sign_out(
        request: Request, _viewer: Annotated[Viewer, require_role(*ROLES)]
    ) -> Response:
        """End the session: its row is deleted, the cookie cleared."""
        console = console_of(request)
        token = request.cookies.get(SESSION_COOKIE, "")
        await asyncio.to_thread(close_session, console.store, token, now=console.clock.now())
        answer = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
        answer.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return answer

    @router.get("")
    @router.get("/")
    async def home(request: Request, _viewer: Annotated[Viewer, require_role(*ROLES)]) -> Response:
        """The pages the signed-in user's role opens."""
        return render(request, "home.html")

    return ConsolePages(router=router)


def operations_pages() -> list[ConsolePages]:
    """The frameworks' pages: decisions, the outbox's jobs, rules replay, connector health."""
    from handoff.console.connectors import connector_pages  # noqa: PLC0415
    from handoff.console.decisions import decision_pages  # noqa: PLC0415 - one module a page
    from handoff.console.jobs import job_pages  # noqa: PLC0415
    from handoff.console.rules import rule_pages  # noqa: PLC0415

    return [decision_pages(), job_pages(), rule_pages(), connector_pages()]
