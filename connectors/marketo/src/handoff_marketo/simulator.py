"""A simulator of Marketo Engage's REST and Asset APIs as the connector uses them.

What it enforces, as Marketo does:

- Identity: `GET /identity/oauth/token` with the client id and secret in the
  query; an hour-long token (`expires_in` 3599). Wrong credentials: HTTP 401
  `{"error": "unauthorized", "error_description": "Bad client credentials"}`.
- Everything else answers HTTP 200 even when it refuses, with
  `{"requestId", "success": false, "errors": [{"code", "message"}]}`: 601
  (token invalid), 602 (token expired), 606 (more than 100 calls in 20 s),
  607 (daily quota), 615 (more than 10 calls at once), 609 (invalid JSON),
  612 (content type), 610 (no such resource), 1003 (more than 300 records).
- Sync Leads (`POST /rest/v1/leads.json`): createOrUpdate, createOnly,
  updateOnly on a lookup field, at most 300 records, one status per record
  (`created`, `updated`, or `skipped` with reasons 1004, 1005, 1006, 1007).
- Get Programs by Tag and Browse Programs (offset/maxReturn, 200 at most).
- Paging tokens and activities (`nextPageToken`, `moreResult`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from handoff_sdk.testing import (
    COMPANY,
    Batch,
    BearerToken,
    Call,
    Endpoint,
    Limits,
    RateWindow,
    Refusal,
    Reply,
    SimAccount,
    Simulator,
    endpoint,
)

__all__ = ["MarketoSimulator"]

LEADS_MAX = 300
PAGE_MAX = 200

_CODES = {
    "unauthorized": ("601", "Access token invalid"),
    "token_expired": ("602", "Access token expired"),
    "too_many_concurrent": ("615", "Concurrent access limit reached"),
    "not_found": ("610", "Requested resource not found"),
    "method_not_allowed": ("605", "HTTP Method not supported"),
    "unsupported_media_type": ("612", "Invalid Content Type"),
    "batch_too_large": ("1003", f"Invalid data: at most {LEADS_MAX} records per call"),
    "server_error": ("611", "System error"),
}


def _request_id() -> str:
    return f"{secrets.token_hex(2)}#{secrets.token_hex(6)}"


class MarketoSimulator(Simulator):
    """Marketo Engage for one synthetic subscription (munchkin 123-SIM-456)."""

    name = "marketo"
    default_limits = Limits(
        windows=(
            RateWindow(100, 20.0, name="20_seconds"),
            RateWindow(50_000, 86_400.0, name="daily"),
        ),
        concurrency=10,
    )
    auth = BearerToken()
    token_lifetime = 3_599.0
    media_type = "application/json;charset=UTF-8"

    def seed(self) -> None:
        """One subscription: leads, programs (some tagged UsedWithQualified), activities."""
        leads = {
            "grace@example.test": {"id": 50102, "email": "grace@example.test"},
            "dup@example.test": [{"id": 50110}, {"id": 50111}],
        }
        for person in COMPANY.people:  # the synthetic company every simulator shares
            leads[person.email] = {
                "id": person.marketo_id,
                "email": person.email,
                "firstName": person.first_name,
                "lastName": person.last_name,
                "company": COMPANY.customer(person.customer).name,
                "title": person.title,
            }
        programs = [_program(2000 + n, qualified=n % 3 != 2) for n in range(30)]
        activities = [
            _activity(700001 + n, 50101 + n % 3, f"2026-01-05T09:{n:02d}:00Z", n) for n in range(12)
        ]
        self.add_account(
            SimAccount(
                "123-SIM-456",
                settings={"client_id": "sim-client-id"},
                secrets={"client_secret": "sim-client-secret"},
                data={
                    "leads": leads,
                    "programs": programs,
                    "activities": activities,
                    "next": 60000,
                },
            )
        )

    def authenticate(
        self, request: Request, endpoint: Endpoint, path_params: Mapping[str, Any]
    ) -> SimAccount:
        """A Bearer token, as the connector sends it; `access_token=` too, as older clients do."""
        token = request.query_params.get("access_token")
        if token and "authorization" not in request.headers:
            return self.tokens.account_of(token)
        return super().authenticate(request, endpoint, path_params)

    def connector_config(self, url: str) -> dict[str, Any]:
        """The identity and REST endpoints both on this simulator."""
        return {"base_url": url, "client_id": self.account.settings["client_id"]}

    def refuse(self, refusal: Refusal, call: Call | None) -> Reply:
        """Marketo's errors in HTTP 200, except the identity endpoint's HTTP 401."""
        if refusal.endpoint == "identity":
            return Reply(
                {"error": "unauthorized", "error_description": refusal.message}, status=401
            )
        if refusal.kind == "rate_limited":
            if refusal.limit == "daily":
                code, message = "607", "Daily quota reached"
            else:
                code, message = "606", "Max rate limit '100' exceeded with in '20' secs"
        elif refusal.kind == "bad_request":
            code = "609" if "JSON" in refusal.message else "1001"
            message = refusal.message
        else:
            code, message = _CODES.get(refusal.kind, (refusal.code or "611", refusal.message))
        if refusal.status >= 500 and refusal.kind != "server_error":
            return Reply(refusal.message, status=refusal.status)
        body = {
            "requestId": _request_id(),
            "success": False,
            "errors": [{"code": code, "message": message}],
        }
        return Reply(body)

    # -- identity ---------------------------------------------------------------------

    @endpoint(
        "GET",
        "/identity/oauth/token",
        auth=False,
        query={"grant_type": str, "client_id": str, "client_secret": str},
    )
    async def identity(self, call: Call) -> Any:
        """Client credentials in the query; an hour-long bearer token."""
        account = self.find_account(
            client_id=call.query["client_id"], client_secret=call.query["client_secret"]
        )
        if call.query["grant_type"] != "client_credentials" or account is None:
            raise Refusal("unauthorized", "Bad client credentials")
        issued = self.tokens.issue(account)
        return {
            "access_token": issued.access_token,
            "token_type": "bearer",
            "expires_in": issued.expires_in,
            "scope": "api-user@example.test",
        }

    # -- leads ----------------------------------------------------------------------------

    @endpoint(
        "POST",
        "/rest/v1/leads.json",
        body={
            "action?": str,
            "lookupField?": str,
            "partitionName?": str,
            "input": list[dict[str, Any]],
        },
        batch=Batch("input", LEADS_MAX),
    )
    async def sync_leads(self, call: Call) -> Any:
        """Sync Leads: create or update up to 300 leads on a lookup field, a status each."""
        action = call.body.get("action") or "createOrUpdate"
        field = call.body.get("lookupField") or "email"
        stored: dict[str, Any] = call.data["leads"]
        result = []
        for lead in call.body["input"]:
            key = str(lead.get(field) or "").lower()
            existing = stored.get(key)
            if not key:
                result.append(_skipped("1003", f"Invalid data: {field} is empty"))
            elif isinstance(existing, list):
                result.append(_skipped("1007", "Multiple lead match lookup criteria"))
            elif existing is None and action == "updateOnly":
                result.append(_skipped("1004", "Lead not found"))
            elif existing is not None and action == "createOnly":
                result.append(_skipped("1005", "Lead already exists"))
            elif existing is None:
                call.data["next"] += 1
                stored[key] = {**lead, "id": call.data["next"]}
                result.append({"id": call.data["next"], "status": "created"})
            else:
                existing.update(lead)
                result.append({"id": existing["id"], "status": "updated"})
        return {"requestId": _request_id(), "success": True, "result": result}

    # -- programs ---------------------------------------------------------------------------

    def _asset_page(self, items: list[dict[str, Any]], call: Call) -> dict[str, Any]:
        offset = call.query.get("offset") or 0
        size = min(PAGE_MAX, call.query.get("maxReturn") or 20)
        page = items[offset : offset + size]
        answer: dict[str, Any] = {"success": True, "errors": [], "requestId": _request_id()}
        answer["warnings"] = [] if page else ["No assets found for the given search criteria."]
        if page:
            answer["result"] = page
        return answer

    @endpoint(
        "GET",
        "/rest/asset/v1/program/byTag.json",
        query={"tagType": str, "tagValue": str, "maxReturn?": int, "offset?": int},
    )
    async def programs_by_tag(self, call: Call) -> Any:
        """Get Programs by Tag, with their tags."""
        wanted = {"tagType": call.query["tagType"], "tagValue": call.query["tagValue"]}
        tagged = [p for p in call.data["programs"] if wanted in p.get("tags", [])]
        return self._asset_page(tagged, call)

    @endpoint("GET", "/rest/asset/v1/programs.json", query={"maxReturn?": int, "offset?": int})
    async def browse_programs(self, call: Call) -> Any:
        """Browse Programs: every program, without tags."""
        bare = [{k: v for k, v in p.items() if k != "tags"} for p in call.data["programs"]]
        return self._asset_page(bare, call)

    # -- activities -------------------------------------------------------------------------

    @endpoint("GET", "/rest/v1/activities/pagingtoken.json", query={"sinceDatetime": str})
    async def paging_token(self, call: Call) -> Any:
        """A paging token for a date: reading starts at the first activity after it."""
        since = call.query["sinceDatetime"]
        position = sum(1 for a in call.data["activities"] if a["activityDate"] < since)
        return {"requestId": _request_id(), "success": True, "nextPageToken": _token(position)}

    @endpoint(
        "GET",
        "/rest/v1/activities.json",
        query={"nextPageToken": str, "activityTypeIds": str, "batchSize?": int},
    )
    async def activities(self, call: Call) -> Any:
        """Activities of the given types from a paging token, 300 a page (batchSize fewer)."""
        position = _position(call.query["nextPageToken"])
        types = {int(t) for t in str(call.query["activityTypeIds"]).split(",") if t.strip()}
        if len(types) > 10:
            raise Refusal("bad_request", "activityTypeIds: at most 10 types", code="1003")
        size = min(300, call.query.get("batchSize") or 300)
        rest = call.data["activities"][position:]
        page = [a for a in rest[:size] if a["activityTypeId"] in types]
        end = position + min(size, len(rest))
        answer: dict[str, Any] = {
            "requestId": _request_id(),
            "success": True,
            "nextPageToken": _token(end),
            "moreResult": end < len(call.data["activities"]),
        }
        if page:
            answer["result"] = page
        return answer


def _token(position: int) -> str:
    return f"SIMTOKEN{position:08d}AAAAAAAAAAAAAAAAAAAAAAAA"


def _position(token: str) -> int:
    digits = token.removeprefix("SIMTOKEN")[:8]
    if not digits.isdigit():
        raise Refusal("bad_request", "Invalid value for nextPageToken", code="1001")
    return int(digits)


def _skipped(code: str, message: str) -> dict[str, Any]:
    return {"status": "skipped", "reasons": [{"code": code, "message": message}]}


def _program(pid: int, *, qualified: bool) -> dict[str, Any]:
    tags = [{"tagType": "Region", "tagValue": "EMEA"}]
    if qualified:
        tags.append({"tagType": "UsedWithQualified", "tagValue": "True"})
    return {
        "id": pid,
        "name": f"Program {pid}",
        "description": "",
        "createdAt": "2025-11-03T15:25:35Z+0000",
        "updatedAt": "2025-11-04T10:02:46Z+0000",
        "url": f"https://app-sim.marketo.example.test/#PG{pid}A1",
        "type": "Default",
        "channel": "Webinar" if pid % 2 else "Content",
        "folder": {"type": "Folder", "value": 28, "folderName": "Synthetic"},
        "status": "",
        "workspace": "Default",
        "headStart": False,
        "tags": tags,
    }


def _activity(guid: int, lead: int, when: str, n: int) -> dict[str, Any]:
    moment = n % 4 != 3
    return {
        "id": guid,
        "marketoGUID": str(guid),
        "leadId": lead,
        "activityDate": when,
        "activityTypeId": 46 if moment else 2,
        "primaryAttributeValueId": 0 if moment else 1017,
        "primaryAttributeValue": "Web" if moment else "Contact Sales",
        "attributes": (
            [{"name": "Description", "value": f"Visited page {n}"}]
            if moment
            else [{"name": "Client IP Address", "value": "203.0.113.7"}]
        ),
    }
