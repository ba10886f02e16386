"""The Gainsight CS connector: survey responses become P5 events, polled or pushed.

Polling reads one Gainsight object (the survey responses) through the Data
Management query API, `POST {base_url}/v1/data/objects/query/{object}`, with
the tenant's access key in the `accesskey` header. Records are read by
modified date, oldest first, with limit/offset paging; the cursor keeps the
last modified date and the ids read at it, so a poll resumes exactly.

Pushing uses a Gainsight outbound call (Rules Engine "Call External API" or
Journey Orchestrator "Call API") to the hub's webhook URL. Gainsight signs
nothing; the call proves itself with a shared secret in a header or in basic
auth, checked in constant time.

Gainsight documents 100 synchronous calls a minute and 50,000 a day per
tenant (fixed windows), shared with every other integration of the tenant.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Any, ClassVar

import httpx
from pydantic import Field, field_validator

from handoff_sdk import (
    ApiKeyAuth,
    Connector,
    ConnectorConfig,
    ConnectorError,
    HttpsUrl,
    Outcome,
    RateLimit,
    SecretSpec,
    Verdict,
    WebhookAuthMode,
    check_shared_secret,
    default_classify,
    hookimpl,
    parse_retry_after,
    response_json,
)
from handoff_sdk.entities import Event, PollResult, WebhookRequest

from .mapping import (
    PollCursor,
    SurveyFields,
    SurveyKind,
    SurveyKindRule,
    SurveyRecordMark,
    classify_survey,
    default_kind_rules,
    parse_datetime,
    query_body,
    records_of,
    response_from_record,
    response_from_webhook,
    survey_event,
    webhook_items,
)

__all__ = ["GainsightConfig", "GainsightConnector"]


class GainsightConfig(ConnectorConfig):
    """`[connectors.gainsight]` in handoff.toml."""

    base_url: HttpsUrl = Field(
        description="The tenant's API domain, e.g. 'https://acme.gainsightcloud.com' or the "
        "custom API domain set up under 'Setup a Gainsight Domain'."
    )
    survey_object: str = Field(
        default="survey_participant",
        description="API name of the object holding one record per survey response "
        "(Administration > Data Management).",
    )
    fields: SurveyFields = Field(
        default_factory=SurveyFields, description="API names of the fields read from it."
    )
    survey_kinds: list[SurveyKindRule] = Field(
        default_factory=default_kind_rules,
        description="Survey name globs -> nps/csat/post_churn; the first match wins.",
    )
    unmatched_survey_kind: SurveyKind | None = Field(
        default=None,
        description='Kind of a survey no rule matches; unset (or "") skips such responses.',
    )
    page_size: int = Field(
        default=1000, ge=1, le=5000, description="Records per query (Gainsight's maximum: 5000)."
    )
    max_pages_per_poll: int = Field(
        default=20, ge=1, description="Pages read per poll at most; the cursor resumes the rest."
    )
    initial_lookback_hours: float = Field(
        default=0.0,
        ge=0,
        description="On the very first poll (no cursor), read responses modified this many "
        "hours back; 0 starts from now.",
    )
    webhook_auth: WebhookAuthMode = Field(
        default="header",
        description="How Gainsight's outbound call proves itself: 'header' (token in "
        "`webhook_header`) or 'basic' (basic auth, `webhook_username` + the secret).",
    )
    webhook_header: str = Field(
        default="X-Handoff-Token", description="Header holding the shared secret ('header')."
    )
    webhook_username: str = Field(
        default="gainsight", description="Basic-auth user name ('basic')."
    )

    @field_validator("unmatched_survey_kind", mode="before")
    @classmethod
    def _blank_kind(cls, value: Any) -> Any:
        return None if value == "" else value

    def required_secrets(self) -> list[str]:
        """Only the access key is needed to start; `webhook_secret` is read per webhook."""
        return ["access_key"]


def _error_of(body: Any) -> tuple[str | None, str | None]:
    """Gainsight's error envelope: errorCode / errorDesc (message only as a fallback)."""
    if not isinstance(body, dict):
        return None, None
    code = body.get("errorCode")
    message = body.get("errorDesc") or body.get("localizedErrorDesc") or body.get("message")
    return (str(code) if code else None, str(message) if message else None)


def _rate_limited(code: str | None, message: str | None) -> bool:
    text = f"{code or ''} {message or ''}".lower()
    return "rate limit" in text or "too many requests" in text or "throttl" in text


class GainsightConnector(Connector[GainsightConfig]):
    """Gainsight CS: NPS, CSAT and post-churn survey responses (rule P5)."""

    name: ClassVar[str] = "gainsight"
    title: ClassVar[str] = "Gainsight CS"
    secret_specs: ClassVar[tuple[SecretSpec, ...]] = (
        SecretSpec(
            name="access_key",
            description="REST API access key of the tenant, generated by a Gainsight admin "
            "(Gainsight's 'Generate API Access Key' article); sent in the `accesskey` header. "
            "It does not expire.",
        ),
        SecretSpec(
            name="webhook_secret",
            description="Shared secret that Gainsight's outbound call sends (header token or "
            "basic-auth password); needed only to receive webhooks.",
        ),
    )
    default_rate_limit: ClassVar[RateLimit] = RateLimit(requests=30, per_seconds=60, concurrency=2)
    """30 a minute stays under the tenant's 50,000 a day even when run flat out."""
    simulator: ClassVar[str | None] = "handoff_gainsight.simulator:GainsightSimulator"

    def build_auth(self) -> httpx.Auth:
        """The static access key in Gainsight's `accesskey` header."""
        return ApiKeyAuth(self.secret_store, "access_key", header="accesskey")

    def classify(self, response: httpx.Response) -> Outcome:
        """HTTP status first, then Gainsight's envelope: `result: false` inside an HTTP 200."""
        body = response_json(response)
        code, message = _error_of(body)
        if response.status_code >= 400:
            base = default_classify(response, self.clock.now())
            return dataclasses.replace(
                base, code=code or base.code, message=message or base.message
            )
        if response.status_code == 204:
            return Outcome.ok()
        if body is None:
            return Outcome(
                Verdict.FAIL,
                "not_json",
                "the answer is not JSON; is base_url the tenant's API domain?",
            )
        if isinstance(body, dict) and body.get("result") is False:
            if _rate_limited(code, message):
                retry_after = parse_retry_after(
                    response.headers.get("retry-after"), self.clock.now()
                )
                return Outcome(Verdict.RETRY, code, message, retry_after, rate_limited=True)
            return Outcome(Verdict.FAIL, code, message or "Gainsight answered result=false")
        return Outcome.ok()

    def _cursor(self, cursor: str) -> PollCursor:
        try:
            return PollCursor.loads(cursor)
        except (ValueError, TypeError) as exc:
            raise ConnectorError(self.name, f"unreadable poll cursor: {exc}") from None

    @hookimpl
    async def handoff_poll_events(self, cursor: str | None) -> PollResult:
        """P5: survey responses modified since the cursor, as gainsight.survey.* events."""
        cfg = self.config
        now = self.clock.now()
        if cursor is None:
            if cfg.initial_lookback_hours <= 0:
                return PollResult(events=[], cursor=PollCursor(now).dumps())
            position = PollCursor(now - timedelta(hours=cfg.initial_lookback_hours))
        else:
            position = self._cursor(cursor)
        url = f"{cfg.base_url}/v1/data/objects/query/{cfg.survey_object}"
        fields = cfg.fields
        events: list[Event] = []
        marks: list[SurveyRecordMark] = []
        for page in range(cfg.max_pages_per_poll):
            body = await self.request_json(
                "POST",
                url,
                json=query_body(fields, position.since, now, cfg.page_size, page * cfg.page_size),
            )
            records = records_of(body)
            for record in records:
                record_id = str(record.get(fields.id) or "").strip()
                modified_at = parse_datetime(record.get(fields.modified_date))
                if not record_id:
                    continue
                if modified_at == position.since and record_id in position.ids:
                    continue
                marks.append(SurveyRecordMark(record_id, modified_at))
                response = response_from_record(record, fields)
                if response is None:
                    continue
                kind = classify_survey(
                    response.survey_name, cfg.survey_kinds, cfg.unmatched_survey_kind
                )
                if kind is not None:
                    events.append(survey_event(response, kind))
            if len(records) < cfg.page_size:
                break
        events.sort(key=lambda e: e.occurred_at or now)
        return PollResult(events=events, cursor=position.advance(marks).dumps())

    @hookimpl
    async def handoff_parse_webhook(self, request: WebhookRequest) -> list[Event]:
        """P5: a Gainsight outbound call, checked against the shared secret, as events."""
        cfg = self.config
        check_shared_secret(
            request,
            connector=self.name,
            secret=self.secret_store.get("webhook_secret"),
            secret_name="webhook_secret",  # noqa: S106 - the name, not the value
            mode=cfg.webhook_auth,
            header=cfg.webhook_header,
            username=cfg.webhook_username,
        )
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise ConnectorError(self.name, "webhook body is not JSON") from None
        events: list[Event] = []
        for n, item in enumerate(webhook_items(body)):
            try:
                response = response_from_webhook(item)
            except ValueError as exc:
                raise ConnectorError(self.name, f"webhook response {n}: {exc}") from None
            if response.responded_at is None:
                response = dataclasses.replace(response, responded_at=request.received_at)
            kind = response.kind or classify_survey(
                response.survey_name, cfg.survey_kinds, cfg.unmatched_survey_kind
            )
            if kind is not None:
                events.append(survey_event(response, kind))
        return events
