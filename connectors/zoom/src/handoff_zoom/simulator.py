"""Zoom's REST API v2 and Server-to-Server OAuth, simulated for tests and `handoff sandbox` (Q12).

What the connector calls, answered as Zoom does:

- `POST /oauth/token` with HTTP basic `client_id:client_secret` and
  `grant_type=account_credentials&account_id=...` (form or query): a bearer
  token that lives an hour, no refresh token. Wrong client credentials:
  `{"reason": "Invalid client_id or client_secret", "error": "invalid_client"}`
  (401); a wrong account id: `invalid_request` (400);
- `POST /v2/users/{userId}/meetings` (userId an email or a Zoom user id):
  201 with the meeting (`id`, `join_url`, `start_url`, ...); an unknown user
  is 404 code 1001, a bad field 400 code 300 naming it;
- `GET /v2/users/{userId}/meetings?type=scheduled&from=&to=&page_size=`:
  the user's meetings on those days, `page_size` at most 300, pages chained
  by `next_page_token`;
- an unknown or expired token: 401 `{"code": 124, "message": "Invalid access
  token."}`.

Limits: 'Medium' APIs allow 20 requests a second per account (429, header
`x-ratelimit-type: QPS`); meeting creation 100 a day per user (429,
`x-ratelimit-type: Daily-limit`, `Retry-After` at 00:00 UTC).

Users: the synthetic company's reps. One account: the sandbox's
Server-to-Server OAuth app.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from handoff_sdk.testing import (
    COMPANY,
    BearerToken,
    Call,
    Limits,
    RateWindow,
    Refusal,
    Reply,
    SellerRep,
    SimAccount,
    Simulator,
    endpoint,
)

__all__ = ["ZoomSimulator"]

DAILY_CREATES = 100
"""Meeting creations (and updates) a day per user."""
MAX_PAGE = 300
JOIN_HOST = "https://sim.zoom.example"

_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z)?$")
_TYPES = frozenset({1, 2, 3, 8, 10})

_API_ERRORS = {
    "unauthorized": (124, "Invalid access token."),
    "token_expired": (124, "Invalid access token."),
    "not_found": (404, "Not Found"),
    "method_not_allowed": (405, "Method Not Allowed"),
    "unsupported_media_type": (300, "Unsupported Content Type"),
    "rate_limited": (429, "You have reached the maximum per-second rate limit for this API. "
                          "Try again later."),
    "too_many_concurrent": (429, "You have reached the maximum per-second rate limit for this "
                                 "API. Try again later."),
    "server_error": (500, "Internal Error"),
}  # fmt: skip
"""Zoom's code and message for each refusal the framework raises."""


def _zoom_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str) -> datetime | None:
    if not _TIME.match(value):
        return None
    parsed = datetime.fromisoformat(value.removesuffix("Z"))
    return parsed.replace(tzinfo=UTC)


class ZoomSimulator(Simulator):
    """A Zoom account whose users are the synthetic company's reps."""

    name = "zoom"
    auth = BearerToken()
    token_lifetime = 3599.0
    media_type = "application/json;charset=UTF-8"
    default_limits = Limits(windows=(RateWindow(20, 1.0, name="qps"),), concurrency=10)

    def seed(self) -> None:
        """The Server-to-Server OAuth app; the reps as users; no meetings yet."""
        self.add_account(
            SimAccount(
                "app",
                settings={"account_id": "SimZoomAcct01", "client_id": "SimZoomClient01"},
                secrets={"client_secret": f"sim-zoom-secret-{secrets.token_hex(8)}"},
                data={"meetings": {}, "created": {}, "next_id": 81_000_000_001},
            )
        )

    def connector_config(self, url: str) -> dict[str, Any]:
        """`[connectors.zoom]` pointing here, every rep's hub id mapped to their Zoom user."""
        return {
            "account_id": self.account.settings["account_id"],
            "client_id": self.account.settings["client_id"],
            "base_url": url,
            "token_url": f"{url}/oauth/token",
            "rep_emails": {rep.id: rep.email for rep in COMPANY.reps},
        }

    def connector_secrets(self, account: SimAccount | None = None) -> dict[str, str]:
        """The app's client secret."""
        return {"client_secret": (account or self.account).secrets["client_secret"]}

    # -- Zoom's answers ------------------------------------------------------------------------

    def refuse(self, refusal: Refusal, call: Call | None) -> Reply:
        """The OAuth endpoint's `{reason, error}`; the API's `{code, message}` and rate headers."""
        if refusal.endpoint == "token":
            body = {"reason": refusal.message, "error": refusal.code or "invalid_request"}
            return Reply(body, status=refusal.status)
        headers: dict[str, str] = {}
        if refusal.kind in ("rate_limited", "too_many_concurrent"):
            headers["x-ratelimit-category"] = "Medium"
            if refusal.code == "daily":
                midnight = (self.clock.now() + timedelta(days=1)).date()
                headers |= {
                    "x-ratelimit-type": "Daily-limit",
                    "x-ratelimit-limit": str(DAILY_CREATES),
                    "x-ratelimit-remaining": "0",
                    "Retry-After": f"{midnight.isoformat()}T00:00:00Z",
                }
                return Reply({"code": 429, "message": refusal.message}, 429, headers)
            headers["x-ratelimit-type"] = "QPS"
        code, message = _API_ERRORS.get(refusal.kind, (refusal.status, refusal.message))
        if refusal.kind in ("bad_request", "forbidden", "conflict") or refusal.code:
            code, message = int(refusal.code or 300), refusal.message
        body: dict[str, Any] = {"code": code, "message": message}
        if refusal.field:
            body = {"code": 300, "message": "Validation Failed.",
                    "errors": [{"field": refusal.field, "message": refusal.message}]}  # fmt: skip
        return Reply(body, status=refusal.status, headers=headers)

    # -- the OAuth endpoint ----------------------------------------------------------------------

    @endpoint("POST", "/oauth/token", auth=False)
    async def token(self, call: Call) -> Any:
        """account_credentials grant: basic client credentials, account id in form or query."""
        form: dict[str, Any] = dict(call.body) if isinstance(call.body, dict) else {}
        form = {**call.query, **form}
        try:
            encoded = call.headers.get("authorization", "").removeprefix("Basic ")
            client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id = client_secret = ""
        account = self.find_account(client_id=client_id, client_secret=client_secret)
        if account is None:
            raise Refusal(
                "unauthorized", "Invalid client_id or client_secret", code="invalid_client"
            )
        if form.get("grant_type") != "account_credentials":
            raise Refusal("bad_request", "Unsupported grant type", code="unsupported_grant_type")
        if form.get("account_id") != account.settings["account_id"]:
            raise Refusal("bad_request", "Invalid account_id", code="invalid_request")
        issued = self.tokens.issue(account)
        return {
            "access_token": issued.access_token,
            "token_type": "bearer",
            "expires_in": issued.expires_in,
            "scope": "meeting:read:list_meetings:admin meeting:write:meeting:admin",
            "api_url": "https://api.zoom.us",
        }

    # -- meetings ----------------------------------------------------------------------------------

    @staticmethod
    def _user(user_id: str) -> SellerRep:
        wanted = user_id.strip().lower()
        for rep in COMPANY.reps:
            if wanted in (rep.email, rep.zoom_id.lower()):
                return rep
        raise Refusal("not_found", f"User does not exist: {user_id}.", code="1001")

    def _count_creation(self, data: dict[str, Any], rep: SellerRep) -> None:
        day = self.clock.now().date().isoformat()
        created = data["created"]
        used = created.get((rep.zoom_id, day), 0)
        if used >= DAILY_CREATES:
            raise Refusal(
                "rate_limited",
                f"You have exceeded the daily rate limit ({DAILY_CREATES}) of Meeting "
                "Create/Update API requests permitted for this particular user. You may resume "
                "these requests at GMT 00:00:00.",
                code="daily",
            )
        created[(rep.zoom_id, day)] = used + 1

    @endpoint(
        "POST",
        "/v2/users/{user_id}/meetings",
        body={
            "topic?": str,
            "type?": int,
            "start_time?": str,
            "duration?": int,
            "timezone?": str,
            "agenda?": str,
            "settings?": dict[str, Any],
        },
    )
    async def create_meeting(self, call: Call) -> Any:
        """Schedule a meeting hosted by the user; 201 with the meeting."""
        rep = self._user(call.path_params["user_id"])
        body = call.body
        kind = body.get("type") or 2
        if kind not in _TYPES:
            raise Refusal("bad_request", "Invalid field.", field="type")
        topic = body.get("topic") or "Zoom meeting"
        if len(topic) > 200:
            raise Refusal("bad_request", "Invalid field.", field="topic")
        if len(body.get("agenda") or "") > 2000:
            raise Refusal("bad_request", "Invalid field.", field="agenda")
        start = _parse(body.get("start_time") or "") if kind == 2 else self.clock.now()
        if start is None:
            raise Refusal("bad_request", "Invalid field.", field="start_time")
        duration = body.get("duration") or 60
        if not 1 <= duration <= 1440:
            raise Refusal("bad_request", "Invalid field.", field="duration")
        data = call.data
        self._count_creation(data, rep)
        meeting_id = data["next_id"]
        data["next_id"] += 1
        passcode = hashlib.sha256(f"{self.account.id}:{meeting_id}".encode()).hexdigest()[:8]
        meeting = {
            "uuid": base64.b64encode(f"sim-{meeting_id}".encode()).decode(),
            "id": meeting_id,
            "host_id": rep.zoom_id,
            "host_email": rep.email,
            "topic": topic,
            "type": kind,
            "status": "waiting",
            "start_time": _zoom_time(start),
            "duration": duration,
            "timezone": body.get("timezone") or "UTC",
            "agenda": body.get("agenda") or "",
            "created_at": _zoom_time(self.clock.now()),
            "start_url": f"{JOIN_HOST}/s/{meeting_id}?zak=sim",
            "join_url": f"{JOIN_HOST}/j/{meeting_id}?pwd={passcode}",
            "password": passcode,
            "settings": {"host_video": True, "join_before_host": False, "waiting_room": False,
                         **(body.get("settings") or {})},
            "creation_source": "open_api",
            "pre_schedule": False,
        }  # fmt: skip
        data["meetings"][meeting_id] = meeting
        return Reply(meeting, status=201)

    @endpoint(
        "GET",
        "/v2/users/{user_id}/meetings",
        query={
            "type?": str,
            "page_size?": int,
            "next_page_token?": str,
            "from?": str,
            "to?": str,
        },
    )
    async def list_meetings(self, call: Call) -> Any:
        """The user's meetings, by start day when `from`/`to` are given, paged by token."""
        rep = self._user(call.path_params["user_id"])
        query = call.query
        size = query.get("page_size") or 30
        if not 1 <= size <= MAX_PAGE:
            raise Refusal("bad_request", "Invalid field.", field="page_size")
        kind = query.get("type") or "scheduled"
        if kind not in {"scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"}:
            raise Refusal("bad_request", "Invalid field.", field="type")
        days = (query.get("from") or "0000-00-00", query.get("to") or "9999-99-99")
        found = [
            m
            for m in call.data["meetings"].values()
            if m["host_id"] == rep.zoom_id and days[0] <= m["start_time"][:10] <= days[1]
        ]
        found.sort(key=lambda m: (m["start_time"], m["id"]))
        start = int(query.get("next_page_token") or 0)
        page = found[start : start + size]
        following = start + size if start + size < len(found) else None
        items = [
            {k: m[k] for k in ("uuid", "id", "host_id", "topic", "type", "start_time", "duration",
                               "timezone", "agenda", "created_at", "join_url")}
            for m in page
        ]  # fmt: skip
        return {
            "page_size": size,
            "total_records": len(found),
            "next_page_token": str(following) if following is not None else "",
            "meetings": items,
        }
