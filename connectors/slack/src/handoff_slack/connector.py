"""Slack: post a notification to a channel, pinging the people it names (P5, Z6).

Two ways in, chosen by `mode`:

- `bot` (default): the Web API with a bot token. `chat.postMessage` to the
  notification's channel; mentions given as emails are resolved with
  `users.lookupByEmail`. The Web API answers HTTP 200 with `{"ok": false,
  "error": "..."}` for most failures, so `classify` reads the body.
- `incoming_webhook`: POST to a webhook URL that Slack bound to one channel.
  No lookups (no token), so only user ids ping. Answers are plain text:
  `ok`, or an error word with a 4xx status.

Slack has no idempotency header. The SDK's header is still sent (harmless,
and it lets a proxy log correlate), the key is attached as message metadata
in bot mode, and deduplication is the hub's job (its outbox).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

import httpx
from pydantic import Field

from handoff_sdk import (
    ApiError,
    ApiKeyAuth,
    ConfigError,
    Connector,
    ConnectorConfig,
    Outcome,
    RateLimit,
    SecretSpec,
    Verdict,
    default_classify,
    hookimpl,
    parse_retry_after,
    response_json,
)
from handoff_sdk.entities import Notification, WriteError, WriteResult

from . import mapping

__all__ = ["SlackConfig", "SlackConnector"]

log = logging.getLogger("handoff_slack")

JSON_UTF8 = {"Content-Type": "application/json; charset=utf-8"}
"""Slack warns `missing_charset` on a JSON body without a charset."""

AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "org_login_required",
        "team_access_not_granted",
    }
)
"""The bot token is refused. It is a static token: nothing to refresh, so AuthError."""

RATE_ERRORS = frozenset({"ratelimited", "rate_limited"})
TRANSIENT_ERRORS = frozenset({"internal_error", "service_unavailable", "request_timeout"})
"""Worth another try. `fatal_error` is not here: Slack says part of it may have happened."""

WEBHOOK_AUTH_ERRORS = frozenset({"invalid_token", "no_service", "no_team", "no_active_hooks"})
"""The webhook URL (the credential) is revoked, disabled or wrong."""

HINTS = {
    "not_in_channel": "the bot is not a member of channel {channel}; invite it "
    "(`/invite @your-app`) or grant chat:write.public for public channels",
    "channel_not_found": "channel {channel} does not exist or the bot cannot see it "
    "(private channels need an invitation)",
    "is_archived": "channel {channel} is archived",
    "channel_is_archived": "the webhook's channel is archived",
    "msg_too_long": "the message is longer than Slack accepts",
    "no_text": "the message has no text",
    "missing_scope": "the bot token lacks scope {needed} (has: {provided}); add it and reinstall",
    "restricted_action": "a workspace setting forbids the bot to post in channel {channel}",
    "ekm_access_denied": "workspace admins have suspended posting (Enterprise Key Management)",
    "invalid_payload": "Slack could not read the webhook payload",
    "action_prohibited": "a workspace admin restricts this webhook",
    "posting_to_general_channel_denied": "only admins may post to the webhook's #general",
    "users_not_found": "no Slack user has this email",
}


class SlackConfig(ConnectorConfig):
    """`[connectors.slack]` in handoff.toml."""

    mode: Literal["bot", "incoming_webhook"] = Field(
        default="bot",
        description="bot: Web API with the secret bot_token; incoming_webhook: the secret "
        "webhook_url, one fixed channel, mentions by user id only.",
    )
    default_channel: str | None = Field(
        default=None,
        description="Channel (name like '#sales' or id like 'C0123ABCD') used when a "
        "notification names none. Bot mode only.",
    )
    api_base_url: str = Field(default="https://slack.com/api", description="Web API root.")
    link_label: str = Field(default="Open record", description="Text of the notification link.")
    unfurl_links: bool = Field(
        default=False, description="Let Slack preview links (CRM links preview as login pages)."
    )
    resolve_emails: bool = Field(
        default=True,
        description="Look up email mentions with users.lookupByEmail (scope users:read.email).",
    )
    post_metadata: bool = Field(
        default=True, description="Attach the idempotency key to each post as message metadata."
    )

    def required_secrets(self) -> list[str]:
        """The bot token in bot mode, the webhook URL in incoming_webhook mode."""
        return ["webhook_url"] if self.mode == "incoming_webhook" else ["bot_token"]


class SlackConnector(Connector[SlackConfig]):
    """Posts notifications to Slack channels, with @mentions."""

    name = "slack"
    title = "Slack"
    secret_specs = (
        SecretSpec(
            name="bot_token",
            description="Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions "
            "page; scopes chat:write (+ chat:write.public, users:read.email). Bot mode.",
        ),
        SecretSpec(
            name="webhook_url",
            description="Incoming webhook URL (https://hooks.slack.com/services/...); it embeds "
            "a token, so it is kept as a secret. incoming_webhook mode.",
        ),
    )
    default_rate_limit = RateLimit(requests=50, per_seconds=60, concurrency=2)
    simulator = "handoff_slack.simulator:SlackSimulator"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._user_ids: dict[str, str] = {}

    def build_auth(self) -> httpx.Auth | None:
        """Bearer bot token on Web API calls; a webhook URL carries its own credential."""
        if self.config.mode == "incoming_webhook":
            return None
        return ApiKeyAuth(self.secret_store, "bot_token", prefix="Bearer ")

    # -- reading Slack's answers -------------------------------------------------

    def classify(self, response: httpx.Response) -> Outcome:
        """Slack's errors: `ok: false` inside HTTP 200 (Web API), error words (webhooks)."""
        if self.config.mode == "incoming_webhook":
            return self._classify_webhook(response)
        body = response_json(response)
        if not isinstance(body, dict) or "ok" not in body:
            outcome = default_classify(response, self.clock.now())
            if outcome.verdict is Verdict.OK:
                # Every Web API answer carries `ok`; a 200 without it is not Slack's
                # (a proxy's login page, say) and must not pass for a post.
                return Outcome(
                    Verdict.FAIL,
                    "unexpected_response",
                    f"HTTP {response.status_code} without Slack's 'ok' field "
                    f"({response.headers.get('content-type', 'no content type')})",
                )
            return outcome
        if body["ok"] is True:
            return Outcome.ok()
        code = str(body.get("error") or "unknown_error")
        message = self._explain(code, body, response.request)
        retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.now())
        if code in RATE_ERRORS or response.status_code == 429:
            return Outcome(Verdict.RETRY, code, message, retry_after, rate_limited=True)
        if code in AUTH_ERRORS:
            return Outcome(Verdict.REFRESH_AUTH, code, message)
        if code in TRANSIENT_ERRORS or response.status_code >= 500:
            return Outcome(Verdict.RETRY, code, message, retry_after)
        return Outcome(Verdict.FAIL, code, message)

    def _classify_webhook(self, response: httpx.Response) -> Outcome:
        status = response.status_code
        if status < 400:
            return Outcome.ok()
        word = response.text.strip()[:80] if response.content else ""
        code = word if word.replace("_", "").isalnum() else None
        message = HINTS.get(code or "", word or response.reason_phrase)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.now())
            return Outcome(Verdict.RETRY, code, message, retry_after, rate_limited=True)
        if code in WEBHOOK_AUTH_ERRORS:
            return Outcome(
                Verdict.REFRESH_AUTH, code, f"the webhook URL was refused ({code}); set a new one"
            )
        if status >= 500:
            return Outcome(Verdict.RETRY, code, message)
        return Outcome(Verdict.FAIL, code, message)

    @staticmethod
    def _explain(code: str, body: dict[str, Any], request: httpx.Request) -> str:
        """A sentence for ops: what Slack's error word means here, naming the channel."""
        hint = HINTS.get(code)
        if hint is None:
            return code
        sent: Any = None
        if request.content:
            try:
                sent = json.loads(request.content)
            except ValueError:
                sent = None
        channel = sent.get("channel") if isinstance(sent, dict) else None
        return hint.format(
            channel=f"'{channel}'" if channel else "(unknown)",
            needed=body.get("needed", "?"),
            provided=body.get("provided", "?"),
        )

    def observe(self, response: httpx.Response) -> None:
        """Log Slack's warnings (e.g. `missing_charset`): they announce future errors."""
        body = response_json(response) if self.config.mode == "bot" else None
        if isinstance(body, dict):
            warnings = body.get("response_metadata", {}).get("warnings") or []
            if warnings:
                log.warning("slack: %s warned %s", response.request.url.path, warnings)

    # -- the capability ------------------------------------------------------------

    @hookimpl
    async def handoff_send_notification(
        self, notification: Notification, idempotency_key: str
    ) -> WriteResult:
        """Post the notification; mentions that cannot ping are shown as text and listed in errors.

        Bot mode: channel from the notification, else `default_channel`.
        Webhook mode: the webhook's own channel. Raises ApiError with Slack's
        code (not_in_channel, channel_not_found, ...) when Slack refuses the
        post, AuthError when the token or webhook URL is refused.
        """
        config = self.config
        mentions, problems = await self._mentions(notification.mentions, idempotency_key)
        text = mapping.message_text(notification, mentions, config.link_label)
        if config.mode == "incoming_webhook":
            await self.request(
                "POST",
                self._webhook_url(),
                json=mapping.webhook_payload(text, unfurl_links=config.unfurl_links),
                headers=JSON_UTF8,
                idempotency_key=idempotency_key,
            )
            return WriteResult(index=0, ok=True, created=True, errors=problems)
        channel = (notification.channel or config.default_channel or "").strip()
        if not channel:
            raise ConfigError(
                self.name,
                "default_channel",
                "the notification names no channel and no default_channel is configured",
            )
        body = await self.request_json(
            "POST",
            f"{config.api_base_url}/chat.postMessage",
            json=mapping.post_payload(
                channel,
                text,
                idempotency_key=idempotency_key,
                unfurl_links=config.unfurl_links,
                metadata=config.post_metadata,
            ),
            headers=JSON_UTF8,
            idempotency_key=idempotency_key,
        )
        return mapping.post_result(body, problems)

    # -- steps ---------------------------------------------------------------------

    def _webhook_url(self) -> str:
        url = self.secret_store.get("webhook_url").strip()
        if not url.startswith("https://"):
            # Never echo the value: it is a credential.
            raise ConfigError(self.name, "webhook_url", "the secret must be an https:// URL")
        return url

    async def _mentions(
        self, raw_mentions: list[str], idempotency_key: str
    ) -> tuple[list[str], list[WriteError]]:
        """Markup for each mention, and a WriteError for each that will not ping anyone."""
        markup: list[str] = []
        problems: list[WriteError] = []
        for raw in raw_mentions:
            mention = mapping.parse_mention(raw)
            user_id: str | None = None
            if mention.kind == "email":
                user_id, problem = await self._resolve_email(mention.value, idempotency_key)
                if problem is not None:
                    problems.append(problem)
            elif mention.kind == "text":
                problems.append(
                    WriteError(
                        code="unresolved_mention",
                        message=f"'{raw}' is neither a Slack user id nor an email; "
                        "shown as text, nobody is pinged",
                        fields=["mentions"],
                    )
                )
            token = mapping.mention_markup(mention, user_id)
            if token not in markup:
                markup.append(token)
        return markup, problems

    async def _resolve_email(
        self, email: str, idempotency_key: str
    ) -> tuple[str | None, WriteError | None]:
        """users.lookupByEmail, cached per connector; a miss degrades to text, not a failure.

        The notification matters more than the ping: a missing user or a
        missing users:read.email scope is reported in the result's errors.
        """
        if self.config.mode == "incoming_webhook" or not self.config.resolve_emails:
            return None, WriteError(
                code="unresolved_mention",
                message=f"{email}: email mentions are not looked up in this mode; shown as text",
                fields=["mentions"],
            )
        if email in self._user_ids:
            return self._user_ids[email], None
        try:
            # The key rides along on the lookup too: every request of a write carries it.
            body = await self.request_json(
                "GET",
                f"{self.config.api_base_url}/users.lookupByEmail",
                params={"email": email},
                idempotency_key=idempotency_key,
            )
        except ApiError as exc:
            if exc.code not in ("users_not_found", "missing_scope", "user_not_found"):
                raise
            return None, WriteError(
                code=exc.code, message=f"{email}: {exc.message}", fields=["mentions"]
            )
        user_id = mapping.user_id_from_lookup(body)
        if user_id is None:
            return None, WriteError(
                code="user_deactivated",
                message=f"{email}: the Slack user is deactivated; shown as text",
                fields=["mentions"],
            )
        self._user_ids[email] = user_id
        return user_id, None
