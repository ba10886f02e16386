"""The console's machinery every page uses: registration, roles, CSRF, rendering, live updates.

A page is a FastAPI route on an `APIRouter` handed to the console in a
`ConsolePages` (the console's own pages in handoff.console.pages, a flow's
through `Flow.console`), with the links it adds to the navigation
(`NavItem`) and the folder of its templates. docs/console.md "Adding a page"
walks through one.

- **Roles.** Every page declares who opens it with `require_role(...)`, the
  console's `require_scope`: `viewer: Annotated[Viewer, require_role(Scope.REP,
  Scope.OPS)]`. No session: a GET is redirected to the sign-in page (an htmx
  request told to go there); a session without the role: a 403 page. A rep
  user acts for their own rep only: `viewer.act_for(rep_id)` (403 otherwise),
  or `viewer.rep_scope(requested)` to pick the rep a page shows. The app
  refuses to start with a console route declaring no role (`check_routes`).
- **CSRF.** Every request that is not GET/HEAD/OPTIONS must carry the
  session's CSRF token, as the `csrf_token` form field (the base template's
  `csrf_field()`) or the `X-CSRF-Token` header (the base template sets it on
  every htmx request). Without it: a 403 page, and nothing done. Before
  sign-in, the sign-in form's token is a double-submit cookie.
- **Rendering.** `render(request, "page.html", {...})` renders a template
  extending `base.html`, with the viewer, the navigation of their role and
  the CSRF token in its context; `fragment(...)` renders a partial for htmx.
- **Live parts.** `live_stream(request, parts)` answers server-sent events:
  it renders the parts every `Console.live_interval` seconds (from the
  store, so every server of a cluster sees every event) and sends each
  part that changed as an event named after it, which htmx's SSE extension
  swaps into the page (`sse-swap="name"`).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request, Security
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from handoff.api_keys import Scope
from handoff.console.assets import STATIC
from handoff.console.limits import SignInLimiter
from handoff.console.users import ROLES, SignedIn, UserInfo, find_session
from handoff.store import Store
from handoff_sdk import Clock

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "PREFIX",
    "SESSION_COOKIE",
    "Console",
    "ConsoleError",
    "ConsolePages",
    "NavItem",
    "Viewer",
    "console_of",
    "fragment",
    "install_console",
    "live_stream",
    "render",
    "require_role",
]

PREFIX = "/console"
SESSION_COOKIE = "handoff_console"
PRE_SESSION_COOKIE = "handoff_console_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")
_TEMPLATES = Path(__file__).parent / "templates"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    # Everything from the hub itself: no inline script, no other host (works offline).
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class NavItem:
    """A link in the console's navigation, shown to the roles that open its page."""

    label: str
    path: str
    """Its page, under /console (e.g. '/live')."""
    roles: tuple[Scope, ...] = ROLES
    """Who sees the link (`admin` sees every link)."""
    order: int = 100
    """Links are listed by this number, then by label."""


@dataclass(frozen=True)
class ConsolePages:
    """What the console or a flow adds to the console: pages, their links, their templates."""

    router: APIRouter
    """Its routes, paths under /console (the console adds the prefix)."""
    nav: tuple[NavItem, ...] = ()
    templates: Path | None = None
    """The folder of its templates, searched after the console's own."""
    decision_parts: tuple[str, ...] = ()
    """Templates the Decisions page includes under each decision (a flow's actions on one:
    the chat flow's misroute flag); they see the decision as `d`, and the page's context."""


class ConsoleError(Exception):
    """A refusal answered as a page (never a traceback): 403, 404, 409..."""

    def __init__(self, status: int, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.title = title or {
            400: "That did not work",
            403: "Not allowed",
            404: "Not found",
            409: "Not possible now",
        }.get(status, "Something went wrong")


class NotSignedInError(Exception):
    """No live session: the page sends the browser to the sign-in page."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a request, and what their role lets them do."""

    user: UserInfo
    csrf_token: str

    @property
    def role(self) -> Scope:
        """rep, ops or admin."""
        return self.user.role

    @property
    def actor(self) -> str:
        """How audit records name what this user changes (`console:<name>`)."""
        return self.user.actor

    def has(self, *roles: Scope) -> bool:
        """Whether the role is one of `roles` (admin has every role)."""
        return self.role is Scope.ADMIN or self.role in roles

    def act_for(self, rep_id: str) -> None:
        """Refuse (403) a rep user acting for, or reading, another rep than their own."""
        if self.role is Scope.REP and self.user.rep_id != rep_id:
            raise ConsoleError(
                403,
                f"You are signed in as rep '{self.user.rep_id}': another rep's page is not yours",
            )

    def rep_scope(self, requested: str | None) -> str | None:
        """The rep a page shows: a rep user's own (another one asked is a 403); else `requested`."""
        if self.role is Scope.REP:
            if requested not in (None, "", self.user.rep_id):
                self.act_for(requested or "")
            return self.user.rep_id
        return requested or None


class Console:
    """The console of one app: its templates, its navigation, the store and clock of its pages."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        pages: Sequence[ConsolePages],
        *,
        live_interval: float = 2.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.pages = tuple(pages)
        self.live_interval = live_interval
        """Seconds between two renders of a live part (tests shorten it)."""
        self.sign_ins = SignInLimiter()
        """Failed sign-ins per user name and per client: too many are refused (429)."""
        folders = [_TEMPLATES] + [p.templates for p in self.pages if p.templates is not None]
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(f)) for f in folders]),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["static"] = lambda name: f"{PREFIX}/static/{name}"
        self.env.globals["url"] = lambda path="": f"{PREFIX}{path}"
        self.nav = sorted(
            (item for p in self.pages for item in p.nav), key=lambda i: (i.order, i.label)
        )
        self.decision_parts = tuple(part for p in self.pages for part in p.decision_parts)
        self._shared: dict[Hashable, tuple[float, asyncio.Future[Any]]] = {}

    async def shared_read(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """`load()`'s result, read at most once per `live_interval` for every console asking.

        Twenty consoles following the same rep's live visitors then cost one
        query per interval, not twenty. For the data of live parts only (what
        a stream re-renders): a page's first render reads afresh. The data
        must not depend on who asks; render it per viewer afterwards.
        """
        now = time.monotonic()
        entry = self._shared.get(key)
        if (
            entry is None
            or now - entry[0] >= self.live_interval
            or (entry[1].done() and entry[1].exception() is not None)
        ):
            if len(self._shared) > 1000:  # many keys over time: keep the fresh ones
                self._shared = {
                    k: v for k, v in self._shared.items() if now - v[0] < self.live_interval
                }
            entry = (now, asyncio.ensure_future(load()))
            self._shared[key] = entry
        result: T = await asyncio.shield(entry[1])
        return result

    def nav_for(self, viewer: Viewer | None) -> list[NavItem]:
        """The links `viewer` may follow (none before sign-in)."""
        if viewer is None:
            return []
        return [item for item in self.nav if viewer.has(*item.roles)]


def console_of(request: Request) -> Console:
    """The Console of the app serving `request` (install_console put it there)."""
    found = getattr(request.app.state, "console", None)
    if not isinstance(found, Console):
        raise RuntimeError("install_console() was not called on this app")
    return found


def _token(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


async def signed_in(request: Request) -> SignedIn | None:
    """The request's live session (looked up once per request), or None."""
    if hasattr(request.state, "console_session"):
        cached: SignedIn | None = request.state.console_session
        return cached
    console = console_of(request)
    token = _token(request)
    found = None
    if token:
        found = await asyncio.to_thread(find_session, console.store, token, now=console.clock.now())
    request.state.console_session = found
    return found


def require_role(*roles: Scope | str) -> Any:
    """A FastAPI dependency: a signed-in user holding one of `roles` (admin holds all).

    Use it as a parameter, `viewer: Annotated[Viewer, require_role(Scope.OPS)]`,
    on every console route: it is how the console checks who may see a page,
    and the app refuses a console route without it.
    """
    wanted = frozenset(Scope(r) for r in roles)
    if not wanted or not wanted <= set(ROLES):
        raise ValueError(f"require_role takes one or more of {', '.join(ROLES)}")

    async def viewer(request: Request) -> Viewer:
        found = await signed_in(request)
        if found is None:
            raise NotSignedInError
        seen = Viewer(user=found.user, csrf_token=found.csrf_token)
        request.state.viewer = seen
        if not seen.has(*wanted):
            needed = " or ".join(sorted(wanted | {Scope.ADMIN}))
            raise ConsoleError(
                403,
                f"This page is for the {needed} role; you are signed in as "
                f"{found.user.name} ({found.user.role.value})",
            )
        return seen

    viewer.handoff_scopes = tuple(sorted(wanted))  # type: ignore[attr-defined]
    return Security(viewer, scopes=sorted(wanted))


async def csrf_guard(request: Request) -> None:
    """Refuse (403) a request that changes something without the CSRF token of its session.

    On every console route (the console's router carries it), so no form
    can be added without the check.
    """
    if request.method in _SAFE:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = []
    session = await signed_in(request)
    if session is not None:
        expected.append(session.csrf_token)
    pre = request.cookies.get(PRE_SESSION_COOKIE)
    if pre:
        expected.append(pre)
    if not sent or not any(secrets.compare_digest(sent, e) for e in expected):
        raise ConsoleError(
            403,
            "This form came without its security token, or with an old one "
            "(a page open from before you signed in again?): reload the page and try again",
            title="Form refused",
        )


def _context(request: Request, context: Mapping[str, Any]) -> dict[str, Any]:
    console = console_of(request)
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    csrf = viewer.csrf_token if viewer is not None else getattr(request.state, "pre_csrf", "")
    return {
        "request": request,
        "viewer": viewer,
        "nav": console.nav_for(viewer),
        "current": request.url.path,
        "csrf_token": csrf,
        "csrf_field": Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf),
        "csrf_header": CSRF_HEADER,
        **context,
    }


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A whole page: `template` (extending base.html) with the viewer, nav and CSRF token."""
    page = console_of(request).env.get_template(template)
    return HTMLResponse(
        page.render(_context(request, context or {})),
        status_code=status,
        headers={**SECURITY_HEADERS, **(headers or {})},
    )


def fragment(request: Request, template: str, context: Mapping[str, Any] | None = None) -> str:
    """A part of a page (for htmx swaps and live events), rendered with the same context."""
    part = console_of(request).env.get_template(template)
    return part.render(_context(request, context or {}))


def _event(name: str, html: str) -> str:
    lines = html.strip().splitlines() or [""]
    return f"event: {name}\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


def live_stream(
    request: Request, parts: Callable[[], Awaitable[Mapping[str, str]]]
) -> StreamingResponse:
    """Server-sent events of a page's live parts: each part's HTML when it changes.

    `parts()` renders every live part of the page by name (use `fragment`);
    it is called every `Console.live_interval` seconds while the page is open
    and the session lasts, and a part whose HTML changed is sent as an event
    of its name. The page listens with `hx-ext="sse" sse-connect="..."` and
    swaps each part with `sse-swap="name"`.
    """
    console = console_of(request)

    async def stream() -> AsyncIterator[str]:
        sent: dict[str, str] = {}
        yield ": live\n\n"
        while not await request.is_disconnected():
            if request.state.console_session is not None:
                token = _token(request)
                still = await asyncio.to_thread(
                    find_session, console.store, token, now=console.clock.now()
                )
                if still is None:
                    yield _event("signed-out", "")
                    return
            for name, html in (await parts()).items():
                if sent.get(name) != html:
                    sent[name] = html
                    yield _event(name, html)
            await asyncio.sleep(console.live_interval)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _sign_in_url(request: Request) -> str:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return f"{PREFIX}/sign-in?next={quote(target, safe='')}"


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a console path only (never another site)."""
    if not target:
        return PREFIX
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(PREFIX) or "\\" in target:
        return PREFIX
    return target


def install_console(
    app: FastAPI,
    store: Store,
    clock: Clock,
    pages: Sequence[ConsolePages],
    *,
    live_interval: float = 2.0,
) -> Console:
    """Serve the console under /console on `app`: its pages, assets and refusal pages."""
    from handoff.console.pages import console_pages, operations_pages  # noqa: PLC0415 - own pages

    console = Console(
        store, clock, [console_pages(), *operations_pages(), *pages], live_interval=live_interval
    )
    app.state.console = console
    for part in console.pages:
        app.include_router(
            part.router,
            prefix=PREFIX,
            dependencies=[Depends(csrf_guard)],
            include_in_schema=False,
        )
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(STATIC)), name="console-static")

    @app.exception_handler(ConsoleError)
    async def refused(request: Request, exc: ConsoleError) -> Response:
        if request.headers.get("HX-Request"):
            # htmx swaps nothing on an error status; the message goes where the page shows it.
            return HTMLResponse(
                fragment(request, "_error.html", {"title": exc.title, "message": str(exc)}),
                status_code=exc.status,
            )
        return render(
            request,
            "error.html",
            {"title": exc.title, "message": str(exc)},
            status=exc.status,
        )

    @app.exception_handler(NotSignedInError)
    async def sign_in_first(request: Request, _exc: NotSignedInError) -> Response:
        target = _sign_in_url(request)
        if request.headers.get("HX-Request") or request.method not in _SAFE:
            return Response(status_code=401, headers={"HX-Redirect": target})
        if request.headers.get("accept", "").startswith("text/event-stream"):
            return Response(status_code=401)
        return RedirectResponse(target, status_code=303)

    return console
