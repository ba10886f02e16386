"""The Outreach connector: who is sequencing a person (rule Q3a), and sequence-state webhooks.

Outreach's REST API (https://api.outreach.io/api/v2) speaks JSON:API
(`application/vnd.api+json`) and authenticates an OAuth2 access token that
lives two hours; the refresh token is rotated on every refresh, and the SDK's
flow writes the new one back to the secret store. What this connector does
with it:

- `handoff_sequence_state`: the prospect behind an email, then that
  prospect's sequence states with their sequence, mailbox and creator
  side-loaded (`include=`), so a sequenced person costs two calls; the state
  the rep is working (see `mapping.DEFAULT_ACTIVE_STATES`) becomes a
  canonical SequenceState with the rep's id and email (rule Q3a);
- `handoff_parse_webhook`: a delivery verified with the SDK's signature
  helper (hex HMAC-SHA256 of the body, age from the signed
  `meta.deliveredAt`) and turned into `outreach.sequence_state.changed`
  events.

Traps handled here: lists page with `links.next` (absent on the last page);
`included` records come per page; webhook relationships are not wrapped in
`data`; the limit is 10,000 calls an hour per user, reported in
X-RateLimit-* headers, and a spent limit is a 429 whose detail says when to
try again; a refused token was answered with a bare text body.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from pydantic import Field, field_validator

from handoff_sdk import (
    ApiError,
    Clock,
    Connector,
    ConnectorConfig,
    OAuth2RefreshToken,
    Outcome,
    RateLimit,
    SecretAccess,
    SecretSpec,
    Verdict,
    WebhookScheme,
    default_classify,
    follow_next_url,
    hookimpl,
    response_json,
    verify_webhook,
)
from handoff_sdk.entities import Event, SequenceState, WebhookRequest

from . import mapping

__all__ = ["API_BASE", "JSON_API", "TOKEN_URL", "OutreachConfig", "OutreachConnector", "RateStatus"]

API_BASE = "https://api.outreach.io/api/v2"
"""Root of Outreach's REST API."""
TOKEN_URL = "https://api.outreach.io/oauth/token"  # noqa: S105 - a URL, not a secret
"""Outreach's OAuth2 token endpoint."""
JSON_API = "application/vnd.api+json"
"""The media type of every Outreach request and answer."""

STATE_INCLUDES = "sequence,mailbox,creator"
"""What a sequence-state listing side-loads: the sequence's name and the two owner sources."""


class OutreachConfig(ConnectorConfig):
    """`[connectors.outreach]` in handoff.toml."""

    client_id: str = Field(
        min_length=1,
        description="Application identifier of your Outreach OAuth app "
        "(developers.outreach.io > the app > API access).",
    )
    redirect_uri: str | None = Field(
        default=None,
        description="The app's redirect URI; sent with every token refresh when set, "
        "as Outreach's OAuth documentation shows.",
    )
    base_url: str = Field(
        default=API_BASE,
        pattern=r"^https?://[^?#]+[^/?#]$",
        description="API root; change it for a proxy or a test server only.",
    )
    token_url: str = Field(
        default=TOKEN_URL,
        pattern=r"^https?://[^?#]+$",
        description="OAuth2 token endpoint; change it for a proxy or a test server only.",
    )
    active_states: tuple[str, ...] = Field(
        default=mapping.DEFAULT_ACTIVE_STATES,
        min_length=1,
        description="Sequence-state values that count as 'actively sequenced' (rule Q3a), "
        "most engaged first: when a person is in several sequences, the first listed wins.",
    )
    owner_sources: tuple[mapping.OwnerSource, ...] = Field(
        default=mapping.DEFAULT_OWNER_SOURCES,
        min_length=1,
        description="Where the rep running a sequence is read, first found wins: 'mailbox' "
        "(owner of the sending mailbox) and 'creator' (who added the prospect).",
    )
    page_size: int = Field(
        default=100, ge=1, le=1000, description="Records per page of a listing (page[size])."
    )
    webhook_replay_window_seconds: int = Field(
        default=300,
        gt=0,
        description="Refuse webhooks whose signed meta.deliveredAt is further than this from now.",
    )

    @field_validator("active_states")
    @classmethod
    def _lower_states(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        states = tuple(s.strip().lower() for s in value)
        if any(not s for s in states):
            raise ValueError("active_states holds an empty state")
        return states

    def required_secrets(self) -> list[str]:
        """The OAuth app's secret and the refresh token; the webhook secret only for webhooks."""
        return ["client_secret", "refresh_token"]


class OutreachRefreshToken(OAuth2RefreshToken):
    """The SDK's refresh-token flow, plus the redirect_uri Outreach's token endpoint takes."""

    def __init__(
        self,
        *,
        connector: str,
        clock: Clock,
        secrets: SecretAccess,
        token_url: str,
        client_id: str,
        redirect_uri: str | None,
    ) -> None:
        super().__init__(
            connector=connector,
            clock=clock,
            secrets=secrets,
            token_url=token_url,
            client_id=client_id,
        )
        self._redirect_uri = redirect_uri

    def build_token_request(self) -> httpx.Request:
        """The SDK's refresh request, with redirect_uri added to the form when configured."""
        request = super().build_token_request()
        if not self._redirect_uri:
            return request
        form = dict(httpx.QueryParams(request.content.decode("utf-8")))
        form["redirect_uri"] = self._redirect_uri
        return httpx.Request("POST", request.url, data=form)


@dataclass(frozen=True)
class RateStatus:
    """What the last response's X-RateLimit-* headers said about the hourly budget."""

    limit: int | None
    remaining: int | None
    reset_in_seconds: float | None


def _header(headers: httpx.Headers, *names: str) -> str | None:
    for name in names:
        value = headers.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return None


class OutreachConnector(Connector[OutreachConfig]):
    """Outreach: is this person in a rep's active sequence, and hear when that changes."""

    name = "outreach"
    title = "Outreach"
    secret_specs = (
        SecretSpec(
            name="client_secret",
            description="Application secret of your Outreach OAuth app "
            "(developers.outreach.io > the app > API access).",
        ),
        SecretSpec(
            name="refresh_token",
            description="Refresh token from authorizing the app as the integration user "
            "(scopes prospects.read sequenceStates.read sequences.read mailboxes.read "
            "users.read); Outreach rotates it on each refresh and handoff stores the new one.",
        ),
        SecretSpec(
            name="webhook_secret",
            description="The secret given when the Outreach webhook posting to handoff was "
            "created (POST /webhooks attributes.secret); only webhooks need it.",
        ),
    )
    # Outreach allows 10,000 calls an hour per user; the hub keeps a little headroom
    # for the other integrations that authorize as the same user.
    default_rate_limit = RateLimit(requests=9000, per_seconds=3600, concurrency=5)
    # Outreach has no idempotency header; this one only lets a call be traced.
    idempotency_header = "X-Handoff-Idempotency-Key"
    simulator = "handoff_outreach.simulator:OutreachSimulator"

    rate_status: RateStatus | None = None
    """The hourly budget as the last response reported it."""

    # -- configuration and auth ---------------------------------------------------

    def build_auth(self) -> httpx.Auth:
        """OAuth2 refresh-token grant against Outreach's token endpoint, rotation written back."""
        cfg = self.config
        return OutreachRefreshToken(
            connector=self.name,
            clock=self.clock,
            secrets=self.secret_store,
            token_url=cfg.token_url,
            client_id=cfg.client_id,
            redirect_uri=cfg.redirect_uri,
        )

    def url(self, path: str) -> str:
        """The full URL of an API path ('/prospects')."""
        return f"{self.config.base_url}{path}"

    # -- reading responses ----------------------------------------------------------

    def _reset_wait(self, headers: httpx.Headers) -> float | None:
        return mapping.reset_seconds(
            _header(headers, "x-ratelimit-reset", "x-rate-limit-reset"), self.clock.now()
        )

    def classify(self, response: httpx.Response) -> Outcome:
        """Status first (SDK default), then Outreach's `errors` list for code and message.

        401: the token expired or was revoked, refresh once (the SDK does).
        429: the hourly limit is spent; the wait is Retry-After, else
        X-RateLimit-Reset, else the "try again at" time in the error's detail,
        and a wait longer than the retry policy allows fails at once as
        rate limited instead of holding a routing decision for an hour.
        An `errors` document in a 200 is a failure too.
        """
        now = self.clock.now()
        outcome = default_classify(response, now)
        body = response_json(response)
        code, message = mapping.error_summary(body)
        if outcome.verdict is Verdict.OK:
            if isinstance(body, Mapping) and message is not None and "data" not in body:
                return Outcome(Verdict.FAIL, code, message)
            return outcome
        if message is None:  # not a JSON:API error document (a text 401, an HTML 502)
            code, message = outcome.code, outcome.message
        retry_after = outcome.retry_after
        if response.status_code == 429 and retry_after is None:
            retry_after = self._reset_wait(response.headers)
            if retry_after is None:
                retry_after = mapping.retry_after_from_detail(message, now)
        if response.status_code == 403 and message is not None:
            message = (
                f"{message} (check the scopes the refresh token was granted: prospects.read, "
                "sequenceStates.read, sequences.read, mailboxes.read, users.read)"
            )
        return Outcome(outcome.verdict, code, message, retry_after, outcome.rate_limited)

    def observe(self, response: httpx.Response) -> None:
        """Keep the hourly budget from X-RateLimit-*; pause before a 429 when it is spent.

        The budget is paused only when the reset is within the retry policy's
        longest wait: a reset an hour away would stall every caller, so the
        next call is left to fail fast with the API's own 429.
        """
        headers = response.headers
        limit = _header(headers, "x-ratelimit-limit", "x-rate-limit-limit")
        remaining = _header(headers, "x-ratelimit-remaining", "x-rate-limit-remaining")
        if limit is None and remaining is None:
            return
        reset = self._reset_wait(headers)

        def number(value: str | None) -> int | None:
            with contextlib.suppress(ValueError, TypeError):
                return int(str(value).strip())
            return None

        self.rate_status = RateStatus(number(limit), number(remaining), reset)
        if self.rate_status.remaining == 0 and reset and reset <= self.retry_policy.max_seconds:
            self.budget.pause_for(reset)

    # -- reading listings -------------------------------------------------------------

    async def _get(self, url: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = await self.request_json("GET", url, params=params, headers={"Accept": JSON_API})
        if not isinstance(body, dict):
            raise ApiError(self.name, 200, "UnexpectedBody", f"{url}: expected a JSON:API document")
        return body

    async def list_records(
        self, path: str, params: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]:
        """Every record of a listing, following `links.next`, with the `included` of all pages.

        JSON:API puts the side-loaded records on the page that refers to them,
        so they are gathered across pages into one index keyed by (type, id).
        """
        first = str(
            httpx.URL(self.url(path), params={**params, "page[size]": self.config.page_size})
        )
        records: list[dict[str, Any]] = []
        included: list[Any] = []

        def next_url(page: dict[str, Any]) -> str | None:
            links = page.get("links")
            link = links.get("next") if isinstance(links, dict) else None
            return link if isinstance(link, str) and link else None

        async for page in follow_next_url(self._get, first, next_url, connector=self.name):
            data = page.get("data")
            records += [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []
            extra = page.get("included")
            included += extra if isinstance(extra, list) else []
        return records, mapping.index_included(included)

    async def find_prospect_ids(self, email: str) -> list[str]:
        """Ids of the prospects that carry this email (normally one; duplicates are possible)."""
        records, _ = await self.list_records(
            "/prospects", {"filter[emails]": email, "fields[prospect]": "emails"}
        )
        return mapping.matching_prospect_ids(records, email)

    async def sequence_states(
        self, prospect_ids: list[str]
    ) -> tuple[list[dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]:
        """The prospects' sequence states, with sequence, mailbox and creator side-loaded."""
        return await self.list_records(
            "/sequenceStates",
            {"filter[prospect][id]": ",".join(prospect_ids), "include": STATE_INCLUDES},
        )

    # -- capabilities ---------------------------------------------------------------

    @hookimpl
    async def handoff_sequence_state(self, email: str) -> SequenceState | None:
        """Q3a: the sequence this person is in and the rep running it, or None.

        Two calls for a sequenced person (prospect by email, then its
        sequence states with `include=sequence,mailbox,creator`), one when
        Outreach does not know the email, none when it is not an email.
        `active` is False when the person has only stopped sequences (the
        most recent is returned); None when they were never sequenced.
        """
        wanted = email.strip().lower()
        if "@" not in wanted:
            return None
        prospect_ids = await self.find_prospect_ids(wanted)
        if not prospect_ids:
            return None
        states, included = await self.sequence_states(prospect_ids)
        chosen = mapping.pick_state(states, self.config.active_states)
        if chosen is None:
            return None
        return mapping.to_sequence_state(
            chosen,
            included,
            wanted,
            active_states=self.config.active_states,
            owner_sources=self.config.owner_sources,
        )

    @hookimpl
    async def handoff_parse_webhook(self, request: WebhookRequest) -> list[Event]:
        """Verify Outreach's signature (and the delivery's age), then read the events.

        Raises WebhookSignatureError when the Outreach-Webhook-Signature
        header is missing or wrong, or the signed meta.deliveredAt is outside
        the replay window on the injected clock.
        """
        verify_webhook(
            WebhookScheme.OUTREACH,
            secret=self.secret_store.get("webhook_secret"),
            headers=request.headers,
            body=request.body,
            clock=self.clock,
            window=timedelta(seconds=self.config.webhook_replay_window_seconds),
            connector=self.name,
        )
        return mapping.webhook_events(request.body, self.config.active_states)
