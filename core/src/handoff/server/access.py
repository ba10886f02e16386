"""Access control of the hub's API: every /v1 route (and /metrics) names the scopes it needs.

How a route declares it (a flow's router does the same as the core's)::

    from handoff.server.access import Caller, require_scope

    @router.get("/v1/things", dependencies=[require_scope("ops")])
    async def list_things() -> ...: ...

    # a route that acts for a rep, with the caller at hand:
    @router.put("/v1/reps/{rep_id}/thing")
    async def put_thing(rep_id: str, caller: Annotated[Caller, require_scope("rep")]) -> ...:
        caller.act_for(rep_id)  # 403 when a rep key is another rep's
        ... audit(session, actor=caller.actor, ...)

- No key (or an unknown, malformed or revoked one): 401, `WWW-Authenticate: Bearer`.
- A key without any of the named scopes: 403. `admin` holds every scope.
- A `rep` key acts for its own rep only (`Caller.act_for`).

Keys are sent as `Authorization: Bearer hk_...` (handoff.api_keys); the
OpenAPI document declares the scheme and each operation's scopes.
`create_app` refuses to start when a route outside `PUBLIC_PATHS` declares
none (`check_routes`), so a new route cannot be open by omission.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from handoff.api_keys import KeyInfo, KeyRing, Scope
from handoff.errors import HandoffError
from handoff.server.responses import refused

__all__ = [
    "DENIED",
    "PUBLIC_PATHS",
    "AccessDeniedError",
    "Caller",
    "app_routes",
    "authorize",
    "caller_of",
    "check_routes",
    "install_access",
    "is_public",
    "require_scope",
    "route_scopes",
]

PUBLIC_PATHS: dict[str, str] = {
    "/health": "readiness probe: load balancers ask it without a key",
    "/health/live": "liveness probe",
    "/webhooks/{connector}": "vendors authenticate by their signature (docs/webhooks.md)",
    "/v1/signups": "purchase and trial webhooks, signed (X-Handoff-Signature; docs/leads.md)",
    "/v1/unsubscribe": "one-click unsubscribe links: the signed token is the credential (D7)",
    "/openapi.json": "the API's description",
    "/docs": "the API's description, as a page (assets served locally)",
    "/docs/oauth2-redirect": "part of the docs page",
    "/redoc": "the API's description, as a page (assets served locally)",
    "/static-offline-docs": "the docs pages' scripts and styles",
    "/console/sign-in": "the console's sign-in form; every other console page needs a session "
    "and declares its roles with handoff.console.require_role",
    "/console/static": "the console's scripts and styles",
}
"""Every route that needs no key, and why. Anything else must declare scopes."""

SCHEME = "apiKey"

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name=SCHEME,
    bearerFormat="hk_<id>_<secret>",
    description="An API key from `handoff keys create`, sent as `Authorization: Bearer <key>`. "
    "Each operation lists the scopes that open it (any one of them; `admin` opens all).",
)

_REFUSED = {"application/json": {"schema": {"$ref": "#/components/schemas/Refused"}}}
DENIED: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or not a valid one.", "content": _REFUSED},
    403: {"description": "The key lacks the scope, or acts for another rep.", "content": _REFUSED},
}
"""The OpenAPI entries of the refusals, added to every route that declares scopes."""


class AccessDeniedError(Exception):
    """Refused by access control: answered 401 or 403 in the API's refusal shape."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


@dataclass(frozen=True)
class Caller:
    """The key a request came with, and which of the route's scopes it holds."""

    key: KeyInfo
    granted: frozenset[Scope]

    @property
    def actor(self) -> str:
        """How audit records name what this request changed (the key's name and id)."""
        return self.key.actor

    def act_for(self, rep_id: str, *, field: str = "rep_id") -> None:
        """Refuse (403) a rep key acting for another rep than its own.

        Admin keys, and keys let in by another of the route's scopes than
        `rep` (e.g. `ops` reading a rep's live visitors), may act for anyone.
        """
        if self.granted - {Scope.REP}:
            return
        if self.key.rep_id != rep_id:
            raise AccessDeniedError(
                403,
                f"key '{self.key.name}' acts for rep '{self.key.rep_id}' only, not '{rep_id}'",
                field,
            )


def _keyring(request: Request) -> KeyRing:
    ring = getattr(request.app.state, "keyring", None)
    if not isinstance(ring, KeyRing):
        raise RuntimeError("install_access() was not called on this app")
    return ring


def require_scope(*scopes: Scope | str) -> Any:
    """A FastAPI dependency: the request's key must hold one of `scopes` (or `admin`).

    Use it in `dependencies=[...]` or as a parameter `caller: Annotated[Caller,
    require_scope(...)]` to get the `Caller` (its `actor` for audits, its
    `act_for(rep)` for rep-bound routes).
    """
    wanted = frozenset(Scope(s) for s in scopes)
    if not wanted:
        raise ValueError("require_scope needs at least one scope")

    async def caller(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Caller:
        return await authorize(request, credentials, wanted)

    caller.handoff_scopes = tuple(sorted(wanted))  # type: ignore[attr-defined]
    return Security(caller, scopes=sorted(wanted))


async def authorize(
    request: Request, credentials: HTTPAuthorizationCredentials | None, wanted: frozenset[Scope]
) -> Caller:
    """The check behind `require_scope`: the key of `credentials` must hold one of `wanted`.

    401 (`AccessDeniedError`) without a valid key, 403 without the scope; the
    key is kept as `request.state.caller`. A route that reads its own request
    (`handoff.server.intake_route`) calls it through `caller_of`, so both ways
    run this one check.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AccessDeniedError(
            401,
            "an API key is required: send 'Authorization: Bearer <key>' "
            "(keys come from `handoff keys create`)",
        )
    ring = _keyring(request)
    key = ring.cached(credentials.credentials)
    if key is None:  # not seen within CACHE_SECONDS: the store (and a hash), off the loop
        key = await asyncio.to_thread(ring.find, credentials.credentials)
    if key is None:
        raise AccessDeniedError(401, "the API key is not valid (unknown, revoked or mistyped)")
    granted = key.scopes & wanted if Scope.ADMIN not in key.scopes else wanted | {Scope.ADMIN}
    if not granted:
        needed = " or ".join(sorted(wanted | {Scope.ADMIN}))
        raise AccessDeniedError(
            403, f"key '{key.name}' ({', '.join(sorted(key.scopes))}) lacks the scope {needed}"
        )
    request.state.caller = key
    return Caller(key=key, granted=granted)


async def caller_of(request: Request, scopes: frozenset[Scope]) -> Caller:
    """`require_scope(*scopes)`'s answer for a request, for a route that solves no dependencies.

    The same bearer parsing and the same `authorize`: a route class that
    handles its request itself (the intake's) refuses exactly what the
    dependency refuses.
    """
    return await authorize(request, await _bearer(request), scopes)


def route_scopes(dependant: Dependant) -> tuple[str, ...] | None:
    """The scopes a route's dependencies require (`require_scope`), None when it declares none."""
    return next(
        (
            tuple(d.call.handoff_scopes)  # type: ignore[union-attr]
            for d in _walk(dependant)
            if hasattr(d.call, "handoff_scopes")
        ),
        None,
    )


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)


def is_public(path: str) -> bool:
    """Whether `path` is one of (or under) `PUBLIC_PATHS`: served without a key."""
    return any(path == p or path.startswith(p + "/") for p in PUBLIC_PATHS)


def app_routes(app: FastAPI) -> list[tuple[str, set[str], tuple[str, ...] | None]]:
    """Every route of the assembled app (included routers flattened): path, methods, scopes."""
    found = []
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        dependant = getattr(context, "dependant", None)
        scopes = None
        if isinstance(dependant, Dependant):
            scopes = route_scopes(dependant)
        found.append((path, set(context.methods or ()), scopes))
    return found


def check_routes(app: FastAPI) -> None:
    """Refuse an app with a route that neither declares scopes nor is listed as public.

    Each operation that declares scopes gets the 401 and 403 answers in the
    OpenAPI document.
    """
    for path, _methods, scopes in app_routes(app):
        if scopes is None and not is_public(path):
            raise HandoffError(
                f"route {path} declares no access: add `require_scope(...)` "
                "(handoff.server.access) or list it in PUBLIC_PATHS with the reason"
            )
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict) and operation.get("security"):
                    answers = operation.setdefault("responses", {})
                    for status, answer in DENIED.items():
                        answers.setdefault(str(status), answer)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def install_access(app: FastAPI, keyring: KeyRing, count: Callable[[str], None]) -> None:
    """Keep `keyring` for the routes' checks; answer refusals in the API's refusal shape."""
    app.state.keyring = keyring

    @app.exception_handler(AccessDeniedError)
    async def denied(_request: Request, exc: AccessDeniedError) -> JSONResponse:
        count("unauthorized" if exc.status == 401 else "forbidden")
        answer = refused(exc.status, str(exc), exc.field, str(exc))
        if exc.status == 401:
            answer.headers["WWW-Authenticate"] = "Bearer"
        return answer
