"""The Zoom connector: a meeting for the rep's calendar invite, and Zoom's signed webhooks.

Zoom's REST API lives at https://api.zoom.us/v2. What this connector does
with it:

- `handoff_book_meeting`: a scheduled meeting hosted by the rep
  (`POST /users/{rep email}/meetings`), whose `join_url` the hub then puts
  in the calendar invite (rule Q12). Zoom has no idempotency key, and allows
  a user only 100 meeting creations or updates a day, so the rep's scheduled
  meetings that day are listed first (`GET /users/{rep email}/meetings`, pages
  on `next_page_token`) and one with the same topic, start and duration is
  returned instead of creating another;
- `handoff_parse_webhook`: a delivery verified with the SDK's Zoom scheme
  (`x-zm-signature`, `x-zm-request-timestamp`, replay window on the injected
  clock), turned into `zoom.<event>` events; the `endpoint.url_validation`
  challenge becomes the SDK's `webhook.reply` event holding the answer,
  since a hook returns events and not an HTTP body. The class declares
  `webhook_accepted_status = 200`: Zoom counts only 200 or 204 as delivered.

Auth: Server-to-Server OAuth. `POST https://zoom.us/oauth/token` with HTTP
basic `client_id:client_secret` and the form `grant_type=account_credentials
&account_id=...` (Zoom takes these in the query string or the form body; the
body keeps the account id out of URLs and logs). The token lives an hour and
has no refresh token: a new one is fetched when it expires, or once when Zoom
answers 401 with code 124 ("Invalid access token.").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import Field

from handoff_sdk import (
    WEBHOOK_REPLY,
    ApiError,
    AuthError,
    ConfigError,
    Connector,
    ConnectorConfig,
    ConnectorError,
    OAuth2ClientCredentials,
    Outcome,
    RateLimit,
    SecretSpec,
    Verdict,
    WebhookScheme,
    default_classify,
    follow_page_token,
    hookimpl,
    response_json,
    verify_webhook,
    zoom_url_validation_response,
)
from handoff_sdk.entities import Event, Meeting, WebhookRequest

from . import mapping

__all__ = ["URL_VALIDATION_EVENT", "ZoomAccountCredentials", "ZoomConfig", "ZoomConnector"]

URL_VALIDATION_EVENT = WEBHOOK_REPLY
"""The challenge comes back as the SDK's webhook-reply event: the hub answers it."""

INVALID_TOKEN = "124"  # noqa: S105 - an error code, not a credential
"""Zoom's error code for an invalid or expired access token."""
_SCOPE_ERRORS = frozenset({"4700", "4711"})


class ZoomAccountCredentials(OAuth2ClientCredentials):
    """The `account_credentials` grant; says Zoom's `reason` when the token is refused.

    Zoom's token endpoint answers a refusal with `{"reason": "Invalid client_id
    or client_secret", "error": "invalid_client"}`: the reason is what tells
    ops which credential to fix.
    """

    def accept_token_response(self, response: httpx.Response) -> None:
        """Zoom's reason when refused, else the SDK's reading of the token."""
        body = response_json(response)
        if response.status_code >= 400 and isinstance(body, dict) and body.get("reason"):
            raise AuthError(
                self.connector,
                f"the token request was refused (HTTP {response.status_code}): "
                f"{body['reason']} ({body.get('error') or 'error'})",
            )
        super().accept_token_response(response)


class ZoomConfig(ConnectorConfig):
    """`[connectors.zoom]` in handoff.toml."""

    account_id: str = Field(
        min_length=1,
        description="Account ID of the Server-to-Server OAuth app (App Credentials page).",
    )
    client_id: str = Field(min_length=1, description="Client ID of the Server-to-Server OAuth app.")
    rep_emails: dict[str, str] = Field(
        default_factory=dict,
        description="Hub rep id -> the rep's Zoom user email, for reps whose hub id is not "
        "their email (a Meeting names its rep by hub id only).",
    )
    meeting_settings: dict[str, Any] = Field(
        default_factory=dict,
        description="Zoom meeting `settings` for every meeting created, e.g. "
        "{waiting_room = true, join_before_host = false}.",
    )
    timezone: str = Field(
        default="UTC", description="IANA time zone Zoom shows created meetings in."
    )
    reuse_existing: bool = Field(
        default=True,
        description="Before creating, look for the rep's meeting with the same topic, start "
        "and duration and return it (idempotent booking; one list call more).",
    )
    webhook_replay_window_seconds: int = Field(
        default=300,
        gt=0,
        description="Refuse webhooks signed longer ago (or further ahead) than this.",
    )
    base_url: str = Field(
        default="https://api.zoom.us",
        pattern=r"^https?://[^/?#]+$",
        description="API root; change it for a proxy or a test server only.",
    )
    token_url: str = Field(
        default="https://zoom.us/oauth/token",
        pattern=r"^https?://[^?#]+$",
        description="OAuth token endpoint.",
    )

    def required_secrets(self) -> list[str]:
        """The client secret; the webhook token is read only when a webhook arrives."""
        return ["client_secret"]


class ZoomConnector(Connector[ZoomConfig]):
    """Zoom: a meeting for each booking, and Zoom's webhooks."""

    name = "zoom"
    title = "Zoom"
    secret_specs = (
        SecretSpec(
            name="client_secret",
            description="Client secret of the Server-to-Server OAuth app (Zoom App Marketplace "
            "> Manage > the app > App Credentials).",
        ),
        SecretSpec(
            name="webhook_secret_token",
            description="The app's Secret Token (the app > Features > Access > Secret Token); "
            "signs webhooks and answers the URL validation. Webhooks only.",
        ),
    )
    # Pro accounts: 'Medium' APIs (meeting create, list) allow 20 requests a second,
    # shared by every app on the account; stay well under it.
    default_rate_limit = RateLimit(requests=10, per_seconds=1, concurrency=4)
    # Zoom has no idempotency header; booking finds an earlier attempt's meeting
    # instead. This header only lets a write be traced.
    idempotency_header = "X-Handoff-Idempotency-Key"
    # Zoom counts only 200 or 204 as delivered and retries anything else (after 5, 20
    # and 60 minutes), even a 202; the hub's answer has a body, so 200.
    webhook_accepted_status = 200
    simulator = "handoff_zoom.simulator:ZoomSimulator"
    list_page_size: ClassVar[int] = 300
    """Meetings per page of the list call (Zoom's maximum)."""

    # -- configuration and auth ---------------------------------------------------

    def build_auth(self) -> httpx.Auth:
        """Server-to-Server OAuth: basic client credentials, account_credentials grant."""
        return ZoomAccountCredentials(
            connector=self.name,
            clock=self.clock,
            secrets=self.secret_store,
            token_url=self.config.token_url,
            client_id=self.config.client_id,
            credentials_in="basic",
            extra={"grant_type": "account_credentials", "account_id": self.config.account_id},
        )

    def rep_email(self, rep_id: str) -> str:
        """The rep's Zoom user: `rep_emails`, else a hub id that is an email.

        Raises ConfigError naming `rep_emails` when neither gives an email.
        """
        found = self.config.rep_emails.get(rep_id) or (rep_id if "@" in rep_id else None)
        if not found:
            raise ConfigError(
                self.name,
                "rep_emails",
                f"no Zoom user email for rep '{rep_id}': map the rep's hub id to an email in "
                "rep_emails",
            )
        return found.strip()

    def url(self, path: str) -> str:
        """The full URL of an API path ('/users/me/meetings')."""
        return f"{self.config.base_url}/v2{path}"

    # -- reading responses ----------------------------------------------------------

    def classify(self, response: httpx.Response) -> Outcome:
        """Status (SDK default), then Zoom's `code` and `message`.

        Code 124 (invalid or expired token) refreshes the token once, whatever
        the status. A 429 is retried after Retry-After, except the daily limit
        (100 meeting creations per user per day), which fails at once as
        rate-limited: it lasts until midnight UTC.
        """
        if response.status_code < 400:
            return Outcome.ok()
        now = self.clock.now()
        outcome = default_classify(response, now)
        code, message = mapping.error_fields(response_json(response))
        message = message or outcome.message
        retry_after = outcome.retry_after
        if retry_after is None:
            retry_after = mapping.retry_after_seconds(response.headers.get("retry-after"), now)
        if code == INVALID_TOKEN:
            return Outcome(Verdict.REFRESH_AUTH, code, message)
        if response.status_code == 429:
            if mapping.daily_limit(response.headers, message):
                return Outcome(Verdict.FAIL, code, message, retry_after, rate_limited=True)
            return Outcome(Verdict.RETRY, code, message, retry_after, rate_limited=True)
        if code in _SCOPE_ERRORS:
            message = f"{message} (add the scope to the Server-to-Server OAuth app)"
            return Outcome(Verdict.FAIL, code, message)
        return Outcome(outcome.verdict, code or outcome.code, message, retry_after)

    def _object(self, body: Any, what: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(self.name, 200, "UnexpectedBody", f"{what}: expected a JSON object")
        return body

    # -- capabilities ---------------------------------------------------------------

    @hookimpl
    async def handoff_book_meeting(self, meeting: Meeting, idempotency_key: str) -> Meeting:
        """Q12: a Zoom meeting hosted by the rep; returns it with ids['zoom'] and join_url.

        With `reuse_existing` (default) the rep's scheduled meetings on that
        day are read first and a meeting with the same topic, start and
        duration is returned as it is: a retried booking costs no second
        creation. The calendar invite is the Google Calendar connector's job.
        """
        host = self.rep_email(meeting.rep_id)
        body = mapping.meeting_body(meeting, self.config.meeting_settings, self.config.timezone)
        users_meetings = self.url(f"/users/{quote(host, safe='')}/meetings")
        if self.config.reuse_existing:
            existing = await self._find_meeting(users_meetings, body, idempotency_key)
            if existing is not None:
                return mapping.meeting_from_zoom(existing, meeting)
        created = self._object(
            await self.request_json(
                "POST", users_meetings, json=body, idempotency_key=idempotency_key
            ),
            "create meeting",
        )
        return mapping.meeting_from_zoom(created, meeting)

    async def _find_meeting(
        self, url: str, body: Mapping[str, Any], idempotency_key: str
    ) -> dict[str, Any] | None:
        """The rep's scheduled meeting matching `body`, following next_page_token."""
        day = str(body["start_time"])[:10]
        params: dict[str, Any] = {
            "type": "scheduled",
            "page_size": self.list_page_size,
            "from": day,
            "to": day,
        }

        async def fetch(token: str | None) -> dict[str, Any]:
            page_params = {**params, "next_page_token": token} if token else params
            return self._object(
                await self.request_json(
                    "GET", url, params=page_params, idempotency_key=idempotency_key
                ),
                "list meetings",
            )

        def next_token(page: dict[str, Any]) -> str | None:
            token = page.get("next_page_token")
            return str(token) if token else None

        async for page in follow_page_token(fetch, next_token, connector=self.name):
            for item in page.get("meetings") or []:
                if isinstance(item, dict) and mapping.same_meeting(item, body):
                    return item
        return None

    @hookimpl
    async def handoff_parse_webhook(self, request: WebhookRequest) -> list[Event]:
        """Verify Zoom's signature (and its age), then read the event.

        Raises WebhookSignatureError when the signature is missing or wrong or
        the delivery is outside the replay window. The URL-validation
        challenge (also signed) comes back as one `webhook.reply` event whose
        payload holds the status (200) and the body the hub answers with.
        """
        secret = self.secret_store.get("webhook_secret_token")
        signed_at = verify_webhook(
            WebhookScheme.ZOOM,
            secret=secret,
            headers=request.headers,
            body=request.body,
            clock=self.clock,
            window=timedelta(seconds=self.config.webhook_replay_window_seconds),
            connector=self.name,
        )
        answer = zoom_url_validation_response(request.body, secret, connector=self.name)
        if answer is not None:
            return [mapping.url_validation_event(answer, signed_at)]
        try:
            data: Any = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise ConnectorError(self.name, "webhook body is not JSON") from None
        try:
            return mapping.webhook_events(data, request.body, signed_at)
        except ValueError as exc:  # the mapping's messages name the connector already
            raise ConnectorError(self.name, str(exc).removeprefix(f"{self.name}: ")) from None

    # -- methods (not hooks) ----------------------------------------------------------

    async def url_validation_answer(self, request: WebhookRequest) -> dict[str, str] | None:
        """The body to answer Zoom's URL challenge with (HTTP 200), or None for other events.

        For a runtime that answers the challenge before storing events: the
        signature and replay window are checked first, as for any delivery.
        """
        for event in await self.handoff_parse_webhook(request):
            if event.type == URL_VALIDATION_EVENT:
                return dict(event.payload["body"])
        return None
