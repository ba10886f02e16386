"""PathFactory's REST API v3 (pageviews), simulated for tests and `handoff sandbox` (P5).

What the connector calls, answered as PathFactory's Django REST Framework
API does:

- `GET /public/v3/pageviews/?created_at_min=&created_at_max=&ordering=&limit=&offset=`
  with `Authorization: Bearer <api key>`: `{"count", "next", "previous",
  "data": [...]}`, pageviews whose `created_at_utc` (ISO 8601, no offset,
  UTC) lies in the range, oldest first with `ordering=created_at_utc`,
  `limit` at most 1000, `next` the URL of the following page or null;
- refusals in DRF's shapes: 401 `{"detail": "Invalid token."}`, 400
  `{"created_at_min": ["Enter a valid date/time."]}` naming the parameter,
  429 `{"detail": "Request was throttled. Expected available in N
  seconds."}` with Retry-After past 60 calls a minute per key.

Data: the synthetic company's content views; one of its contacts has read
three assets within the hour, the Fast Moving Buyer the connector detects.
Accounts: the first is the sandbox's key; `no-engagement-role` has a key
whose role may not read engagement data (403).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from handoff_sdk import shared_secret_headers
from handoff_sdk.testing import (
    COMPANY,
    ApiKey,
    Call,
    Limits,
    RateWindow,
    Refusal,
    Reply,
    SimAccount,
    Simulator,
    WebhookDelivery,
    endpoint,
)

__all__ = ["PathfactorySimulator"]

MAX_LIMIT = 1000
_ORDERINGS = frozenset({"created_at_utc", "-created_at_utc", "id", "-id"})

_DETAILS = {
    "unauthorized": "Invalid token.",
    "token_expired": "Invalid token.",
    "forbidden": "You do not have permission to perform this action.",
    "not_found": "Not found.",
    "method_not_allowed": "Method not allowed.",
    "unsupported_media_type": "Unsupported media type in request.",
    "server_error": "A server error occurred.",
}
"""DRF's `detail` for each refusal the framework raises."""


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def _parse(value: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Refusal("bad_request", "Enter a valid date/time.", field=field) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:6]


class PathfactorySimulator(Simulator):
    """PathFactory holding the synthetic company's content engagement."""

    name = "pathfactory"
    auth = ApiKey("api_key", header="Authorization", prefix="Bearer ")
    default_limits = Limits(windows=(RateWindow(60, 60.0, name="minute"),), concurrency=2)

    def __init__(self, **kwargs: Any) -> None:
        self.url: str | None = None
        super().__init__(**kwargs)

    def seed(self) -> None:
        """The API keys and the pageviews of the synthetic company's people."""
        now = self.clock.now()
        pageviews = []
        for view in COMPANY.pageviews:
            person = COMPANY.person(view.person)
            customer = COMPANY.customer(person.customer)
            visitor = 50_000 + person.marketo_id
            pageviews.append(
                {
                    "id": view.id,
                    "created_at_utc": _utc(now - view.age),
                    "visitor_id": visitor,
                    "email": person.email,
                    "company_name": customer.name,
                    "email_domain": customer.domain,
                    "content_asset_id": int(view.asset_id),
                    "content_asset_title": view.asset_title,
                    "engagement_time_seconds": view.engaged_seconds,
                    "session_id": f"sess-{visitor}-{_short_hash(view.id)}",
                    "experience_name": "Website Experience",
                }
            )
        self.add_account(
            SimAccount(
                "main",
                settings={"role": "analytics"},
                secrets={"api_key": f"sim-pathfactory-{secrets.token_hex(16)}"},
                data={"pageviews": pageviews},
            )
        )
        self.add_account(
            SimAccount(
                "no-engagement-role",
                settings={"role": "content"},
                secrets={"api_key": f"sim-pathfactory-content-{secrets.token_hex(16)}"},
                data={"pageviews": pageviews},
            )
        )

    def webhook_deliveries(
        self, config: Mapping[str, Any], secret_values: Mapping[str, str]
    ) -> list[WebhookDelivery]:
        """P5: each known visitor's session summary, as the Visitor Activity webhook sends it.

        One call listing, per visitor with an email, the assets they viewed
        (the modelled body of docs/connectors/pathfactory.md, without an
        activity name): the connector tests each against its thresholds.
        """
        sessions: dict[str, dict[str, Any]] = {}
        for view in sorted(self.account.data["pageviews"], key=lambda v: v["created_at_utc"]):
            if not view.get("email"):
                continue
            session = sessions.setdefault(
                view["email"],
                {
                    "email": view["email"],
                    "visitor_id": str(view["visitor_id"]),
                    "account_name": view["company_name"],
                    "account_domain": view["email_domain"],
                    "session_id": view["session_id"],
                    "assets": [],
                },
            )
            session["occurred_at"] = view["created_at_utc"] + "Z"
            session["assets"].append(
                {
                    "id": str(view["content_asset_id"]),
                    "title": view["content_asset_title"],
                    "engaged_seconds": view["engagement_time_seconds"],
                }
            )
        if not sessions:
            return []
        auth = shared_secret_headers(
            secret_values.get("webhook_secret", ""),
            mode=config["webhook_auth"],
            header=config["webhook_header"],
            username=config["webhook_username"],
        )
        return [
            WebhookDelivery(
                json.dumps({"activities": list(sessions.values())}).encode(),
                {"Content-Type": "application/json", **auth},
                f"{len(sessions)} visitor sessions",
            )
        ]

    def connector_config(self, url: str) -> dict[str, Any]:
        """`[connectors.pathfactory]` pointing here."""
        self.url = url
        return {"base_url": url}

    def refuse(self, refusal: Refusal, call: Call | None) -> Reply:
        """DRF's `{"detail": ...}`, or `{field: [message]}` for a bad parameter."""
        headers = {}
        if refusal.kind in ("rate_limited", "too_many_concurrent"):
            wait = max(1, round((refusal.retry_after or 1.0) + 0.5))
            headers["Retry-After"] = str(wait)
            body: dict[str, Any] = {
                "detail": f"Request was throttled. Expected available in {wait} seconds."
            }
        elif refusal.kind == "bad_request" and refusal.field:
            body = {refusal.field: [refusal.message]}
        else:
            body = {"detail": _DETAILS.get(refusal.kind, refusal.message)}
        return Reply(body, status=refusal.status, headers=headers)

    @endpoint(
        "GET",
        "/public/v3/pageviews/",
        query={
            "created_at_min?": str,
            "created_at_max?": str,
            "ordering?": str,
            "limit?": int,
            "offset?": int,
        },
    )
    async def pageviews(self, call: Call) -> Any:
        """Pageviews created in [created_at_min, created_at_max], a page at a time."""
        account = call.account
        assert account is not None
        if account.settings["role"] != "analytics":
            raise Refusal("forbidden", _DETAILS["forbidden"])
        query = call.query
        low, high = (
            _parse(query[name], name) if query.get(name) else None
            for name in ("created_at_min", "created_at_max")
        )
        ordering = query.get("ordering") or "id"
        if ordering not in _ORDERINGS:
            raise Refusal("bad_request", f"Invalid ordering: {ordering}.", field="ordering")
        limit = query.get("limit") or 100
        if not 1 <= limit <= MAX_LIMIT:
            raise Refusal(
                "bad_request", f"Ensure this value is at most {MAX_LIMIT}.", field="limit"
            )
        offset = query.get("offset") or 0
        found = []
        for view in call.data["pageviews"]:
            at = _parse(view["created_at_utc"], "created_at_utc")
            if (low is None or at >= low) and (high is None or at <= high):
                found.append(view)
        key = ordering.lstrip("-")
        found.sort(key=lambda v: v[key], reverse=ordering.startswith("-"))
        page = found[offset : offset + limit]
        base = f"{self.url or ''}/public/v3/pageviews/"
        plain = {k: v for k, v in query.items() if v is not None}

        def link(at: int) -> str:
            return f"{base}?{urlencode({**plain, 'limit': limit, 'offset': at})}"

        return {
            "count": len(found),
            "next": link(offset + limit) if offset + limit < len(found) else None,
            "previous": link(max(0, offset - limit)) if offset > 0 else None,
            "data": page,
        }
