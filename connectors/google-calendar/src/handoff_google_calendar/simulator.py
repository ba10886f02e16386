"""Google Calendar API v3 and Google's OAuth token endpoint, simulated (rules Q3, Q12).

What the connector calls, answered as Google does:

- `POST /token`, two grants: the JWT bearer grant of a service account with
  domain-wide delegation (an RS256 assertion signed with the account's key,
  `iss` the service account, `sub` the Workspace user to act as, `aud` this
  endpoint, `scope`, at most an hour between `iat` and `exp`), and the
  refresh-token grant of an OAuth client. Refusals in Google's
  `{"error", "error_description"}` shape: `invalid_grant` (bad signature,
  unknown user, stale assertion, revoked refresh token),
  `unauthorized_client` (a scope not granted to the delegation),
  `invalid_client`. Access tokens live an hour;
- `POST /calendar/v3/freeBusy`: busy periods of up to 50 calendars;
  a calendar the caller may not read is reported inside the HTTP 200
  (`calendars[id].errors: [{"reason": "notFound"}]`), an empty range is 400
  `timeRangeEmpty`;
- `POST /calendar/v3/calendars/{calendarId}/events` (events.insert): the
  event, with a client-chosen `id` (base32hex, 5-1024 characters) refused as
  409 `duplicate` the second time; `GET .../events/{eventId}` and
  `GET .../events` (timeMin/timeMax, `singleEvents`, `orderBy=startTime`,
  `privateExtendedProperty`, `maxResults` up to 2500, `nextPageToken`);
- API errors in `{"error": {"code", "message", "errors": [{"domain",
  "reason", "message"}], "status"}}`: 401 `authError`, 404 `notFound`,
  403 `userRateLimitExceeded` past 600 calls a minute (Google says rate
  limits with 403 as often as with 429, and sends no Retry-After).

Calendars: each rep of the synthetic company has one (their email), with
the meetings the company module lists. A delegated token acting as a rep
reads and writes that rep's calendar only (any rep's free/busy); the OAuth
user `calendar-admin@example.test` has every rep's calendar shared with it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from handoff_sdk.testing import (
    COMPANY,
    BearerToken,
    Call,
    Limits,
    RateWindow,
    Refusal,
    Reply,
    SimAccount,
    Simulator,
    endpoint,
)

from .connector import DEFAULT_SCOPES

__all__ = ["GoogleCalendarSimulator"]

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SERVICE_ACCOUNT = "handoff-sandbox@sim-project.iam.example.test"
OAUTH_USER = "calendar-admin@example.test"
MAX_CALENDARS = 50
MAX_RESULTS = 2500

_EVENT_ID = re.compile(r"^[0-9a-v]{5,1024}$")

_API_ERRORS = {
    "unauthorized": ("authError", "Invalid Credentials", "UNAUTHENTICATED", "global"),
    "token_expired": ("authError", "Invalid Credentials", "UNAUTHENTICATED", "global"),
    "forbidden": ("forbidden", "Forbidden", "PERMISSION_DENIED", "global"),
    "not_found": ("notFound", "Not Found", "NOT_FOUND", "global"),
    "conflict": ("duplicate", "The requested identifier already exists.", "ALREADY_EXISTS",
                 "global"),
    "bad_request": ("invalid", "Invalid Value", "INVALID_ARGUMENT", "global"),
    "unsupported_media_type": ("parseError", "Parse Error", "INVALID_ARGUMENT", "global"),
    "method_not_allowed": ("httpMethodNotAllowed", "Method Not Allowed", "INVALID_ARGUMENT",
                           "global"),
    "rate_limited": ("userRateLimitExceeded", "Rate Limit Exceeded", "PERMISSION_DENIED",
                     "usageLimits"),
    "too_many_concurrent": ("rateLimitExceeded", "Rate Limit Exceeded", "PERMISSION_DENIED",
                            "usageLimits"),
    "server_error": ("backendError", "Backend Error", "INTERNAL", "global"),
}  # fmt: skip
"""Google's reason, message, status and domain for each refusal."""


@functools.cache
def _key() -> tuple[str, bytes]:
    """A throwaway RSA key for the simulated service account: (private PEM, public PEM)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, public


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(value: Any, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise Refusal("bad_request", f"Invalid value for: {field}", field=field) from None
    if parsed.tzinfo is None:
        raise Refusal("bad_request", f"Missing time zone definition for {field}", field=field)
    return parsed


def _event_time(value: Any, field: str) -> datetime:
    if not isinstance(value, dict) or "dateTime" not in value:
        raise Refusal("bad_request", f"Missing {field} time.", field=field)
    return _time(value["dateTime"], field)


def _span(event: dict[str, Any]) -> tuple[datetime, datetime]:
    return _event_time(event["start"], "start"), _event_time(event["end"], "end")


_EMPTY_RANGE = "The specified time range is empty."


class GoogleCalendarSimulator(Simulator):
    """A Google Workspace whose users are the synthetic company's reps, each with a calendar."""

    name = "google-calendar"
    auth = BearerToken()
    token_lifetime = 3599.0
    media_type = "application/json; charset=UTF-8"
    default_limits = Limits(windows=(RateWindow(600, 60.0, name="user"),), concurrency=20)

    def __init__(self, **kwargs: Any) -> None:
        self.url: str | None = None
        super().__init__(**kwargs)

    def seed(self) -> None:
        """The Workspace: a delegated service account, an OAuth client, the reps' calendars."""
        now = self.clock.now()
        pem, _public = _key()
        calendars: dict[str, dict[str, dict[str, Any]]] = {}
        for rep in COMPANY.reps:
            events = {}
            for n, busy in enumerate(rep.calendar):
                event_id = hashlib.sha256(f"{rep.id}:{n}".encode()).hexdigest()[:26]
                events[event_id] = self._event(
                    event_id,
                    rep.email,
                    {
                        "summary": busy.title,
                        "start": {"dateTime": _rfc3339(busy.start(now))},
                        "end": {"dateTime": _rfc3339(busy.end(now))},
                    },
                    now - timedelta(days=7),
                )
            calendars[rep.email] = events
        self.add_account(
            SimAccount(
                "workspace",
                settings={
                    "service_account_email": SERVICE_ACCOUNT,
                    "client_id": "1234567890-sim.apps.example.test",
                    "scopes": " ".join(DEFAULT_SCOPES),
                },
                secrets={
                    "private_key": pem,
                    "client_secret": f"sim-google-secret-{secrets.token_hex(8)}",
                    "refresh_token": f"sim-google-refresh-{secrets.token_hex(12)}",
                },
                data={"calendars": calendars, "subjects": {}},
            )
        )

    def _event(
        self, event_id: str, calendar: str, body: dict[str, Any], created: datetime
    ) -> dict[str, Any]:
        stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        attendees = [
            {"email": a["email"], "responseStatus": "needsAction"}
            for a in body.get("attendees") or []
            if isinstance(a, dict) and a.get("email")
        ]
        event: dict[str, Any] = {
            "kind": "calendar#event",
            "etag": f'"{abs(hash((event_id, stamp))) % 10**16}"',
            "id": event_id,
            "status": "confirmed",
            "htmlLink": f"https://calendar.example.test/event?eid={event_id}",
            "created": stamp,
            "updated": stamp,
            "summary": body.get("summary", ""),
            "creator": {"email": calendar, "self": True},
            "organizer": {"email": calendar, "self": True},
            "start": body["start"],
            "end": body["end"],
            "iCalUID": f"{event_id}@google.com",
            "sequence": 0,
            "reminders": {"useDefault": True},
            "eventType": "default",
        }
        for key in ("description", "location", "extendedProperties", "transparency"):
            if key in body:
                event[key] = body[key]
        if attendees:
            event["attendees"] = attendees
        return event

    # -- pointing the connector here ------------------------------------------------------

    def connector_config(self, url: str) -> dict[str, Any]:
        """`[connectors.google-calendar]` pointing here (service-account mode by default)."""
        self.url = url
        settings = self.account.settings
        return {
            "base_url": url,
            "token_url": f"{url}/token",
            "service_account_email": settings["service_account_email"],
            "client_id": settings["client_id"],
            "rep_emails": {rep.id: rep.email for rep in COMPANY.reps},
        }

    def connector_secrets(self, account: SimAccount | None = None) -> dict[str, str]:
        """The service account's key, and the OAuth client's secret and refresh token."""
        return dict((account or self.account).secrets)

    # -- Google's answers -----------------------------------------------------------------------

    def refuse(self, refusal: Refusal, call: Call | None) -> Reply:
        """The token endpoint's `{error, error_description}`; the API's `{"error": {...}}`."""
        if refusal.endpoint == "token":
            code = refusal.code or "invalid_request"
            body = {"error": code, "error_description": refusal.message}
            return Reply(body, status=refusal.status, content_type="application/json")
        reason, message, status, domain = _API_ERRORS.get(
            refusal.kind, (refusal.kind, refusal.message, "UNKNOWN", "global")
        )
        reason = refusal.code or reason
        if refusal.kind in ("bad_request", "not_found", "forbidden", "conflict"):
            message = refusal.message
        item: dict[str, Any] = {"domain": domain, "reason": reason, "message": message}
        if refusal.kind in ("unauthorized", "token_expired"):
            item |= {"location": "Authorization", "locationType": "header"}
            message = (
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential."
            )
        elif refusal.field:
            item |= {"location": refusal.field, "locationType": "parameter"}
        status_code = 403 if domain == "usageLimits" else refusal.status
        if refusal.kind in ("unauthorized", "token_expired"):
            status_code = 401
        body = {
            "error": {"code": status_code, "message": message, "errors": [item], "status": status}
        }
        return Reply(body, status=status_code)

    # -- the token endpoint -----------------------------------------------------------------------

    @endpoint(
        "POST",
        "/token",
        auth=False,
        content_type="application/x-www-form-urlencoded",
        body={"grant_type": str},
    )
    async def token(self, call: Call) -> Any:
        """Exchange a signed assertion (service account) or a refresh token for an access token."""
        form = call.body
        if form["grant_type"] == JWT_GRANT:
            account, subject, scope = self._assertion(str(form.get("assertion") or ""))
        elif form["grant_type"] == "refresh_token":
            account = self.find_account(
                client_id=str(form.get("client_id") or ""),
                client_secret=str(form.get("client_secret") or ""),
            )
            if account is None:
                raise Refusal("unauthorized", "Unauthorized", code="invalid_client")
            if form.get("refresh_token") != account.secrets["refresh_token"]:
                raise Refusal(
                    "unauthorized",
                    "Token has been expired or revoked.",
                    code="invalid_grant",
                    status=400,
                )
            subject, scope = OAUTH_USER, account.settings["scopes"]
        else:
            raise Refusal("bad_request", "Invalid grant_type", code="unsupported_grant_type")
        issued = self.tokens.issue(account)
        account.data["subjects"][issued.access_token] = subject
        return {
            "access_token": issued.access_token,
            "expires_in": issued.expires_in,
            "scope": scope,
            "token_type": "Bearer",
        }

    def _assertion(self, assertion: str) -> tuple[SimAccount, str, str]:
        """The account, user and scope a service account's signed assertion asks for."""

        def refused(description: str, code: str = "invalid_grant", status: int = 400) -> Refusal:
            return Refusal("unauthorized", description, code=code, status=status)

        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise refused("Invalid JWT: the assertion is not a JWT.") from None
        account = self.find_account(service_account_email=str(unverified.get("iss") or ""))
        if account is None:
            raise refused("Invalid JWT Signature.")
        try:
            claims = jwt.decode(
                assertion,
                _key()[1],
                algorithms=["RS256"],
                options={"verify_aud": False, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            raise refused("Invalid JWT Signature.") from None
        audience = str(claims.get("aud") or "")
        expected = f"{self.url}/token" if self.url else None
        if (expected and audience != expected) or urlsplit(audience).path != "/token":
            raise refused("Invalid JWT: Failed audience check.")
        now = self.clock.now().timestamp()
        issued_at, expires = claims.get("iat"), claims.get("exp")
        if (
            not isinstance(issued_at, int)
            or not isinstance(expires, int)
            or expires - issued_at > 3600
            or expires < now
            or issued_at > now + 300
        ):
            raise refused(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                "timeframe. Check your iat and exp values in the JWT claim."
            )
        subject = str(claims.get("sub") or "").lower()
        if COMPANY.rep_by_email(subject) is None:
            raise refused("Invalid email or User ID")
        granted = set(account.settings["scopes"].split())
        asked = set(str(claims.get("scope") or "").split())
        if not asked or not asked <= granted:
            raise refused(
                "Client is unauthorized to retrieve access tokens using this method, or client "
                "not authorized for any of the scopes requested.",
                code="unauthorized_client",
                status=401,
            )
        return account, subject, " ".join(sorted(asked))

    # -- calendars ------------------------------------------------------------------------------

    @staticmethod
    def _caller(call: Call) -> str:
        token = call.headers.get("authorization", "")[len("Bearer ") :].strip()
        return str(call.data["subjects"].get(token, ""))

    def _calendar(self, call: Call, calendar_id: str) -> dict[str, dict[str, Any]]:
        """The events of a calendar the caller may read and write, or Google's 404."""
        wanted = calendar_id.strip().lower()
        caller = self._caller(call)
        if wanted == "primary":
            wanted = caller
        calendars = call.data["calendars"]
        if wanted not in calendars or caller not in (wanted, OAUTH_USER):
            raise Refusal("not_found", "Not Found")
        events: dict[str, dict[str, Any]] = calendars[wanted]
        return events

    @endpoint(
        "POST",
        "/calendar/v3/freeBusy",
        body={
            "timeMin": str,
            "timeMax": str,
            "timeZone?": str,
            "items": list[dict[str, str]],
        },
    )
    async def free_busy(self, call: Call) -> Any:
        """Busy periods of each calendar asked for; unreadable ones carry errors inside the 200."""
        body = call.body
        start, end = _time(body["timeMin"], "timeMin"), _time(body["timeMax"], "timeMax")
        if end <= start:
            raise Refusal("bad_request", _EMPTY_RANGE, code="timeRangeEmpty")
        if len(body["items"]) > MAX_CALENDARS:
            raise Refusal(
                "bad_request", "Too many calendars requested.", code="tooManyCalendarsRequested"
            )
        answer: dict[str, Any] = {}
        for item in body["items"]:
            calendar_id = str(item.get("id", ""))
            events = call.data["calendars"].get(calendar_id.lower())
            if events is None:
                answer[calendar_id] = {
                    "errors": [{"domain": "global", "reason": "notFound"}],
                    "busy": [],
                }
                continue
            busy = []
            for event in events.values():
                if event["status"] == "cancelled" or event.get("transparency") == "transparent":
                    continue
                begin, finish = _span(event)
                if begin < end and finish > start:
                    busy.append((max(begin, start), min(finish, end)))
            answer[calendar_id] = {
                "busy": [{"start": _rfc3339(b), "end": _rfc3339(f)} for b, f in sorted(busy)]
            }
        return {
            "kind": "calendar#freeBusy",
            "timeMin": _rfc3339(start),
            "timeMax": _rfc3339(end),
            "calendars": answer,
        }

    @endpoint(
        "POST",
        "/calendar/v3/calendars/{calendar_id}/events",
        query={"sendUpdates?": str, "conferenceDataVersion?": int},
        body={"start": dict[str, Any], "end": dict[str, Any], "id?": str, "summary?": str},
    )
    async def insert_event(self, call: Call) -> Any:
        """events.insert; a client-chosen id already used is 409 `duplicate`."""
        events = self._calendar(call, call.path_params["calendar_id"])
        send = call.query.get("sendUpdates")
        if send not in (None, "all", "externalOnly", "none"):
            raise Refusal("bad_request", "Invalid value for: sendUpdates", field="sendUpdates")
        body = call.body
        start, end = _event_time(body["start"], "start"), _event_time(body["end"], "end")
        if end <= start:
            raise Refusal("bad_request", _EMPTY_RANGE, code="timeRangeEmpty")
        event_id = body.get("id") or secrets.token_hex(13)
        if not _EVENT_ID.match(event_id):
            raise Refusal("bad_request", "Invalid resource id value.", field="id")
        if event_id in events:
            raise Refusal("conflict", "The requested identifier already exists.", code="duplicate")
        owner = call.path_params["calendar_id"].strip().lower()
        if owner == "primary":
            owner = self._caller(call)
        event = self._event(event_id, owner, json.loads(call.raw_body), self.clock.now())
        events[event_id] = event
        return event

    @endpoint("GET", "/calendar/v3/calendars/{calendar_id}/events/{event_id}")
    async def get_event(self, call: Call) -> Any:
        """events.get: an event of the calendar, cancelled ones included."""
        events = self._calendar(call, call.path_params["calendar_id"])
        event = events.get(call.path_params["event_id"])
        if event is None:
            raise Refusal("not_found", "Not Found")
        return event

    @endpoint(
        "GET",
        "/calendar/v3/calendars/{calendar_id}/events",
        query={
            "timeMin?": str,
            "timeMax?": str,
            "singleEvents?": bool,
            "orderBy?": str,
            "maxResults?": int,
            "pageToken?": str,
            "privateExtendedProperty?": str,
        },
    )
    async def list_events(self, call: Call) -> Any:
        """events.list over [timeMin, timeMax), by start time, paged with nextPageToken."""
        events = self._calendar(call, call.path_params["calendar_id"])
        query = call.query
        if query.get("orderBy") == "startTime" and not query.get("singleEvents"):
            raise Refusal(
                "bad_request",
                "The requested ordering is not available for the particular query.",
                field="orderBy",
            )
        size = query.get("maxResults") or 250
        if not 1 <= size <= MAX_RESULTS:
            raise Refusal("bad_request", "Invalid value for: maxResults", field="maxResults")
        low = _time(query["timeMin"], "timeMin") if query.get("timeMin") else None
        high = _time(query["timeMax"], "timeMax") if query.get("timeMax") else None
        found = []
        for event in events.values():
            begin, finish = _span(event)
            if (low is not None and finish <= low) or (high is not None and begin >= high):
                continue
            wanted = query.get("privateExtendedProperty")
            if wanted:
                key, _, value = wanted.partition("=")
                private = event.get("extendedProperties", {}).get("private", {})
                if private.get(key) != value:
                    continue
            found.append((begin, event["id"], event))
        found.sort(key=lambda item: (item[0], item[1]))
        offset = int(query.get("pageToken") or 0)
        page = [event for _, _, event in found[offset : offset + size]]
        answer: dict[str, Any] = {
            "kind": "calendar#events",
            "summary": call.path_params["calendar_id"],
            "timeZone": "UTC",
            "items": page,
        }
        if offset + size < len(found):
            answer["nextPageToken"] = str(offset + size)
        return answer
