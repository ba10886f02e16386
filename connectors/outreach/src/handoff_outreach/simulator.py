"""Outreach's REST API v2 and OAuth server, simulated for tests and `handoff sandbox` (Q3a).

What the connector calls, answered as Outreach does:

- `POST /oauth/token` (form, `grant_type=refresh_token`): an access token that
  lives two hours and a NEW refresh token; the one redeemed stops working
  (rotation). A wrong client is `invalid_client` (401), a used or unknown
  refresh token `invalid_grant` (400), a redirect_uri other than the app's
  `invalid_grant` too;
- `GET /api/v2/prospects?filter[emails]=...` and
  `GET /api/v2/sequenceStates?filter[prospect][id]=...&include=sequence,mailbox,creator`:
  JSON:API documents (`application/vnd.api+json`), numeric ids, to-one
  relationships wrapped in `data`, side-loaded records in `included`, pages
  of `page[size]` (at most 1000) chained by `links.next` (`page[after]`);
- a token without the scope an endpoint needs: 403 `unauthorizedOauthScope`;
  an unknown or expired access token: 401 with the bare text
  `Invalid access token`;
- 10,000 calls an hour per user, reported in `X-RateLimit-Limit`,
  `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds) on every
  answer; past it, 429 `rateLimitExceeded` whose detail says when to try
  again.

Data: the synthetic company's reps are the users (each with a mailbox), its
people the prospects, and those in a sequence have a sequence state run from
their rep's mailbox. Accounts: the first is the sandbox's OAuth app and
integration user; `narrow-scope` authorized only `prospects.read`.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

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

from .connector import JSON_API

__all__ = ["OutreachSimulator"]

FULL_SCOPES = "prospects.read sequenceStates.read sequences.read mailboxes.read users.read"
HOURLY = 10_000
MAX_PAGE = 1000
REDIRECT_URI = "https://handoff.example.test/oauth/outreach"

_ERRORS = {
    "bad_request": ("validationError", "Validation Error"),
    "forbidden": ("unauthorizedOauthScope", "Unauthorized OAuth Scope"),
    "not_found": ("resourceNotFound", "Resource Not Found"),
    "method_not_allowed": ("methodNotAllowed", "Method Not Allowed"),
    "unsupported_media_type": ("unsupportedMediaType", "Unsupported Media Type"),
    "rate_limited": ("rateLimitExceeded", "Rate Limit Exceeded"),
    "too_many_concurrent": ("rateLimitExceeded", "Rate Limit Exceeded"),
    "server_error": ("internalServerError", "Internal Server Error"),
}
"""JSON:API error id and title for each refusal the framework raises."""


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _ref(kind: str, ident: int | None) -> dict[str, Any]:
    return {"data": {"type": kind, "id": ident} if ident is not None else None}


def _mailbox_id(rep: SellerRep) -> int:
    return rep.outreach_id * 10


class OutreachSimulator(Simulator):
    """Outreach for the synthetic company: its reps as users, its people as prospects."""

    name = "outreach"
    auth = BearerToken()
    token_lifetime = 7200.0
    rotate_refresh_tokens = True
    media_type = f"{JSON_API}; charset=utf-8"
    default_limits = Limits(windows=(RateWindow(HOURLY, 3600.0, name="hour"),), concurrency=10)

    def __init__(self, **kwargs: Any) -> None:
        self.url: str | None = None
        super().__init__(**kwargs)

    def seed(self) -> None:
        """The OAuth app and its integration user's refresh token; the CRM's people as prospects."""
        now = self.clock.now()
        data = {"prospects": self._prospects(now), "states": self._states(now)}
        client_id = "sim-outreach-app"
        self.add_account(
            SimAccount(
                "app",
                settings={"client_id": client_id, "scopes": FULL_SCOPES},
                secrets={
                    "client_secret": f"sim-outreach-secret-{secrets.token_hex(8)}",
                    "refresh_token": f"sim-rt-{secrets.token_hex(12)}",
                },
                data=data,
            )
        )
        self.add_account(
            SimAccount(
                "narrow-scope",
                settings={"client_id": "sim-outreach-narrow", "scopes": "prospects.read"},
                secrets={
                    "client_secret": f"sim-outreach-secret-{secrets.token_hex(8)}",
                    "refresh_token": f"sim-rt-{secrets.token_hex(12)}",
                },
                data=data,
            )
        )

    @staticmethod
    def _prospects(now: datetime) -> dict[int, dict[str, Any]]:
        return {
            person.outreach_id: {
                "type": "prospect",
                "id": person.outreach_id,
                "attributes": {
                    "emails": [person.email],
                    "firstName": person.first_name,
                    "lastName": person.last_name,
                    "title": person.title,
                    "company": COMPANY.customer(person.customer).name,
                    "createdAt": _stamp(now - timedelta(days=60)),
                    "updatedAt": _stamp(now - timedelta(days=3)),
                },
            }
            for person in COMPANY.people
        }

    @staticmethod
    def _states(now: datetime) -> list[dict[str, Any]]:
        states = []
        for person in COMPANY.people:
            if person.sequence is None:
                continue
            sequence_id, state, rep_id = person.sequence
            rep = COMPANY.rep(rep_id)
            changed = now - timedelta(days=2)
            states.append(
                {
                    "type": "sequenceState",
                    "id": 50_000 + person.outreach_id,
                    "attributes": {
                        "state": state,
                        "createdAt": _stamp(now - timedelta(days=30)),
                        "activeAt": _stamp(changed) if state == "active" else None,
                        "stateChangedAt": _stamp(changed),
                        "updatedAt": _stamp(changed),
                        "pauseReason": "manual" if state == "paused" else None,
                        "deliverCount": 3,
                        "openCount": 2,
                        "replyCount": 0,
                    },
                    "relationships": {
                        "prospect": _ref("prospect", person.outreach_id),
                        "sequence": _ref("sequence", sequence_id),
                        "mailbox": _ref("mailbox", _mailbox_id(rep)),
                        "creator": _ref("user", rep.outreach_id),
                    },
                }
            )
        return states

    # -- pointing the connector here ------------------------------------------------------

    def connector_config(self, url: str) -> dict[str, Any]:
        """`[connectors.outreach]` pointing here, as the first account's OAuth app."""
        self.url = url
        return {
            "client_id": self.account.settings["client_id"],
            "redirect_uri": REDIRECT_URI,
            "base_url": f"{url}/api/v2",
            "token_url": f"{url}/oauth/token",
        }

    def connector_secrets(self, account: SimAccount | None = None) -> dict[str, str]:
        """The app's client secret and the integration user's current refresh token."""
        chosen = account or self.account
        return {k: chosen.secrets[k] for k in ("client_secret", "refresh_token")}

    # -- Outreach's answers ------------------------------------------------------------------

    def answer_headers(self, account: SimAccount | None) -> dict[str, str]:
        """The hourly budget, as Outreach reports it on every answer."""
        if account is None:
            return {}
        _used, remaining, reset = self.usage(account, "hour")
        reset_at = int(self.clock.now().timestamp() + (reset or 3600.0))
        return {
            "X-RateLimit-Limit": str(HOURLY),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset_at),
        }

    def refuse(self, refusal: Refusal, call: Call | None) -> Reply:
        """OAuth errors on the token endpoint, bare text for a bad token, JSON:API otherwise."""
        if refusal.endpoint == "token":
            code = refusal.code or "invalid_request"
            body = {"error": code, "error_description": refusal.message}
            return Reply(body, status=refusal.status, content_type="application/json")
        if refusal.kind in ("unauthorized", "token_expired"):
            return Reply("Invalid access token", status=401, content_type="text/plain")
        ident, title = _ERRORS.get(refusal.kind, (refusal.kind, refusal.kind))
        detail = refusal.message
        if refusal.kind in ("rate_limited", "too_many_concurrent"):
            again = self.clock.now() + timedelta(seconds=refusal.retry_after or 1.0)
            detail = (
                f"You have exceeded your permitted rate limit of {HOURLY:,}; "
                f"please try again at {again:%Y-%m-%dT%H:%M:%S}."
            )
        error: dict[str, Any] = {"id": ident, "title": title, "detail": detail}
        if refusal.field:
            error["source"] = {"parameter": refusal.field}
        return Reply({"errors": [error]}, status=refusal.status)

    # -- endpoints -----------------------------------------------------------------------------

    @endpoint(
        "POST",
        "/oauth/token",
        auth=False,
        content_type="application/x-www-form-urlencoded",
        body={"grant_type": str, "client_id": str, "client_secret": str, "refresh_token?": str},
    )
    async def token(self, call: Call) -> Any:
        """The refresh-token grant; the refresh token rotates on every use."""
        form = call.body
        if form["grant_type"] != "refresh_token":
            raise Refusal(
                "bad_request", "only refresh_token is supported here", code="unsupported_grant_type"
            )
        account = self.find_account(
            client_id=form["client_id"], client_secret=form["client_secret"]
        )
        if account is None:
            raise Refusal(
                "unauthorized",
                "Client authentication failed due to unknown client, no client authentication "
                "included, or unsupported authentication method.",
                code="invalid_client",
            )
        if form.get("redirect_uri", REDIRECT_URI) != REDIRECT_URI:
            raise Refusal(
                "unauthorized",
                "The redirect uri included is not valid.",
                code="invalid_grant",
                status=400,
            )
        try:
            issued = self.tokens.redeem(form.get("refresh_token") or "", account)
        except Refusal as refused:
            raise Refusal(
                "unauthorized",
                "The provided authorization grant is invalid, expired, revoked, does not match "
                "the redirection URI used in the authorization request, or was issued to "
                "another client.",
                code="invalid_grant",
                status=refused.status,
            ) from None
        return Reply(
            {
                "access_token": issued.access_token,
                "token_type": "bearer",
                "expires_in": issued.expires_in,
                "refresh_token": issued.refresh_token,
                "scope": account.settings["scopes"],
                "created_at": int(self.clock.now().timestamp()),
            },
            content_type="application/json; charset=utf-8",
        )

    def _scope(self, call: Call, scope: str) -> None:
        account = call.account
        assert account is not None
        if scope not in account.settings["scopes"].split():
            raise Refusal(
                "forbidden",
                f"Your OAuth token does not have the required scope: {scope}.",
            )

    def _page(self, call: Call, records: list[dict[str, Any]], path: str) -> dict[str, Any]:
        """One page of `records` (ordered by id) after `page[after]`, with `links.next`."""
        size = call.query.get("page[size]") or 50
        if not 1 <= size <= MAX_PAGE:
            raise Refusal(
                "bad_request", f"page[size] must be between 1 and {MAX_PAGE}.", field="page[size]"
            )
        after = call.query.get("page[after]")
        ordered = sorted(records, key=lambda r: int(r["id"]))
        if after is not None:
            ordered = [r for r in ordered if int(r["id"]) > after]
        page = ordered[:size]
        base = self.url or f"https://{call.headers.get('host', 'api.outreach.io')}"
        links: dict[str, str] = {"self": f"{base}{path}"}
        if len(ordered) > size:
            query = {k: v for k, v in call.query.items() if k != "page[after]" and v is not None}
            query["page[after]"] = page[-1]["id"]
            links["next"] = f"{base}{path}?{urlencode(query)}"
        return {"data": page, "links": links, "meta": {"count": len(records)}}

    @endpoint(
        "GET",
        "/api/v2/prospects",
        query={
            "filter[emails]?": str,
            "fields[prospect]?": str,
            "page[size]?": int,
            "page[after]?": int,
        },
    )
    async def prospects(self, call: Call) -> Any:
        """Prospects, filtered by email (any case), a sparse fieldset when asked."""
        self._scope(call, "prospects.read")
        records = list(call.data["prospects"].values())
        wanted = call.query.get("filter[emails]")
        if wanted:
            emails = {e.strip().lower() for e in wanted.split(",")}
            records = [
                r for r in records if {e.lower() for e in r["attributes"]["emails"]} & emails
            ]
        fields = call.query.get("fields[prospect]")
        if fields:
            keep = {f.strip() for f in fields.split(",")}
            records = [
                {**r, "attributes": {k: v for k, v in r["attributes"].items() if k in keep}}
                for r in records
            ]
        return self._page(call, records, "/api/v2/prospects")

    @endpoint(
        "GET",
        "/api/v2/sequenceStates",
        query={
            "filter[prospect][id]?": str,
            "include?": str,
            "page[size]?": int,
            "page[after]?": int,
        },
    )
    async def sequence_states(self, call: Call) -> Any:
        """Sequence states of the given prospects, with the asked-for records side-loaded."""
        self._scope(call, "sequenceStates.read")
        states = call.data["states"]
        wanted = call.query.get("filter[prospect][id]")
        if wanted:
            try:
                ids = {int(i) for i in wanted.split(",") if i.strip()}
            except ValueError:
                raise Refusal(
                    "bad_request", "filter[prospect][id] takes ids", field="filter[prospect][id]"
                ) from None
            states = [s for s in states if s["relationships"]["prospect"]["data"]["id"] in ids]
        document = self._page(call, states, "/api/v2/sequenceStates")
        include = {i.strip() for i in (call.query.get("include") or "").split(",") if i.strip()}
        unknown = include - {"sequence", "mailbox", "creator", "prospect"}
        if unknown:
            raise Refusal(
                "bad_request", f"cannot include {', '.join(sorted(unknown))}", field="include"
            )
        if include:
            if "sequence" in include:
                self._scope(call, "sequences.read")
            document["included"] = self._included(document["data"], include)
        return document

    @staticmethod
    def _included(states: list[dict[str, Any]], include: set[str]) -> list[dict[str, Any]]:
        found: dict[tuple[str, int], dict[str, Any]] = {}
        for state in states:
            relations = state["relationships"]
            if "sequence" in include:
                sequence = COMPANY.sequence(relations["sequence"]["data"]["id"])
                found[("sequence", sequence.id)] = {
                    "type": "sequence",
                    "id": sequence.id,
                    "attributes": {"name": sequence.name, "enabled": True},
                }
            rep = next(
                r for r in COMPANY.reps if r.outreach_id == relations["creator"]["data"]["id"]
            )
            if "mailbox" in include:
                found[("mailbox", _mailbox_id(rep))] = {
                    "type": "mailbox",
                    "id": _mailbox_id(rep),
                    "attributes": {"email": rep.email, "userId": rep.outreach_id},
                    "relationships": {"user": _ref("user", rep.outreach_id)},
                }
            if "creator" in include:
                found[("user", rep.outreach_id)] = {
                    "type": "user",
                    "id": rep.outreach_id,
                    "attributes": {
                        "email": rep.email,
                        "firstName": rep.first_name,
                        "lastName": rep.last_name,
                        "name": rep.name,
                    },
                }
        return list(found.values())
