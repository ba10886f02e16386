"""The Zendesk Support connector: people, tickets, webhooks and the ticket export.

Zendesk Support's REST API lives at https://{subdomain}.zendesk.com/api/v2.
It authenticates an agent's API token as HTTP basic `{email}/token:{token}`,
or an OAuth access token as a bearer. What this connector does with it:

- `handoff_find_person`: the requester behind an email (users/search) as a
  Contact (rule Q1, Z2);
- `handoff_create_case`: a ticket, with Zendesk's Idempotency-Key so a retried
  write does not open a second one (P4-P6);
- `handoff_parse_webhook`: a webhook verified with the SDK's signature helper
  (base64 HMAC-SHA256 of timestamp + body) and turned into events;
- `handoff_poll_events`: tickets changed since the last poll, through the
  cursor-based incremental export (Z6 reads "Escalated to Sales" there);
- tickets passed to sales (Z2-Z6): `handoff_get_ticket` (the ticket with its
  requester and assignee sideloaded), `handoff_ticket_comments`,
  `handoff_escalated_tickets` (a search on the "Escalated to Sales" box),
  `handoff_update_ticket` (assignee by email, the box, an internal note) and
  `handoff_apply_macro` (by title);
- methods for the rest of the Z rules: comment, tags, assignee, custom fields
  and the "Escalated to Sales" flag, macros ("Pass to Sales", "New Sales
  Quote"), and `create_many_tickets`, which writes 100 tickets per call and
  waits for each background job on the injected clock.

Traps handled here: list endpoints keep `links.next` on the last page, so
cursor pagination stops on `meta.has_more`; a 429 may come with a plain-text
body (Retry-After is what counts); errors come as `{"error": "RecordInvalid",
"details": ...}` or `{"error": {"title", "message"}}`; bulk writes answer with
a job to poll, not with the records; Idempotency-Key is honoured on ticket
creation only, so keyed updates carry a tag derived from the key
(`mapping.idempotency_tag`) and a retry that finds it writes nothing.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, model_validator

from handoff_sdk import (
    ApiError,
    ApiKeyAuth,
    BasicAuth,
    ConfigError,
    Connector,
    ConnectorConfig,
    Outcome,
    RateLimit,
    SecretSpec,
    Verdict,
    WebhookScheme,
    chunked,
    default_classify,
    follow_cursor,
    follow_next_url,
    hookimpl,
    response_json,
    verify_webhook,
    write_in_jobs,
)
from handoff_sdk.entities import (
    Case,
    Contact,
    Event,
    Lead,
    PollResult,
    Ticket,
    TicketComment,
    TicketUpdate,
    WebhookRequest,
    WriteError,
    WriteResult,
)

from . import mapping

__all__ = ["ZendeskConfig", "ZendeskConnector"]


def _ticket_number(ticket_id: str | int) -> int:
    """A ticket id as Zendesk's number; anything else is a ValueError naming it."""
    text = str(ticket_id).strip()
    if not text.isdigit():
        raise ValueError(f"zendesk: ticket id {ticket_id!r} is not a number")
    return int(text)


async def _written(update: Awaitable[Any], number: int) -> WriteResult:
    """The outcome of a ticket update: refused for its content (400, 422) is a failed result."""
    try:
        await update
    except ApiError as exc:
        if exc.status in (400, 422):
            return _failed(exc.code, exc.message)
        raise
    return WriteResult(index=0, ok=True, id=str(number), created=False)


def _failed(code: str | None, message: str, field: str | None = None) -> WriteResult:
    error = WriteError(code=code, message=f"zendesk: {message}", fields=[field] if field else [])
    return WriteResult(index=0, ok=False, errors=[error])


_JOB_RUNNING = frozenset({"queued", "working"})
_START_TIME_CURSOR = "start_time:"
_ENDPOINT_LIMIT = re.compile(r"remaining=(\d+).*?resets=(\d+)")


class ZendeskConfig(ConnectorConfig):
    """`[connectors.zendesk]` in handoff.toml."""

    subdomain: str = Field(
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="Your Zendesk subdomain: 'acme' for https://acme.zendesk.com.",
    )
    base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/?#]+$",
        description="API root, for a proxy or a test server only; "
        "default https://{subdomain}.zendesk.com.",
    )
    auth: Literal["api_token", "oauth"] = Field(
        default="api_token",
        description="'api_token': an agent's API token (secret api_token) with `email`; "
        "'oauth': an OAuth access token (secret access_token).",
    )
    email: str | None = Field(
        default=None,
        description="Email of the agent who owns the API token (auth = 'api_token').",
    )
    escalated_to_sales_field_id: int | None = Field(
        default=None,
        description="Id of the checkbox ticket field 'Escalated to Sales' (rule Z6).",
    )
    job_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Longest wait between polls of create_many jobs (the first is immediate, "
        "then the waits grow from 0.1 s up to this).",
    )
    job_timeout_seconds: float = Field(
        default=600.0, gt=0, description="Give up waiting on a create_many job after this long."
    )
    poll_max_pages: int = Field(
        default=5,
        ge=1,
        description="Most incremental-export pages read per poll (Zendesk allows 10 a minute).",
    )
    webhook_replay_window_seconds: int = Field(
        default=300,
        gt=0,
        description="Refuse webhooks signed longer ago (or further ahead) than this.",
    )

    @model_validator(mode="after")
    def _email_for_api_token(self) -> ZendeskConfig:
        if self.auth == "api_token" and not self.email:
            raise ValueError("'email' is required when auth = 'api_token'")
        return self

    def required_secrets(self) -> list[str]:
        """Only the credential the chosen auth uses; the webhook secret only for webhooks."""
        return ["access_token"] if self.auth == "oauth" else ["api_token"]


class ZendeskConnector(Connector[ZendeskConfig]):
    """Zendesk Support: find requesters, open and work tickets, hear about changes."""

    name = "zendesk"
    title = "Zendesk Support"
    secret_specs = (
        SecretSpec(
            name="api_token",
            description="Zendesk API token (Admin Center > Apps and integrations > APIs > "
            "API tokens), used with the agent `email` when auth = 'api_token'.",
        ),
        SecretSpec(
            name="access_token",
            description="OAuth access token of a Zendesk OAuth client, when auth = 'oauth'.",
        ),
        SecretSpec(
            name="webhook_signing_secret",
            description="Signing secret of the Zendesk webhook that posts to handoff "
            "(Admin Center > Webhooks > the webhook > Reveal secret).",
        ),
    )
    default_rate_limit = RateLimit(requests=200, per_seconds=60, concurrency=5)
    simulator = "handoff_zendesk.simulator:ZendeskSimulator"

    create_many_limit: ClassVar[int] = 100
    """Tickets per create_many call: Zendesk refuses more (TooManyValues)."""
    max_queued_jobs: ClassVar[int] = 30
    """Background jobs Zendesk keeps queued per account; create_many waits in waves of this."""

    # -- configuration and auth ---------------------------------------------------

    def build_auth(self) -> httpx.Auth:
        """API token as basic `{email}/token`, or the OAuth access token as a bearer."""
        if self.config.auth == "oauth":
            return ApiKeyAuth(self.secret_store, "access_token", prefix="Bearer ")
        return BasicAuth(self.secret_store, f"{self.config.email}/token", "api_token")

    def url(self, path: str) -> str:
        """The full URL of an API path ('/api/v2/tickets.json')."""
        root = self.config.base_url or f"https://{self.config.subdomain}.zendesk.com"
        return f"{root}{path}"

    # -- reading responses ----------------------------------------------------------

    def classify(self, response: httpx.Response) -> Outcome:
        """Status first (SDK default), then Zendesk's own error bodies for code and message.

        A 409 is a conflict between simultaneous writes and worth retrying,
        except `UpdateConflict`: a safe update found the ticket changed, and
        only re-reading it helps.
        """
        outcome = default_classify(response, self.clock.now())
        if outcome.verdict is Verdict.OK:
            return outcome
        code, message, _fields = mapping.error_summary(response_json(response))
        verdict = outcome.verdict
        if response.status_code == 409:
            verdict = Verdict.FAIL if code == "UpdateConflict" else Verdict.RETRY
        if message is None:  # not a Zendesk error body (a text 429, an HTML page)
            code, message = outcome.code, outcome.message
        return Outcome(verdict, code, message, outcome.retry_after, outcome.rate_limited)

    def observe(self, response: httpx.Response) -> None:
        """Pause the budget when Zendesk says a limit is used up, before it answers 429.

        `ratelimit-remaining`/`ratelimit-reset` cover the account's
        requests per minute; `zendesk-ratelimit-<endpoint>` headers
        ("total=100; remaining=0; resets=30") cover endpoint limits such as
        the tickets index or the incremental export.
        """
        waits: list[float] = []
        remaining = response.headers.get("ratelimit-remaining")
        reset = response.headers.get("ratelimit-reset")
        if remaining is not None and reset is not None and remaining.strip() == "0":
            with contextlib.suppress(ValueError):
                waits.append(float(reset))
        for name, value in response.headers.items():
            if name.lower().startswith("zendesk-ratelimit-"):
                match = _ENDPOINT_LIMIT.search(value)
                if match and match.group(1) == "0":
                    waits.append(float(match.group(2)))
        if waits:
            self.budget.pause_for(max(waits))

    def _object(self, body: Any, what: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(self.name, 200, "UnexpectedBody", f"{what}: expected a JSON object")
        return body

    # -- capabilities ---------------------------------------------------------------

    @hookimpl
    async def handoff_find_person(self, email: str) -> Lead | Contact | None:
        """Q1, Z2: the Zendesk user with this email (end-user or agent) as a Contact."""
        wanted = email.strip().lower()
        if "@" not in wanted:
            return None
        body = self._object(
            await self.request_json(
                "GET", self.url("/api/v2/users/search.json"), params={"query": f"email:{wanted}"}
            ),
            "users/search",
        )
        for user in body.get("users") or []:
            if isinstance(user, dict) and str(user.get("email") or "").lower() == wanted:
                return mapping.user_to_contact(user)
        return None

    @hookimpl
    async def handoff_create_case(self, case: Case, idempotency_key: str) -> WriteResult:
        """P4-P6, Z2: open a ticket; the idempotency key makes a retried create a no-op.

        A ticket Zendesk refuses for its content (400, 422 RecordInvalid) is a
        failed WriteResult naming the fields; any other refusal raises.
        """
        try:
            body = self._object(
                await self.request_json(
                    "POST",
                    self.url("/api/v2/tickets.json"),
                    json={"ticket": mapping.case_to_ticket(case)},
                    idempotency_key=idempotency_key,
                ),
                "create ticket",
            )
        except ApiError as exc:
            if exc.status in (400, 422):
                return WriteResult(
                    index=0, ok=False, errors=[WriteError(code=exc.code, message=exc.message)]
                )
            raise
        ticket = body.get("ticket") or {}
        return WriteResult(index=0, ok=True, id=str(ticket.get("id")), created=True)

    @hookimpl
    async def handoff_parse_webhook(self, request: WebhookRequest) -> list[Event]:
        """Verify the Zendesk signature (and its age), then read the events.

        Raises WebhookSignatureError when the signature is missing or wrong,
        or the delivery is outside the replay window on the injected clock.
        """
        signed_at = verify_webhook(
            WebhookScheme.ZENDESK,
            secret=self.secret_store.get("webhook_signing_secret"),
            headers=request.headers,
            body=request.body,
            clock=self.clock,
            window=timedelta(seconds=self.config.webhook_replay_window_seconds),
            connector=self.name,
        )
        return mapping.webhook_events(request.body, request.headers, signed_at)

    @hookimpl
    async def handoff_poll_events(self, cursor: str | None) -> PollResult:
        """Tickets created, changed or deleted since `cursor`, oldest first.

        Reads the cursor-based incremental ticket export; without a cursor it
        starts a minute ago (the export leaves out the last minute anyway). At
        most `poll_max_pages` pages per poll: the export allows 10 calls a
        minute, and the returned cursor continues where this poll stopped.
        """
        url = self.url("/api/v2/incremental/tickets/cursor.json")
        if cursor is None:
            first: dict[str, Any] = {"start_time": int(self.clock.now().timestamp()) - 60}
        elif cursor.startswith(_START_TIME_CURSOR):
            first = {"start_time": int(cursor.removeprefix(_START_TIME_CURSOR))}
        else:
            first = {"cursor": cursor}
        position = cursor or f"{_START_TIME_CURSOR}{first['start_time']}"

        async def fetch(page_cursor: str | None) -> dict[str, Any]:
            params = {"cursor": page_cursor} if page_cursor else first
            return self._object(await self.request_json("GET", url, params=params), "export")

        events: list[Event] = []
        pages = 0
        async for page in follow_cursor(
            fetch,
            next_cursor=lambda p: p.get("after_cursor"),
            has_more=lambda p: p.get("end_of_stream") is False,
            connector=self.name,
        ):
            pages += 1
            events += [
                mapping.ticket_to_event(t, self.config.escalated_to_sales_field_id)
                for t in page.get("tickets") or []
                if isinstance(t, dict)
            ]
            if page.get("after_cursor"):
                position = str(page["after_cursor"])
            if pages >= self.config.poll_max_pages:
                break
        return PollResult(events=events, cursor=position)

    # -- tickets passed to sales (Z2-Z6) ------------------------------------------------

    def _agent_url(self) -> str:
        return self.config.base_url or f"https://{self.config.subdomain}.zendesk.com"

    @hookimpl
    async def handoff_get_ticket(self, ticket_id: str) -> Ticket | None:
        """Z2-Z6: the ticket with its requester and assignee (sideloaded); None when gone."""
        try:
            body = self._object(
                await self.request_json(
                    "GET",
                    self.url(f"/api/v2/tickets/{_ticket_number(ticket_id)}.json"),
                    params={"include": "users"},
                ),
                "ticket",
            )
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return mapping.ticket_to_entity(
            self._object(body.get("ticket"), "ticket"),
            body.get("users"),
            self.config.escalated_to_sales_field_id,
            self._agent_url(),
        )

    @hookimpl
    async def handoff_ticket_comments(self, ticket_id: str) -> list[TicketComment]:
        """Z6: every comment of the ticket, oldest first, with each author's email."""
        path = f"/api/v2/tickets/{_ticket_number(ticket_id)}/comments.json"
        comments: list[TicketComment] = []
        async for page in self._pages(path, "comments", params={"include": "users"}):
            emails = mapping.user_emails(page.get("users"))
            comments += [
                mapping.comment_to_entity(c, emails)
                for c in page.get("comments") or []
                if isinstance(c, dict)
            ]
        return comments

    @hookimpl
    async def handoff_escalated_tickets(self) -> list[Ticket]:
        """Z6: unsolved tickets with "Escalated to Sales" ticked, through the search API.

        The search answers tickets without their people, so the requesters'
        and assignees' emails are read with users/show_many, 100 ids a call.
        """
        field_id = self._escalated_field()
        found = await self.search(
            f"type:ticket status<solved custom_field_{field_id}:true", limit=1000
        )
        tickets = [t for t in found if t.get("result_type", "ticket") == "ticket"]
        wanted = sorted(
            {
                str(t[key])
                for t in tickets
                for key in ("requester_id", "assignee_id")
                if t.get(key) is not None
            }
        )
        users: list[dict[str, Any]] = []
        for _offset, chunk in chunked(wanted, 100):
            body = self._object(
                await self.request_json(
                    "GET",
                    self.url("/api/v2/users/show_many.json"),
                    params={"ids": ",".join(chunk)},
                ),
                "users",
            )
            users += [u for u in body.get("users") or [] if isinstance(u, dict)]
        return [mapping.ticket_to_entity(t, users, field_id, self._agent_url()) for t in tickets]

    def _escalated_field(self) -> int:
        field_id = self.config.escalated_to_sales_field_id
        if field_id is None:
            raise ConfigError(
                self.name,
                "escalated_to_sales_field_id",
                "set it to the id of the 'Escalated to Sales' ticket field",
            )
        return field_id

    async def agent_id(self, email: str, *, idempotency_key: str | None = None) -> int | None:
        """The id of the agent (or admin) with this email, None when there is none.

        `idempotency_key`: the write this read is part of, sent along for tracing.
        """
        wanted = email.strip().lower()
        body = self._object(
            await self.request_json(
                "GET",
                self.url("/api/v2/users/search.json"),
                params={"query": f"email:{wanted}"},
                idempotency_key=idempotency_key,
            ),
            "users/search",
        )
        for user in body.get("users") or []:
            if (
                isinstance(user, dict)
                and str(user.get("email") or "").lower() == wanted
                and user.get("role") in ("agent", "admin")
            ):
                return int(user["id"])
        return None

    @hookimpl
    async def handoff_update_ticket(
        self, update: TicketUpdate, idempotency_key: str
    ) -> WriteResult:
        """Z2, Z4: assign by email, tick the box, add an internal note, once per key.

        The ticket is read first: one that carries the key's tag had this
        update already, and is not written again. An assignee email that is no
        agent, or a ticket Zendesk refuses (422), is a failed WriteResult.
        """
        number = _ticket_number(update.ticket_id)
        mark = mapping.idempotency_tag(idempotency_key)
        current = await self.get_ticket(number, idempotency_key=idempotency_key)
        if mark in (current.get("tags") or []):
            return WriteResult(index=0, ok=True, id=str(number), created=False)
        assignee: int | None = None
        if update.assignee_email:
            assignee = await self.agent_id(update.assignee_email, idempotency_key=idempotency_key)
            if assignee is None:
                return _failed(
                    "AssigneeNotFound",
                    f"no Zendesk agent has the email {update.assignee_email!r}",
                    "assignee_email",
                )
        escalated = self._escalated_field() if update.escalated_to_sales is not None else None
        changes = mapping.update_changes(
            update, assignee_id=assignee, escalated_field_id=escalated, mark=mark
        )
        return await _written(
            self.update_ticket(number, changes, idempotency_key=idempotency_key), number
        )

    async def macro_id(self, title: str, *, idempotency_key: str | None = None) -> int | None:
        """The id of the active macro with this title (case and spaces aside), or None."""
        spaced = " ".join(title.split())
        wanted = spaced.lower()
        body = self._object(
            await self.request_json(
                "GET",
                self.url("/api/v2/macros/search.json"),
                params={"query": spaced, "active": "true"},
                idempotency_key=idempotency_key,
            ),
            "macros/search",
        )
        for macro in body.get("macros") or []:
            if not isinstance(macro, dict) or macro.get("active") is False:
                continue
            if " ".join(str(macro.get("title") or "").split()).lower() == wanted:
                return int(macro["id"])
        return None

    @hookimpl
    async def handoff_apply_macro(
        self, ticket_id: str, macro: str, idempotency_key: str
    ) -> WriteResult:
        """Z2, Z4: apply the macro titled `macro` once per key; an unknown title fails the write."""
        number = _ticket_number(ticket_id)
        found = await self.macro_id(macro, idempotency_key=idempotency_key)
        if found is None:
            return _failed("MacroNotFound", f"no active macro is titled {macro!r}", "macro")
        return await _written(
            self.apply_macro(number, found, idempotency_key=idempotency_key), number
        )

    # -- reading tickets, users, organizations ------------------------------------------

    async def iter_pages(
        self, path: str, key: str, *, page_size: int = 100, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The records of a cursor-paginated list endpoint, page by page."""
        async for page in self._pages(path, key, page_size=page_size, params=params):
            yield [item for item in page.get(key) or [] if isinstance(item, dict)]

    async def _pages(
        self, path: str, key: str, *, page_size: int = 100, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Each whole page of a cursor-paginated list endpoint (records and sideloads).

        Zendesk sets `links.next` even on the last page; `meta.has_more` is
        what says there is more, so that is what ends the loop.
        """

        async def fetch(after: str | None) -> dict[str, Any]:
            query = {**(params or {}), "page[size]": page_size}
            if after:
                query["page[after]"] = after
            return self._object(await self.request_json("GET", self.url(path), params=query), key)

        async for page in follow_cursor(
            fetch,
            next_cursor=lambda p: (p.get("meta") or {}).get("after_cursor"),
            has_more=lambda p: bool((p.get("meta") or {}).get("has_more")),
            connector=self.name,
        ):
            yield page

    async def list_tickets(self, *, page_size: int = 100) -> list[dict[str, Any]]:
        """Every ticket, through cursor pagination (for small accounts and tests)."""
        return [
            t
            async for page in self.iter_pages(
                "/api/v2/tickets.json", "tickets", page_size=page_size
            )
            for t in page
        ]

    async def get_ticket(
        self, ticket_id: int, *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """One ticket as Zendesk returns it (`idempotency_key`: the write it is read for)."""
        body = await self.request_json(
            "GET",
            self.url(f"/api/v2/tickets/{int(ticket_id)}.json"),
            idempotency_key=idempotency_key,
        )
        return dict(self._object(body, "ticket").get("ticket") or {})

    async def get_user(self, user_id: int) -> dict[str, Any]:
        """One user (a ticket's requester_id or assignee_id) as Zendesk returns it."""
        body = await self.request_json("GET", self.url(f"/api/v2/users/{int(user_id)}.json"))
        return dict(self._object(body, "user").get("user") or {})

    async def get_organization(self, organization_id: int) -> dict[str, Any]:
        """One organization (its `domain_names` tie it to a CRM account, Z2)."""
        body = await self.request_json(
            "GET", self.url(f"/api/v2/organizations/{int(organization_id)}.json")
        )
        return dict(self._object(body, "organization").get("organization") or {})

    async def search(self, query: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """Results of a Zendesk search ('type:ticket requester:ana@example.com'), up to `limit`.

        The search API pages with `next_page` URLs and stops at 1,000 results.
        """
        first = str(httpx.URL(self.url("/api/v2/search.json"), params={"query": query}))
        found: list[dict[str, Any]] = []

        async def fetch(url: str) -> dict[str, Any]:
            return self._object(await self.request_json("GET", url), "search")

        def next_page(page: dict[str, Any]) -> str | None:
            return page.get("next_page") if len(found) < limit else None

        async for page in follow_next_url(
            fetch,
            first,
            next_page,
            connector=self.name,
        ):
            found += [r for r in page.get("results") or [] if isinstance(r, dict)]
        return found[:limit]

    # -- working a ticket (rules Z2-Z6) ----------------------------------------------

    async def update_ticket(
        self, ticket_id: int, changes: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Change a ticket (`{"status": "pending", "comment": {...}}`); returns the ticket."""
        body = await self.request_json(
            "PUT",
            self.url(f"/api/v2/tickets/{int(ticket_id)}.json"),
            json={"ticket": dict(changes)},
            idempotency_key=idempotency_key,
        )
        return dict(self._object(body, "update ticket").get("ticket") or {})

    async def add_comment(
        self, ticket_id: int, text: str, *, public: bool = False, html: bool = False
    ) -> dict[str, Any]:
        """Add a comment: private (an internal note) unless `public`, which emails the requester."""
        comment = {"html_body" if html else "body": text, "public": public}
        return await self.update_ticket(ticket_id, {"comment": comment})

    async def add_tags(self, ticket_id: int, tags: Sequence[str]) -> list[str]:
        """Add tags, keeping the ticket's others; returns all its tags."""
        return await self._tags("PUT", ticket_id, tags)

    async def remove_tags(self, ticket_id: int, tags: Sequence[str]) -> list[str]:
        """Remove tags; returns the tags left."""
        return await self._tags("DELETE", ticket_id, tags)

    async def set_tags(self, ticket_id: int, tags: Sequence[str]) -> list[str]:
        """Replace all the ticket's tags."""
        return await self._tags("POST", ticket_id, tags)

    async def _tags(self, method: str, ticket_id: int, tags: Sequence[str]) -> list[str]:
        body = await self.request_json(
            method,
            self.url(f"/api/v2/tickets/{int(ticket_id)}/tags.json"),
            json={"tags": list(tags)},
        )
        return [str(t) for t in self._object(body, "tags").get("tags") or []]

    async def assign(
        self, ticket_id: int, assignee_id: int | None, *, group_id: int | None = None
    ) -> dict[str, Any]:
        """Pass the ticket to an agent (Z2, Z4), optionally with their group; None unassigns."""
        changes: dict[str, Any] = {"assignee_id": assignee_id}
        if group_id is not None:
            changes["group_id"] = group_id
        return await self.update_ticket(ticket_id, changes)

    async def set_custom_fields(self, ticket_id: int, values: Mapping[int, Any]) -> dict[str, Any]:
        """Set custom ticket fields by id; fields not named keep their values."""
        fields = [{"id": int(field_id), "value": value} for field_id, value in values.items()]
        return await self.update_ticket(ticket_id, {"custom_fields": fields})

    async def mark_escalated_to_sales(
        self, ticket_id: int, escalated: bool = True
    ) -> dict[str, Any]:
        """Tick (or untick) "Escalated to Sales", the checkbox Z6's daily review reads."""
        return await self.set_custom_fields(ticket_id, {self._escalated_field(): escalated})

    async def apply_macro(
        self, ticket_id: int, macro_id: int, *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Apply a macro ("Pass to Sales", "New Sales Quote"), as an agent would.

        Zendesk's API only previews a macro (its comment rendered for this
        ticket); the previewed changes are then written with a safe update, so
        a ticket changed in between is not overwritten: on Zendesk's
        UpdateConflict the macro is previewed and written once more. With an
        `idempotency_key` the update adds the key's tag, and a ticket that has
        it already (the macro was applied under that key) is returned unchanged.
        """
        mark = mapping.idempotency_tag(idempotency_key) if idempotency_key else None
        preview_url = self.url(
            f"/api/v2/tickets/{int(ticket_id)}/macros/{int(macro_id)}/apply.json"
        )
        for attempt in (1, 2):
            preview = self._object(
                await self.request_json("GET", preview_url, idempotency_key=idempotency_key),
                "macro preview",
            )
            result = preview.get("result") or {}
            previewed = result.get("ticket") if isinstance(result, dict) else None
            tags = list((previewed or {}).get("tags") or []) if isinstance(previewed, dict) else []
            if mark is not None and mark in tags:
                return dict(previewed or {})
            changes = mapping.macro_changes(result)
            if mark is not None:
                if "tags" in changes:
                    changes["tags"] = [*changes["tags"], mark]
                else:
                    changes["additional_tags"] = [mark]
            try:
                return await self.update_ticket(ticket_id, changes, idempotency_key=idempotency_key)
            except ApiError as exc:
                if exc.status == 409 and attempt == 1:
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- bulk creation ------------------------------------------------------------------

    async def create_many_tickets(
        self, tickets: Sequence[Case | Mapping[str, Any]], idempotency_key: str
    ) -> list[WriteResult]:
        """Create tickets 100 per call; one WriteResult per input, in input order.

        Each call starts a background job. The calls go out side by side
        (within the budget's concurrency), never more than `max_queued_jobs`
        jobs unfinished at once (Zendesk's queue limit: more start as jobs
        finish), and every pending job is polled in one call
        (`job_statuses/show_many`): the first poll right after the first
        starts, then at growing intervals up to `job_poll_seconds`. A chunk
        the API refuses outright fails its records with that error; a job
        still running after `job_timeout_seconds` fails its records naming
        the job, so an operator can look before retrying.
        """
        finished: dict[str, dict[str, Any]] = {}

        async def start(chunk: Sequence[Case | Mapping[str, Any]], key: str) -> tuple[str, int]:
            body = await self.request_json(
                "POST",
                self.url("/api/v2/tickets/create_many.json"),
                json={"tickets": mapping.chunk_payloads(chunk)},
                idempotency_key=key,
            )
            job = self._object(self._object(body, "create_many").get("job_status"), "job")
            if job.get("status") not in _JOB_RUNNING:  # done already: nothing to poll
                finished[str(job["id"])] = job
            return str(job["id"]), len(chunk)

        async def poll(jobs: Sequence[tuple[str, int]]) -> list[list[WriteResult] | None]:
            asking = [j for j, _ in jobs if j not in finished]
            statuses = {str(s.get("id")): s for s in await self.job_statuses(asking)} | finished
            answers: list[list[WriteResult] | None] = []
            for job_id, size in jobs:
                status = statuses.get(job_id, {"id": job_id, "status": "queued"})
                running = status.get("status") in _JOB_RUNNING
                answers.append(None if running else mapping.job_write_results(status, size))
            return answers

        def timed_out(job: tuple[str, int]) -> WriteError:
            return WriteError(
                code="job_timeout",
                message=f"job {job[0]} still running after {self.config.job_timeout_seconds:g} s; "
                f"check /api/v2/job_statuses/{job[0]} before retrying",
            )

        return await write_in_jobs(
            tickets,
            self.create_many_limit,
            start,
            poll,
            idempotency_key,
            clock=self.clock,
            concurrency=self.budget.limit.concurrency,
            max_pending=self.max_queued_jobs,
            max_interval=self.config.job_poll_seconds,
            give_up_after=self.config.job_timeout_seconds,
            timed_out=timed_out,
        )

    async def job_statuses(self, job_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The current state of several background jobs, in one call (up to 100 ids)."""
        statuses: list[dict[str, Any]] = []
        for start in range(0, len(job_ids), 100):
            ids = ",".join(job_ids[start : start + 100])
            body = await self.request_json(
                "GET", self.url("/api/v2/job_statuses/show_many.json"), params={"ids": ids}
            )
            found = self._object(body, "job statuses").get("job_statuses") or []
            statuses += [s for s in found if isinstance(s, dict)]
        return statuses

    async def job_status(self, job_id: str) -> dict[str, Any]:
        """The current state of a background job."""
        body = await self.request_json("GET", self.url(f"/api/v2/job_statuses/{job_id}.json"))
        return self._object(self._object(body, "job status").get("job_status"), "job status")

    async def wait_for_job(self, job: Mapping[str, Any]) -> dict[str, Any]:
        """Poll a job until it is no longer queued or working (or the timeout passes).

        A job still running at the timeout is returned as it is; its records
        are then reported failed with the job's id, so an operator can look
        before retrying.
        """
        current = dict(job)
        deadline = self.clock.monotonic() + self.config.job_timeout_seconds
        while current.get("status") in _JOB_RUNNING:
            if self.clock.monotonic() >= deadline:
                current["message"] = (
                    f"still {current.get('status')} after {self.config.job_timeout_seconds:g} s; "
                    f"check /api/v2/job_statuses/{current.get('id')} before retrying"
                )
                break
            await self.clock.sleep(self.config.job_poll_seconds)
            current = await self.job_status(str(current["id"]))
        return current
