"""The Marketo Engage connector: REST API v1 (leads, activities) and Asset API v1 (programs).

What the API is like, and so what this file does:

- Auth is OAuth2 client credentials at `{base}/identity/oauth/token` (GET, the
  credentials in the query, as Marketo documents it); the token lives an hour
  and is reused until then. Calls carry it in `Authorization: Bearer`: the
  `access_token` query parameter is being withdrawn by Adobe.
- Errors come inside HTTP 200 bodies: `{"success": false, "errors": [{"code":
  "601", ...}]}`. `classify` reads them: 601/602 refresh the token, 606 (100
  calls per 20 s) and 615 (10 at once) are retried, 607 (daily quota) fails
  at once, anything else fails with Marketo's code.
- Sync Leads takes 300 records per call and answers one status per record.
- Activities are read with paging tokens: a date token first, then
  `nextPageToken` until `moreResult` is false.
- The Asset API browse endpoint does not return program tags; tags come from
  Get Programs by Tag, which is also how rule Q13 finds the programs to show.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any, ClassVar, cast
from urllib.parse import urlsplit

import httpx
from pydantic import Field, field_validator

from handoff_sdk import (
    ApiError,
    Connector,
    ConnectorConfig,
    OAuth2ClientCredentials,
    Outcome,
    PaginationError,
    RateLimit,
    RateLimitedError,
    SecretSpec,
    Verdict,
    default_classify,
    follow_cursor,
    hookimpl,
    response_json,
    write_in_batches,
)
from handoff_sdk.entities import Event as HubEvent
from handoff_sdk.entities import Lead, PollResult, Program, WriteResult

from .mapping import (
    QUALIFIED_TAG_TYPE,
    activity_to_event,
    lead_to_marketo,
    program_from_marketo,
    qualified_programs,
    signup_to_lead,
    upsert_results,
)

__all__ = [
    "AUTH_CODES",
    "RATE_LIMIT_WINDOW_SECONDS",
    "RETRY_CODES",
    "MarketoConfig",
    "MarketoConnector",
    "classify_marketo",
]

AUTH_CODES = frozenset({"601", "602"})
"""Access token invalid (601) or expired (602): fetch a new token and try once more."""

RETRY_CODES = frozenset({"604", "606", "608", "615", "713"})
"""Worth another try: time-out, rate limit, temporarily unavailable, concurrency, transient."""

RATE_LIMIT_WINDOW_SECONDS = 20.0
"""606 means more than 100 calls in the last 20 s: waiting one window clears it."""

DAILY_QUOTA_CODE = "607"
NO_DATA_CODE = "702"
LEADS_PER_CALL = 300
PROGRAMS_PER_PAGE = 200
MAX_ACTIVITY_TYPES = 10


def _marketo_error(body: Mapping[str, Any]) -> tuple[str | None, str]:
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else None
    if not isinstance(first, dict):
        return None, "Marketo answered success=false without an error"
    code = first.get("code")
    return (str(code) if code is not None else None, str(first.get("message") or "no message"))


def classify_marketo(response: httpx.Response, now: datetime | None = None) -> Outcome:
    """Read a Marketo answer, including the errors it reports inside HTTP 200.

    HTTP-level failures (401 from the identity endpoint, 413, 414, 5xx) get
    the SDK's reading. A 200 with `success: false` is classified by its first
    error code (see the module docstring); 702 "no data found" is an empty
    answer, not a failure.
    """
    if response.status_code >= 300:
        return default_classify(response, now)
    body = response_json(response)
    if not isinstance(body, dict) or body.get("success") is not False:
        return Outcome.ok()
    code, message = _marketo_error(body)
    if code in AUTH_CODES:
        return Outcome(Verdict.REFRESH_AUTH, code, message)
    if code == "606":
        return Outcome(
            Verdict.RETRY, code, message, retry_after=RATE_LIMIT_WINDOW_SECONDS, rate_limited=True
        )
    if code == "615":
        return Outcome(Verdict.RETRY, code, message, rate_limited=True)
    if code in RETRY_CODES:
        return Outcome(Verdict.RETRY, code, message)
    if code == DAILY_QUOTA_CODE:
        return Outcome(
            Verdict.FAIL,
            code,
            f"{message} (the daily API quota resets at 12:00 AM US Central time)",
            rate_limited=True,
        )
    if code == NO_DATA_CODE:
        return Outcome.ok()
    return Outcome(Verdict.FAIL, code, message)


class MarketoConfig(ConnectorConfig):
    """`[connectors.marketo]` in handoff.toml. The client secret is a secret, not config."""

    base_url: str = Field(
        description="REST base URL, https://<munchkin id>.mktorest.com "
        "(Admin > Integration > Web Services; a trailing /rest or /identity is dropped)."
    )
    client_id: str = Field(
        min_length=1,
        description="Client ID of the custom service (Admin > Integration > LaunchPoint).",
    )
    lookup_field: str = Field(
        default="email",
        min_length=1,
        description="Lead field Sync Leads deduplicates on (createOrUpdate).",
    )
    partition_name: str | None = Field(
        default=None, description="Lead partition to create leads in; default partition if unset."
    )
    used_with_qualified_only: bool = Field(
        default=True,
        description="Q13: list only programs tagged UsedWithQualified = True "
        "(untagged or false means hidden).",
    )
    activity_type_ids: list[int] = Field(
        default_factory=lambda: [46],
        min_length=1,
        max_length=MAX_ACTIVITY_TYPES,
        description="Activity types to poll (at most 10); 46 is Interesting Moment.",
    )
    max_activity_pages: int = Field(
        default=20,
        ge=1,
        description="Pages of activities read per poll; the rest waits for the next poll.",
    )

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        url = value.strip().rstrip("/")
        for suffix in ("/rest", "/identity"):
            if url.endswith(suffix):
                url = url[: -len(suffix)]
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.netloc or parts.path or parts.query:
            raise ValueError(
                "marketo: base_url must look like https://<munchkin id>.mktorest.com "
                "(Admin > Integration > Web Services)"
            )
        return url


class MarketoConnector(Connector[MarketoConfig]):
    """Marketo Engage: lead upserts, program listing (Q13), activity polling, D8 forwarding."""

    name = "marketo"
    title = "Marketo Engage"
    secret_specs = (
        SecretSpec(
            name="client_secret",
            description="Client Secret of the Marketo custom service "
            "(Admin > Integration > LaunchPoint > View Details).",
        ),
    )
    default_rate_limit = RateLimit(requests=100, per_seconds=20, concurrency=10)
    batch_limits: ClassVar[Mapping[str, int]] = {"handoff_upsert_leads": LEADS_PER_CALL}
    simulator = "handoff_marketo.simulator:MarketoSimulator"

    def url(self, path: str) -> str:
        """An absolute URL on this Marketo instance."""
        return f"{self.config.base_url}{path}"

    def build_auth(self) -> httpx.Auth:
        """Client credentials at the identity endpoint; the token goes in a Bearer header."""
        return OAuth2ClientCredentials(
            connector=self.name,
            clock=self.clock,
            secrets=self.secret_store,
            token_url=self.url("/identity/oauth/token"),
            client_id=self.config.client_id,
            client_secret="client_secret",  # noqa: S106 - the secret's name, not its value
            credentials_in="query",
        )

    def classify(self, response: httpx.Response) -> Outcome:
        """Marketo reports most errors inside HTTP 200 bodies; see `classify_marketo`."""
        return classify_marketo(response, self.clock.now())

    # -- leads --------------------------------------------------------------------

    @hookimpl
    async def handoff_upsert_leads(
        self, leads: Sequence[Lead], idempotency_key: str
    ) -> list[WriteResult]:
        """Sync Leads (createOrUpdate) in calls of 300; one result per lead, in order.

        After a 607 (daily quota) the remaining batches are not sent: Marketo
        would refuse each of them the same way until the quota resets.
        """
        quota: list[ApiError] = []

        async def send(chunk: Sequence[Lead], key: str) -> list[WriteResult]:
            if quota:
                raise quota[0].with_traceback(None)
            body: dict[str, Any] = {
                "action": "createOrUpdate",
                "lookupField": self.config.lookup_field,
                "input": [lead_to_marketo(lead, self.config.lookup_field) for lead in chunk],
            }
            if self.config.partition_name:
                body["partitionName"] = self.config.partition_name
            try:
                data = await self.request_json(
                    "POST", self.url("/rest/v1/leads.json"), json=body, idempotency_key=key
                )
            except RateLimitedError as exc:
                if exc.code == DAILY_QUOTA_CODE:
                    quota.append(exc)
                raise
            result = data.get("result") if isinstance(data, dict) else None
            return upsert_results(result, len(chunk))

        return await write_in_batches(
            leads,
            self.batch_limits["handoff_upsert_leads"],
            send,
            idempotency_key,
            concurrency=self.budget.limit.concurrency,
        )

    async def forward_signup(
        self,
        payload: Mapping[str, Any],
        idempotency_key: str,
        *,
        source: str | None = None,
    ) -> WriteResult:
        """D8: upsert the person of a purchase or trial webhook as a Marketo lead.

        The payload needs an email; first name, last name and company are taken
        when present, under the usual spellings (see `mapping.signup_to_lead`).
        `source` becomes the lead's `leadSource` (e.g. "Free Trial"). Notifying
        the BDR team is the hub's job, after this returns.
        """
        lead = signup_to_lead(payload, source=source)
        [result] = await self.handoff_upsert_leads([lead], idempotency_key)
        return result

    # -- programs -----------------------------------------------------------------

    async def _asset_pages(self, path: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """Every item of an Asset API listing, paged by offset and maxReturn (200 at most)."""
        items: list[dict[str, Any]] = []
        offset = 0
        while True:
            data = await self.request_json(
                "GET",
                self.url(path),
                params={**params, "maxReturn": str(PROGRAMS_PER_PAGE), "offset": str(offset)},
            )
            result = data.get("result") if isinstance(data, dict) else None
            page = [item for item in result or [] if isinstance(item, dict)]
            items += page
            if len(page) < PROGRAMS_PER_PAGE:
                return items
            offset += PROGRAMS_PER_PAGE
            if offset > 1_000_000:
                raise PaginationError(self.name, f"{path} did not stop paging")

    @hookimpl
    async def handoff_list_programs(self) -> list[Program]:
        """Q13: programs with their tags; by default only those tagged UsedWithQualified = True.

        Browsing (`programs.json`) does not return tags, so the tagged
        programs are read from Get Programs by Tag. With the filter on that
        is the whole answer; with it off, every browsed program is listed and
        the tagged ones carry their tags.
        """
        tagged = [
            program_from_marketo(item)
            for item in await self._asset_pages(
                "/rest/asset/v1/program/byTag.json",
                {"tagType": QUALIFIED_TAG_TYPE, "tagValue": "True"},
            )
        ]
        if self.config.used_with_qualified_only:
            return qualified_programs(tagged)
        tags_by_id = {p.ids["marketo"]: p.tags for p in tagged}
        programs: list[Program] = []
        for item in await self._asset_pages("/rest/asset/v1/programs.json", {}):
            program = program_from_marketo(item)
            program.tags = {**tags_by_id.get(program.ids["marketo"], {}), **program.tags}
            programs.append(program)
        return programs

    # -- activities ---------------------------------------------------------------

    async def _paging_token(self, since: datetime) -> str:
        """A date-based paging token: where reading activities starts."""
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        data = await self.request_json(
            "GET",
            self.url("/rest/v1/activities/pagingtoken.json"),
            params={"sinceDatetime": stamp},
        )
        token = data.get("nextPageToken") if isinstance(data, dict) else None
        if not token:
            raise ApiError(self.name, 200, None, "the paging token answer has no nextPageToken")
        return str(token)

    @hookimpl
    async def handoff_poll_events(self, cursor: str | None) -> PollResult:
        """Activities of the configured types since `cursor` (a paging token; None: now).

        Pages follow `nextPageToken` while `moreResult` is true, up to
        `max_activity_pages` per poll. The returned cursor is the last
        `nextPageToken`, which Marketo always sends and which resumes exactly
        there, even when a poll stopped early.
        """
        start = cursor or await self._paging_token(self.clock.now())
        type_ids = ",".join(str(i) for i in self.config.activity_type_ids)

        async def fetch(token: str | None) -> dict[str, Any]:
            data = await self.request_json(
                "GET",
                self.url("/rest/v1/activities.json"),
                params={"nextPageToken": token or start, "activityTypeIds": type_ids},
            )
            return data if isinstance(data, dict) else {}

        def next_token(page: dict[str, Any]) -> str | None:
            token = page.get("nextPageToken")
            return str(token) if token else None

        events: list[HubEvent] = []
        last = start
        pages = 0
        stream = cast(
            AsyncGenerator[dict[str, Any], None],
            follow_cursor(
                fetch, next_token, lambda page: bool(page.get("moreResult")), connector=self.name
            ),
        )
        async with aclosing(stream):
            async for page in stream:
                pages += 1
                events += [
                    activity_to_event(item)
                    for item in page.get("result") or []
                    if isinstance(item, dict)
                ]
                last = next_token(page) or last
                if pages >= self.config.max_activity_pages:
                    break
        return PollResult(events=events, cursor=last)
