"""The Google Calendar connector: reps' free/busy and meetings booked on their calendars.

Google Calendar API v3 lives at https://www.googleapis.com/calendar/v3. What
this connector does with it:

- `handoff_rep_busy`: `POST /freeBusy` for the rep's calendar (their email)
  -> canonical BusySlots, for rule Q3's availability and Q12's offer of
  times;
- `handoff_book_meeting`: `POST /calendars/{rep email}/events` with the
  visitor as attendee, `sendUpdates=all` (Google emails the invite) and an
  event `id` derived from the idempotency key. Google refuses a second
  event with the same id (409 `duplicate`), and that refusal is read as
  "already booked": the existing event is fetched and returned, so a
  retried booking never puts two invites in the visitor's inbox (Q12);
- `list_booked_meetings` (a method): the events handoff booked on a rep's
  calendar, page by page on `nextPageToken`.

Auth: a service account with domain-wide delegation, acting as each rep
(one token per rep, see `auth.DelegatedServiceAccount`), or an OAuth
refresh token of one user who can see and write the reps' calendars.

Traps handled here: freeBusy reports a calendar it could not read inside an
HTTP 200 (`calendars[id].errors`), which `classify` turns into a failure or
a retry instead of "free all day"; rate limits come as 403 with reason
`rateLimitExceeded`/`userRateLimitExceeded` as well as 429, and are retried;
`quotaExceeded`/`dailyLimitExceeded` are not (they last hours).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import Field, model_validator

from handoff_sdk import (
    ApiError,
    ConfigError,
    Connector,
    ConnectorConfig,
    OAuth2RefreshToken,
    Outcome,
    RateLimit,
    SecretSpec,
    Verdict,
    default_classify,
    follow_page_token,
    hookimpl,
    response_json,
)
from handoff_sdk.entities import BusySlot, Meeting, Rep

from . import mapping
from .auth import SUBJECT_HEADER, DelegatedServiceAccount

__all__ = ["DEFAULT_SCOPES", "GoogleCalendarConfig", "GoogleCalendarConnector"]

DEFAULT_SCOPES = (
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.freebusy",
)
"""Read free/busy, and read and write events: the least that rules Q3 and Q12 need."""

RETRY_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
"""Short-term rate limits (403 or 429): back off and try again."""
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
"""Calendar usage limits and the daily project quota: they last hours, so fail now."""
FREEBUSY_TRANSIENT = frozenset({"internalError", "backendError"})
"""freeBusy per-calendar errors worth a retry."""


class GoogleCalendarConfig(ConnectorConfig):
    """`[connectors.google-calendar]` in handoff.toml."""

    auth: Literal["service_account", "oauth"] = Field(
        default="service_account",
        description="'service_account': a service account with domain-wide delegation acts as "
        "each rep (secret private_key); 'oauth': one user's refresh token "
        "(secrets client_secret and refresh_token).",
    )
    service_account_email: str | None = Field(
        default=None,
        description="The service account's email (client_email in its JSON key file); "
        "required when auth = 'service_account'.",
    )
    client_id: str | None = Field(
        default=None, description="OAuth client id; required when auth = 'oauth'."
    )
    scopes: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SCOPES),
        min_length=1,
        description="Scopes asked for in service-account mode; each must be granted to the "
        "service account's client id under domain-wide delegation.",
    )
    rep_emails: dict[str, str] = Field(
        default_factory=dict,
        description="Hub rep id -> the rep's Google account email, for reps whose hub id is not "
        "their email (a Meeting names its rep by hub id only).",
    )
    send_updates: Literal["all", "externalOnly", "none"] = Field(
        default="all", description="Who Google emails the invite to (events.insert sendUpdates)."
    )
    event_timezone: str | None = Field(
        default=None,
        description="IANA time zone written on booked events (how calendars display them); "
        "unset: UTC.",
    )
    max_cached_subjects: int = Field(
        default=500,
        ge=1,
        description="Service-account mode: how many reps' tokens are kept (least recently "
        "used dropped first).",
    )
    events_page_size: int = Field(
        default=250, ge=1, le=2500, description="maxResults of each events.list page."
    )
    base_url: str = Field(
        default="https://www.googleapis.com",
        pattern=r"^https?://[^/?#]+$",
        description="API root; change it for a proxy or a test server only.",
    )
    token_url: str = Field(
        default="https://oauth2.googleapis.com/token",
        pattern=r"^https?://[^?#]+$",
        description="OAuth token endpoint; also the JWT audience.",
    )

    @model_validator(mode="after")
    def _mode_needs_its_ids(self) -> GoogleCalendarConfig:
        if self.auth == "service_account" and not self.service_account_email:
            raise ValueError("'service_account_email' is required when auth = 'service_account'")
        if self.auth == "oauth" and not self.client_id:
            raise ValueError("'client_id' is required when auth = 'oauth'")
        return self

    def required_secrets(self) -> list[str]:
        """The key in service-account mode; the client secret and refresh token in OAuth mode."""
        if self.auth == "oauth":
            return ["client_secret", "refresh_token"]
        return ["private_key"]


class GoogleCalendarConnector(Connector[GoogleCalendarConfig]):
    """Google Calendar: when reps are busy, and meetings booked on their calendars."""

    name = "google-calendar"
    title = "Google Calendar"
    secret_specs = (
        SecretSpec(
            name="private_key",
            description="Service-account mode: the service account's key, either the JSON key "
            "file as downloaded (IAM > Service accounts > Keys > Add key > JSON) or its "
            "PEM private_key field.",
        ),
        SecretSpec(
            name="client_secret",
            description="OAuth mode: the OAuth client's secret (APIs & Services > Credentials).",
        ),
        SecretSpec(
            name="refresh_token",
            description="OAuth mode: a refresh token of the user whose access to the reps' "
            "calendars is used (offline access, calendar scopes).",
        ),
    )
    default_rate_limit = RateLimit(requests=300, per_seconds=60, concurrency=5)
    # Google has no idempotency header; booking is idempotent through the event id.
    # This header only lets a write be traced.
    idempotency_header = "X-Handoff-Idempotency-Key"
    simulator = "handoff_google_calendar.simulator:GoogleCalendarSimulator"

    # -- configuration and auth ---------------------------------------------------

    def build_auth(self) -> httpx.Auth:
        """One delegated token per rep, or the OAuth user's token for everything."""
        settings = self.config
        if settings.auth == "oauth":
            assert settings.client_id is not None
            return OAuth2RefreshToken(
                connector=self.name,
                clock=self.clock,
                secrets=self.secret_store,
                token_url=settings.token_url,
                client_id=settings.client_id,
            )
        assert settings.service_account_email is not None
        return DelegatedServiceAccount(
            connector=self.name,
            clock=self.clock,
            secrets=self.secret_store,
            token_url=settings.token_url,
            service_account_email=settings.service_account_email,
            scopes=settings.scopes,
            max_subjects=settings.max_cached_subjects,
        )

    def rep_email(self, rep_id: str, email: str | None = None) -> str:
        """The Google account of a rep: its email, else `rep_emails`, else a hub id that is one.

        Raises ConfigError naming `rep_emails` when none of them gives an email.
        """
        found = email or self.config.rep_emails.get(rep_id)
        if not found and "@" in rep_id:
            found = rep_id
        if not found:
            raise ConfigError(
                self.name,
                "rep_emails",
                f"no Google account email for rep '{rep_id}': set Rep.email, or map the rep's "
                "hub id to an email in rep_emails",
            )
        return found.strip()

    def _as(self, email: str) -> dict[str, str]:
        """Headers that make a request act as `email` (service-account mode only)."""
        if isinstance(self.auth, DelegatedServiceAccount):
            return {SUBJECT_HEADER: email}
        return {}

    def url(self, path: str) -> str:
        """The full URL of a Calendar API path ('/freeBusy')."""
        return f"{self.config.base_url}/calendar/v3{path}"

    def _events_url(self, calendar_id: str, event_id: str | None = None) -> str:
        path = f"/calendars/{quote(calendar_id, safe='')}/events"
        if event_id is not None:
            path += f"/{quote(event_id, safe='')}"
        return self.url(path)

    # -- reading responses ----------------------------------------------------------

    def classify(self, response: httpx.Response) -> Outcome:
        """Status (SDK default), then Google's `errors[].reason`, then freeBusy's inner errors.

        403 `rateLimitExceeded`/`userRateLimitExceeded` are rate limits like a
        429 and are retried; `quotaExceeded`/`dailyLimitExceeded` fail at once
        as rate-limited. A freeBusy answer whose calendar has `errors` fails
        (`notFound`: no such calendar, or not shared) or, for
        `internalError`/`backendError`, is retried.
        """
        body = response_json(response)
        if response.status_code < 400:
            if isinstance(body, Mapping) and body.get("kind") == "calendar#freeBusy":
                return self._freebusy_outcome(body)
            return Outcome.ok()
        outcome = default_classify(response, self.clock.now())
        reason, message = mapping.error_reason(body)
        code = reason or outcome.code
        message = message or outcome.message
        if reason in RETRY_REASONS:
            return Outcome(Verdict.RETRY, code, message, outcome.retry_after, rate_limited=True)
        if reason in QUOTA_REASONS:
            return Outcome(Verdict.FAIL, code, message, outcome.retry_after, rate_limited=True)
        return Outcome(outcome.verdict, code, message, outcome.retry_after, outcome.rate_limited)

    @staticmethod
    def _freebusy_outcome(body: Mapping[str, Any]) -> Outcome:
        errors = mapping.freebusy_errors(body)
        if not errors:
            return Outcome.ok()
        calendar_id, reason = errors[0]
        message = f"freeBusy could not read calendar {calendar_id}: {reason}"
        if reason == "notFound":
            message += " (no such calendar, or its free/busy is not shared with this account)"
        verdict = Verdict.RETRY if reason in FREEBUSY_TRANSIENT else Verdict.FAIL
        return Outcome(verdict, reason, message)

    def _object(self, body: Any, what: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(self.name, 200, "UnexpectedBody", f"{what}: expected a JSON object")
        return body

    # -- capabilities ---------------------------------------------------------------

    @hookimpl
    async def handoff_rep_busy(self, rep: Rep, start: datetime, end: datetime) -> list[BusySlot]:
        """Q3, Q12: the rep's busy periods in [start, end), merged and sorted, in UTC.

        One freeBusy call on the rep's primary calendar (their email),
        acting as the rep in service-account mode. An empty window costs no
        call. A calendar Google could not read raises ApiError, so a rep is
        never taken as free because their calendar was unreadable.
        """
        if mapping.is_empty_window(start, end):
            return []
        email = self.rep_email(rep.id, rep.email)
        body = self._object(
            await self.request_json(
                "POST",
                self.url("/freeBusy"),
                json=mapping.freebusy_request(email, start, end),
                headers=self._as(email),
            ),
            "freeBusy",
        )
        entry = mapping.freebusy_entry(body, email)
        if entry is None:
            raise ApiError(
                self.name, 200, "MissingCalendar", f"freeBusy answered nothing for {email}"
            )
        return mapping.busy_slots(entry, start, end)

    @hookimpl
    async def handoff_book_meeting(self, meeting: Meeting, idempotency_key: str) -> Meeting:
        """Q12: the meeting on the rep's calendar, visitor invited; once per idempotency key.

        The event id is derived from the key, so a second call with the same
        key gets 409 `duplicate` from Google and returns the event the first
        call booked (one GET) instead of a second invite. A duplicate whose
        event was cancelled since raises ApiError: book again with a new key.
        The join link (Zoom) must already be on `meeting.join_url`: the hub
        creates the Zoom meeting, or takes the rep's personal link, first.
        """
        email = self.rep_email(meeting.rep_id)
        event_id = mapping.event_id_for(idempotency_key)
        body = mapping.meeting_to_event(
            meeting, event_id, idempotency_key, timezone=self.config.event_timezone
        )
        try:
            created = await self.request_json(
                "POST",
                self._events_url(email),
                params={"sendUpdates": self.config.send_updates},
                json=body,
                headers=self._as(email),
                idempotency_key=idempotency_key,
            )
        except ApiError as exc:
            if exc.status != 409 or exc.code != "duplicate":
                raise
            existing = self._object(
                await self.request_json(
                    "GET",
                    self._events_url(email, event_id),
                    headers=self._as(email),
                    idempotency_key=idempotency_key,
                ),
                "events.get",
            )
            if existing.get("status") == "cancelled":
                raise ApiError(
                    self.name,
                    409,
                    "duplicate",
                    f"the meeting booked with this idempotency key (event {event_id}) was "
                    "cancelled; book it again with a new key",
                ) from None
            return mapping.event_to_meeting(existing, meeting)
        return mapping.event_to_meeting(self._object(created, "events.insert"), meeting)

    # -- methods (not hooks) ----------------------------------------------------------

    async def iter_events(
        self,
        calendar_email: str,
        start: datetime,
        end: datetime,
        *,
        private_property: str | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every event on a calendar overlapping [start, end), recurring ones expanded.

        Pages are followed on `nextPageToken` until a page has none;
        `private_property` ('key=value') keeps only events carrying it.
        """
        params: dict[str, Any] = {
            "timeMin": mapping.rfc3339(start, "start"),
            "timeMax": mapping.rfc3339(end, "end"),
            "singleEvents": "true",
            "orderBy": "startTime",
            "maxResults": self.config.events_page_size,
        }
        if private_property:
            params["privateExtendedProperty"] = private_property
        url = self._events_url(calendar_email)
        headers = self._as(calendar_email)

        async def fetch(token: str | None) -> dict[str, Any]:
            page_params = {**params, "pageToken": token} if token else params
            return self._object(
                await self.request_json("GET", url, params=page_params, headers=headers),
                "events.list",
            )

        def next_token(page: dict[str, Any]) -> str | None:
            token = page.get("nextPageToken")
            return str(token) if token else None

        async for page in follow_page_token(fetch, next_token, connector=self.name):
            for item in page.get("items") or []:
                if isinstance(item, dict):
                    yield item

    async def list_booked_meetings(self, rep: Rep, start: datetime, end: datetime) -> list[Meeting]:
        """Q12: the meetings handoff booked on the rep's calendar in [start, end), not cancelled."""
        email = self.rep_email(rep.id, rep.email)
        meetings: list[Meeting] = []
        async for event in self.iter_events(
            email, start, end, private_property=f"{mapping.BOOKED_BY_PROPERTY}=1"
        ):
            if event.get("status") != "cancelled":
                meetings.append(mapping.event_to_meeting(event))
        return meetings
