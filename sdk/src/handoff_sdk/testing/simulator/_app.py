"""The Simulator base class: a vendor's API as an ASGI app, with its limits, tokens and faults."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from handoff_sdk._clock import Clock, SystemClock

from ._auth import SimAuth, TokenStore
from ._endpoint import Endpoint, declared_endpoints, parse_body, validate_query
from ._faults import Fault, FaultQueue
from ._limits import LimitState
from ._model import Call, Limits, Refusal, Reply, Served, SimAccount, WebhookDelivery

__all__ = ["Simulator"]

log = logging.getLogger("handoff_sdk.testing.simulator")

_ADMIN = "/_simulator"
_UNLOGGED_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


class Simulator:
    """A vendor's API, described endpoint by endpoint; see docs/testing.md, "Simulators".

    Subclass it once per vendor, next to the connector
    (`handoff_<name>/simulator.py`), and point the connector at it with
    `Connector.simulator = "handoff_<name>.simulator:<Class>"`:

    - `name`: the connector it stands in for; `default_limits`: what one
      account may do (rate windows, concurrency); `auth`: how a request names its account
      (`BearerToken()`, `ApiKey(...)`, `BasicPassword(...)`, `AnyOf(...)`);
      `token_lifetime` and `rotate_refresh_tokens` for the tokens it issues;
    - `seed()` adds the accounts and their synthetic records (`add_account`);
    - one `@endpoint(...)` method per call of the API, returning JSON-able
      data or a `Reply`, raising `Refusal` to say no;
    - `refuse(refusal, call)` renders every refusal in the vendor's shape;
    - `answer_headers(account)` adds per-answer headers (usage counters);
    - `connector_config(url)` and `connector_secrets()` say how to point the
      connector here (the contract and `handoff sandbox` use them);
    - `webhook_deliveries(config, secrets)`, for a vendor that sends webhooks:
      what it would post to the hub (`handoff sandbox traffic` posts them).

    An instance is the ASGI app; serve it with `SimulatorServer`. Every
    request is kept in `log` (`calls`, `throttled`, `peak_concurrency` read
    it); `fail_next`, `refuse_next`, `drop_next` and `slow_next` inject
    faults; `reset()` returns to the seeded state.
    """

    name: ClassVar[str] = ""
    """The connector this simulates (its name in handoff.toml)."""
    default_limits: ClassVar[Limits] = Limits()
    """What one account may do; an instance may be given other limits (`limits=`)."""
    auth: ClassVar[SimAuth | None] = None
    """How requests to endpoints declared with auth=True name their account."""
    token_lifetime: ClassVar[float | None] = 3600.0
    """Seconds an issued access token lives; None for tokens that expire unannounced."""
    rotate_refresh_tokens: ClassVar[bool] = False
    """Whether redeeming a refresh token replaces it (the old one stops working)."""
    media_type: ClassVar[str] = "application/json"
    """Content-Type of JSON answers, exactly as the vendor writes it."""
    endpoints: ClassVar[tuple[Endpoint, ...]] = ()
    """Every declared endpoint, collected when the class is defined."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.endpoints = declared_endpoints(cls)

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        latency: float = 0.0,
        limits: Limits | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.latency = latency
        """Seconds added to every answer (real time: the network's share of a call)."""
        self.limits: Limits = limits or self.default_limits
        """The limits in force (the class's `default_limits` unless given)."""
        self.accounts: dict[str, SimAccount] = {}
        self.tokens = TokenStore(
            self.clock,
            self.accounts.get,
            lifetime=self.token_lifetime,
            rotate=self.rotate_refresh_tokens,
        )
        self.log: list[Served] = []
        self.faults = FaultQueue()
        self._limit_state = LimitState(self.clock)
        self.reset()

    # -- what a vendor's simulator says --------------------------------------------

    def seed(self) -> None:
        """Add the accounts and their records (`add_account`); called by `reset`."""

    def connector_config(self, url: str) -> dict[str, Any]:
        """The connector's `[connectors.NAME]` table pointing at this simulator served at `url`."""
        raise NotImplementedError(f"{type(self).__name__} does not say how to point a connector")

    def connector_secrets(self, account: SimAccount | None = None) -> dict[str, str]:
        """The secrets that open `account` (default: the first), as a secret store holds them."""
        return dict((account or self.account).secrets)

    def webhook_deliveries(
        self, config: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> list[WebhookDelivery]:
        """Sample webhooks this vendor would send the hub, from its seeded data.

        `config` is the connector's table and `secrets` its secrets as the hub
        holds them (a webhook's shared secret is the hub's, not the vendor's),
        so each delivery is authenticated as the connector checks it. None by
        default: a vendor whose connector takes no webhooks.
        """
        return []

    def refuse(self, refusal: Refusal, call: Call | None) -> Reply:
        """The vendor's answer to a refusal; override with the vendor's error shape.

        The default answers `{"error": kind, "message": ...}` with the
        refusal's status, and Retry-After when it has one.
        """
        headers = {}
        if refusal.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(refusal.retry_after + 0.5)))
        body = {"error": refusal.code or refusal.kind, "message": refusal.message}
        return Reply(body, status=refusal.status, headers=headers)

    def authenticate(
        self, request: Request, endpoint: Endpoint, path_params: Mapping[str, Any]
    ) -> SimAccount:
        """The account a request to an `auth=True` endpoint opens; raise Refusal when none.

        The default asks `auth`, which reads the headers. Override for a
        vendor whose credential travels elsewhere, such as Slack's incoming
        webhooks, whose URL path holds the secret (`path_params` are the
        endpoint's path parameters).
        """
        if self.auth is None:
            raise RuntimeError(f"{type(self).__name__}.auth is not set")
        return self.auth.authenticate(request.headers, self)

    def answer_headers(self, account: SimAccount | None) -> Mapping[str, str]:
        """Headers added to every answer for `account` (usage counters, request ids)."""
        return {}

    # -- state -------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the seeded state: accounts, tokens, windows, faults and the log."""
        self.accounts.clear()
        self.tokens.clear()
        self._limit_state.clear()
        self.faults.clear()
        self.log.clear()
        self.seed()

    def add_account(self, account: SimAccount) -> SimAccount:
        """Add a simulated customer; the first one added is `account`."""
        self.accounts[account.id] = account
        return account

    @property
    def account(self) -> SimAccount:
        """The first account: the one the contract and the sandbox use."""
        if not self.accounts:
            raise LookupError(f"{type(self).__name__} has no account: add one in seed()")
        return next(iter(self.accounts.values()))

    def find_account(self, **match: str) -> SimAccount | None:
        """The account whose settings or secrets hold all these values, if any."""
        for account in self.accounts.values():
            values = {**account.settings, **account.secrets}
            if all(values.get(k) == v for k, v in match.items()):
                return account
        return None

    def usage(self, account: SimAccount, window_name: str) -> tuple[int, int, float]:
        """(used, remaining, seconds until the oldest call leaves) of an account window."""
        window = next((w for w in self.limits.windows if w.name == window_name), None)
        if window is None:
            names = [w.name for w in self.limits.windows]
            raise KeyError(f"no rate window named {window_name!r} in force (have {names})")
        state = self._limit_state.usage(account.id, window)
        return state.used, state.remaining, state.reset_seconds

    # -- faults --------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        endpoint: str | None = None,
    ) -> None:
        """Answer the next `times` API calls (or calls of `endpoint`) with this raw answer."""
        reply = Reply(body, status=status, headers=dict(headers or {}))
        self.faults.add(Fault("answer", times, endpoint, reply=reply))

    def refuse_next(self, refusal: Refusal, *, times: int = 1, endpoint: str | None = None) -> None:
        """Refuse the next `times` API calls as the vendor would (`refuse` renders it)."""
        self.faults.add(Fault("refuse", times, endpoint, refusal=refusal))

    def drop_next(self, *, times: int = 1, endpoint: str | None = None) -> None:
        """Close the connection of the next `times` API calls without answering."""
        self.faults.add(Fault("drop", times, endpoint))

    def slow_next(self, seconds: float, *, times: int = 1, endpoint: str | None = None) -> None:
        """Answer the next `times` API calls `seconds` late (real time)."""
        self.faults.add(Fault("slow", times, endpoint, seconds=seconds))

    # -- the log ---------------------------------------------------------------------------

    def calls(self, endpoint: str | None = None, *, account: str | None = None) -> list[Served]:
        """Requests answered so far, of one endpoint and/or one account when given."""
        return [
            s
            for s in list(self.log)
            if (endpoint is None or s.endpoint == endpoint)
            and (account is None or s.account == account)
        ]

    def throttled(self) -> list[Served]:
        """Requests refused for going too fast (a rate window or the concurrency cap)."""
        return [s for s in list(self.log) if s.throttled]

    def peak_concurrency(self, endpoint: str | None = None) -> int:
        """The most requests of one account in flight at once, as the client sent them."""
        return max((s.in_flight for s in self.calls(endpoint)), default=0)

    # -- ASGI -------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request (lifespan events are acknowledged and ignored)."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        entry = Served(
            seq=len(self.log) + 1,
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            endpoint=None,
            account=None,
            headers={
                k: v for k, v in request.headers.items() if k.lower() not in _UNLOGGED_HEADERS
            },
            started=time.monotonic(),
        )
        if entry.path.startswith(_ADMIN):
            await self._admin(request, entry).__call__(scope, receive, send)
            return
        self.log.append(entry)
        admitted: str | None = None
        try:
            reply, admitted = await self._answer(request, entry, receive)
            if reply is None:  # dropped
                return
            await asyncio.sleep(self.latency)
            # The log and the limits are settled before the answer leaves: a client reading the
            # log (or sending its next call) as soon as it has the answer sees this one done.
            entry.status = reply.status
            entry.finished = time.monotonic()
            if admitted is not None:
                self._limit_state.leave(admitted)
                admitted = None
            await self._response(reply).__call__(scope, receive, send)
        finally:
            if not entry.finished:
                entry.finished = time.monotonic()
            if admitted is not None:
                self._limit_state.leave(admitted)

    async def _answer(
        self, request: Request, entry: Served, receive: Receive
    ) -> tuple[Reply | None, str | None]:
        """The reply (None for a dropped connection) and the account admitted to its limits."""
        call: Call | None = None
        account: SimAccount | None = None
        admitted: str | None = None
        try:
            endpoint, params = self._route(request.method, entry.path)
            entry.endpoint = endpoint.name
            fault = self.faults.take(endpoint.name, endpoint.auth)
            if fault is not None:
                entry.fault = fault.label
                if fault.action == "drop":
                    await asyncio.sleep(self.latency)
                    _drop(receive)
                    return None, None
                if fault.action == "answer" and fault.reply is not None:
                    return fault.reply, None
                if fault.action == "refuse" and fault.refusal is not None:
                    raise fault.refusal.again()
                await asyncio.sleep(fault.seconds)
            if endpoint.auth:
                account = self.authenticate(request, endpoint, params)
                entry.account = account.id
                entry.in_flight = self._limit_state.in_flight(account.id) + 1
                self._limit_state.enter(account.id, self.limits, endpoint.name, endpoint.limits)
                admitted = account.id
            call = await self._call(request, endpoint, params, account)
            entry.body = call.body
            reply = _as_reply(await endpoint.handler(self, call))
            reply.headers = {**self.answer_headers(account), **reply.headers}
        except Refusal as refusal:
            entry.refusal = refusal.kind
            refusal.endpoint = refusal.endpoint or entry.endpoint
            reply = self.refuse(refusal, call)
            reply.headers = {**self.answer_headers(account), **reply.headers}
        except Exception:  # a bug in a simulator: say so loudly, answer as a server would
            log.exception("%s: %s %s failed", type(self).__name__, entry.method, entry.path)
            entry.refusal = "server_error"
            reply = self.refuse(Refusal("server_error", "internal error in the simulator"), call)
        return reply, admitted

    def _route(self, method: str, path: str) -> tuple[Endpoint, dict[str, Any]]:
        allowed: list[str] = []
        for endpoint in self.endpoints:
            params = endpoint.match(path)
            if params is None:
                continue
            if endpoint.method == method:
                return endpoint, params
            allowed.append(endpoint.method)
        if allowed:
            raise Refusal(
                "method_not_allowed", f"{method} is not allowed here; use {', '.join(allowed)}"
            )
        raise Refusal("not_found", f"no such resource: {path}")

    async def _call(
        self,
        request: Request,
        endpoint: Endpoint,
        params: dict[str, Any],
        account: SimAccount | None,
    ) -> Call:
        for header in endpoint.headers:
            if header not in request.headers:
                raise Refusal("bad_request", f"the {header} header is required", field=header)
        raw = await request.body()
        return Call(
            endpoint=endpoint,
            method=request.method,
            path=request.url.path,
            base_url=str(request.base_url).rstrip("/"),
            path_params=params,
            headers=request.headers,
            query=validate_query(endpoint, request.query_params),
            body=parse_body(endpoint, request.headers.get("content-type"), raw),
            raw_body=raw,
            account=account,
        )

    def _response(self, reply: Reply) -> Response:
        body = reply.body
        if body is None:
            content = b""
            media = reply.content_type
        elif isinstance(body, bytes | str):
            content = body.encode() if isinstance(body, str) else body
            media = reply.content_type or "text/plain; charset=utf-8"
        else:
            content = json.dumps(body, separators=(",", ":")).encode()
            media = reply.content_type or self.media_type
        return Response(content, status_code=reply.status, headers=reply.headers, media_type=media)

    def _admin(self, request: Request, entry: Served) -> Response:
        """`GET /_simulator/log`, `POST /_simulator/reset`: for a simulator in its own process."""
        if entry.path == f"{_ADMIN}/log" and request.method == "GET":
            rows = [vars(s) for s in self.log]
            return Response(json.dumps(rows), media_type="application/json")
        if entry.path == f"{_ADMIN}/reset" and request.method == "POST":
            self.reset()
            return Response(status_code=204)
        return Response(status_code=404)


def _as_reply(result: Any) -> Reply:
    return result if isinstance(result, Reply) else Reply(result)


def _drop(receive: Receive) -> None:
    """Close the client's connection without a byte of answer (uvicorn's transport)."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("cannot drop the connection: not served by uvicorn")
    transport.close()


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
