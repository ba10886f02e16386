"""Every console route, whoever adds it: it needs a session, declares a role, and every
request that changes something needs the CSRF token. Read from the assembled app, so a
page added later is checked without a line here."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from console_kit import sign_in  # type: ignore[import-not-found]
from fastapi import FastAPI

from handoff.console.users import UserInfo
from handoff.server.access import app_routes, is_public


def console_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, concrete path) of each console route, path parameters filled in."""
    found = []
    for path, methods, _scopes in app_routes(app):
        if not path.startswith("/console") or is_public(path):
            continue
        concrete = re.sub(r"\{[^}]+\}", "x", path)
        found.extend((method, concrete) for method in sorted(methods - {"HEAD"}))
    return found


async def test_every_console_route_needs_a_session_a_role_and_csrf(
    app: FastAPI, console_client: httpx.AsyncClient, console_user: Callable[..., UserInfo]
) -> None:
    routes = console_routes(app)
    assert ("GET", "/console/live") in routes
    assert ("POST", "/console/reps/status") in routes
    for path, _methods, scopes in app_routes(app):
        if path.startswith("/console") and not is_public(path):
            assert scopes, f"{path} declares no role"
    # No session: a page is a redirect to sign-in, an htmx request is told to go there.
    for method, path in routes:
        answer = await console_client.request(method, path)
        if method == "GET":
            assert answer.status_code == 303, (method, path)
            assert answer.headers["location"].startswith("/console/sign-in?next="), path
        else:
            assert answer.status_code in (401, 403), (method, path)
    # Signed in (admin opens every page): nothing that changes anything without the token.
    console_user("root", "admin")
    await sign_in(console_client, "root")
    for method, path in routes:
        if method in ("GET", "OPTIONS"):
            continue
        refused = await console_client.request(method, path, data={"status": "online"})
        assert refused.status_code == 403, (method, path)
        assert "Form refused" in refused.text, (method, path)
