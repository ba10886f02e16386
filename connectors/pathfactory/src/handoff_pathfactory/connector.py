"""The PathFactory connector: content engagement becomes Fast Moving Buyer events (P5).

Polling reads visitor pageviews from PathFactory's REST API
(`GET {base_url}/public/v3/pageviews/`, limit/offset paging, time filters),
with the API key in a header. Each pageview goes through the Fast Moving
Buyer thresholds (`signal.py`); the window's memory travels in the cursor.

Webhooks pass through what PathFactory already decided: a Visitor Activity
(for example a "Multiple Asset Engagement" activity named "Fast Moving
Buyer") whose name is configured becomes the same event. PathFactory signs
nothing, so a shared secret in a header or in basic auth is checked, in
constant time.

PathFactory's public documentation describes the fields and mentions rate
limiting and quotas on v3, but publishes no numbers and no recorded
responses: record shapes, filter names and the rate budget are configuration
with conservative defaults (docs/connectors/pathfactory.md).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    response_json,
)
from handoff_sdk.entities import Event, PollResult, WebhookRequest

from .mapping import (
    PageviewFields,
    activity_items,
    alert_event,
    has_more,
    pageview_from_record,
    parse_datetime,
    record_mark,
    records_of,
    webhook_event,
)
from .signal import EngagementState, Pageview, Thresholds, detect

__all__ = ["FastMovingBuyerConfig", "PathfactoryConfig", "PathfactoryConnector"]


class FastMovingBuyerConfig(BaseModel):
    """`[connectors.pathfactory.fast_moving_buyer]`: when engagement makes a Fast Moving Buyer."""

    model_config = ConfigDict(extra="forbid")

    min_assets: int | None = Field(
        default=3, ge=1, description="Distinct assets consumed within the window; 0: off."
    )
    min_engaged_minutes: float | None = Field(
        default=10.0, gt=0, description="Minutes engaged within the window; 0: off."
    )
    match: Literal["any", "all"] = Field(
        default="any", description="'any': one criterion is enough; 'all': both are needed."
    )
    window_hours: float = Field(default=24.0, gt=0, description="Length of the sliding window.")
    cooldown_hours: float | None = Field(
        default=None, gt=0, description="No second alert for a visitor before this; 0: the window."
    )
    require_email: bool = Field(
        default=True,
        description="Only known visitors (with an email) can alert; false also tracks "
        "anonymous visitors by PathFactory visitor id.",
    )

    @field_validator("min_assets", "min_engaged_minutes", "cooldown_hours", mode="before")
    @classmethod
    def _zero_is_off(cls, value: Any) -> Any:
        """TOML has no null: 0 (or "") switches a criterion off."""
        return None if value in (0, "") else value

    @model_validator(mode="after")
    def _one_criterion(self) -> FastMovingBuyerConfig:
        if self.min_assets is None and self.min_engaged_minutes is None:
            raise ValueError("set min_assets or min_engaged_minutes (or both)")
        return self

    def thresholds(self) -> Thresholds:
        """The detector's view of this config."""
        window = timedelta(hours=self.window_hours)
        return Thresholds(
            min_assets=self.min_assets,
            min_seconds=self.min_engaged_minutes * 60
            if self.min_engaged_minutes is not None
            else None,
            match=self.match,
            window=window,
            cooldown=timedelta(hours=self.cooldown_hours) if self.cooldown_hours else window,
        )


class PathfactoryConfig(ConnectorConfig):
    """`[connectors.pathfactory]` in handoff.toml."""

    base_url: HttpsUrl = Field(
        default="https://datalakeapi.pathfactory.com", description="PathFactory API host."
    )
    pageviews_path: str = Field(
        default="/public/v3/pageviews/", description="Path of the pageview (engagement) listing."
    )
    since_param: str = Field(
        default="created_at_min", description="Query parameter: records from this time on."
    )
    until_param: str = Field(
        default="created_at_max", description="Query parameter: records up to this time."
    )
    order_param: str | None = Field(
        default="ordering",
        description="Query parameter asking for oldest first (its value is the cursor field); "
        '"" to send none.',
    )
    extra_params: dict[str, str] = Field(
        default_factory=dict, description="Other query parameters sent with every listing call."
    )
    auth_header: str = Field(default="Authorization", description="Header carrying the API key.")
    auth_prefix: str = Field(default="Bearer ", description="Text before the key in that header.")
    page_size: int = Field(default=500, ge=1, le=1000, description="Records per page.")
    max_pages_per_poll: int = Field(
        default=20, ge=1, description="Pages read per poll at most; the cursor resumes the rest."
    )
    fields: PageviewFields = Field(
        default_factory=PageviewFields, description="Names of the pageview fields read."
    )
    fast_moving_buyer: FastMovingBuyerConfig = Field(
        default_factory=FastMovingBuyerConfig, description="The Fast Moving Buyer thresholds."
    )
    activity_names: list[str] = Field(
        default_factory=lambda: ["Fast Moving Buyer"],
        description="Visitor Activity names passed through as Fast Moving Buyer (webhooks).",
    )
    webhook_auth: WebhookAuthMode = Field(
        default="header", description="'header' (token in `webhook_header`) or 'basic'."
    )
    webhook_header: str = Field(
        default="X-Handoff-Token", description="Header holding the shared secret ('header')."
    )
    webhook_username: str = Field(
        default="pathfactory", description="Basic-auth user name ('basic')."
    )

    @field_validator("order_param", mode="before")
    @classmethod
    def _blank_order(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("pageviews_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        return value if value.startswith("/") else "/" + value

    def required_secrets(self) -> list[str]:
        """Only the API key is needed to start; `webhook_secret` is read per webhook."""
        return ["api_key"]


_THROTTLE_WAIT = re.compile(r"available in (\d+(?:\.\d+)?) second", re.IGNORECASE)


def _error_of(body: Any) -> tuple[str | None, str | None]:
    """The message of a PathFactory error body: `detail` (DRF), `message`, `error` or `errors`."""
    if not isinstance(body, dict):
        return None, None
    code = body.get("code") or body.get("error_code")
    message = body.get("detail") or body.get("message") or body.get("error")
    errors = body.get("errors")
    if message is None and isinstance(errors, list) and errors:
        first = errors[0]
        message = first.get("message") or first.get("detail") if isinstance(first, dict) else first
    if isinstance(message, dict | list):
        message = json.dumps(message)[:300]
    return (str(code) if code else None, str(message) if message else None)


class PathfactoryConnector(Connector[PathfactoryConfig]):
    """PathFactory: content engagement as Fast Moving Buyer events (rule P5)."""

    name: ClassVar[str] = "pathfactory"
    title: ClassVar[str] = "PathFactory"
    secret_specs: ClassVar[tuple[SecretSpec, ...]] = (
        SecretSpec(
            name="api_key",
            description="PathFactory REST API key, created by an admin (PathFactory help: "
            "Integrations > API Keys) with a role that may read engagement data.",
        ),
        SecretSpec(
            name="webhook_secret",
            description="Shared secret the PathFactory webhook sends (header token or "
            "basic-auth password); needed only to receive webhooks.",
        ),
    )
    default_rate_limit: ClassVar[RateLimit] = RateLimit(requests=20, per_seconds=60, concurrency=1)
    """PathFactory publishes no numbers; 20 calls a minute, one at a time, is a polite guess."""
    simulator: ClassVar[str | None] = "handoff_pathfactory.simulator:PathfactorySimulator"

    def build_auth(self) -> httpx.Auth:
        """The static API key in the configured header (`Authorization: Bearer <key>`)."""
        cfg = self.config
        return ApiKeyAuth(
            self.secret_store, "api_key", header=cfg.auth_header, prefix=cfg.auth_prefix
        )

    def classify(self, response: httpx.Response) -> Outcome:
        """Status first (DRF-style `detail` bodies); a throttle's wait may be in the text."""
        body = response_json(response)
        code, message = _error_of(body)
        status = response.status_code
        if status >= 400:
            base = default_classify(response, self.clock.now())
            retry_after = base.retry_after
            if status == 429 and retry_after is None and message:
                found = _THROTTLE_WAIT.search(message)
                retry_after = float(found.group(1)) if found else None
            if status == 403:
                return Outcome(
                    Verdict.FAIL,
                    code or "forbidden",
                    f"the API key's role may not read {response.request.url.path}"
                    + (f": {message}" if message else ""),
                )
            return Outcome(
                base.verdict,
                code or base.code,
                message or base.message,
                retry_after,
                base.rate_limited,
            )
        if status == 204:
            return Outcome.ok()
        if body is None:
            return Outcome(
                Verdict.FAIL, "not_json", "the answer is not JSON; check base_url and the path"
            )
        if isinstance(body, dict) and "error" in body and not records_of(body):
            return Outcome(Verdict.FAIL, code, message or "PathFactory reported an error")
        return Outcome.ok()

    def _state(self, cursor: str | None, now: datetime) -> EngagementState:
        """Cursor -> state. None or a bare timestamp T: alert from T on, with a window before."""
        window = self.config.fast_moving_buyer.thresholds().window
        if cursor is None:
            return EngagementState(since=now - window, emit_from=now)
        text = cursor.strip()
        if not text.startswith("{"):
            start = parse_datetime(text)
            if start is None:
                raise ConnectorError(self.name, "unreadable poll cursor: not JSON nor a timestamp")
            return EngagementState(since=start - window, emit_from=start)
        try:
            return EngagementState.loads(text)
        except (ValueError, KeyError, TypeError) as exc:
            raise ConnectorError(self.name, f"unreadable poll cursor: {exc}") from None

    @hookimpl
    async def handoff_poll_events(self, cursor: str | None) -> PollResult:
        """P5: pageviews since the cursor, through the thresholds, as Fast Moving Buyer events."""
        cfg = self.config
        now = self.clock.now()
        state = self._state(cursor, now)
        thresholds = cfg.fast_moving_buyer.thresholds()
        url = f"{cfg.base_url}{cfg.pageviews_path}"
        pageviews: list[Pageview] = []
        read: list[tuple[str, datetime]] = []
        for page in range(cfg.max_pages_per_poll):
            params: dict[str, Any] = {
                cfg.since_param: _iso(state.since),
                cfg.until_param: _iso(now),
                "limit": cfg.page_size,
                "offset": page * cfg.page_size,
            }
            if cfg.order_param:
                params[cfg.order_param] = cfg.fields.cursor_field()
            params.update(cfg.extra_params)
            body = await self.request_json("GET", url, params=params)
            records = records_of(body)
            for record in records:
                mark = record_mark(record, cfg.fields)
                if mark is not None:
                    read.append(mark)
                pageview = pageview_from_record(
                    record, cfg.fields, require_email=cfg.fast_moving_buyer.require_email
                )
                if pageview is not None:
                    pageviews.append(pageview)
            if not has_more(body, len(records), cfg.page_size):
                break
        alerts, next_state = detect(state, pageviews, thresholds, now, read=read)
        events = [alert_event(alert, thresholds) for alert in alerts]
        return PollResult(events=events, cursor=next_state.dumps())

    @hookimpl
    async def handoff_parse_webhook(self, request: WebhookRequest) -> list[Event]:
        """P5: a PathFactory webhook, checked against the shared secret, as events."""
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
        thresholds = cfg.fast_moving_buyer.thresholds()
        events: list[Event] = []
        for n, item in enumerate(activity_items(body)):
            try:
                event = webhook_event(
                    item,
                    activity_names=cfg.activity_names,
                    thresholds=thresholds,
                    require_email=cfg.fast_moving_buyer.require_email,
                    received_at=request.received_at,
                )
            except ValueError as exc:
                raise ConnectorError(self.name, f"webhook item {n}: {exc}") from None
            if event is not None:
                events.append(event)
        return events


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
