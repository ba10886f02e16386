"""Slack's Web API and incoming webhooks, simulated for tests and `handoff sandbox` (P5, Z6).

What the connector calls, answered as Slack does:

- `POST /api/chat.postMessage` (JSON, `Authorization: Bearer xoxb-...`):
  the posted message with its `ts`; failures are HTTP 200 with `{"ok":
  false, "error": ...}`: `channel_not_found`, `not_in_channel`,
  `is_archived`, `no_text`, `msg_too_long`, `invalid_auth`; a JSON body
  without `charset` is answered with Slack's `missing_charset` warning;
- `GET /api/users.lookupByEmail?email=...`: the workspace user (the
  synthetic company's reps, and a deactivated former rep), `users_not_found`,
  or `missing_scope` (with `needed` and `provided`) for a token without
  `users:read.email`;
- `POST /services/{team}/{bot}/{secret}`: an incoming webhook bound to
  `#handoff-alerts`, answering plain text (`ok`, `invalid_payload`,
  `no_text`, `invalid_token` with 403 for an unknown URL).

Limits: chat.postMessage about one message a second per channel (a burst of
five is let through), users.lookupByEmail 100 a minute (Tier 4), the webhook
one a second; past them Slack answers HTTP 429 with Retry-After and
`{"ok": false, "error": "ratelimited"}` (the webhook: the text
`rate_limited`).

Accounts: the first is the sandbox's bot (scopes chat:write,
users:read.email); `no-email-scope` is a bot without users:read.email.
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from handoff_sdk.testing import (
    COMPANY,
    ApiKey,
    Call,
    Endpoint,
    Limits,
    RateWindow,
    Refusal,
    Reply,
    SimAccount,
    Simulator,
    SlackChannel,
    endpoint,
)

__all__ = ["SlackSimulator"]

TEAM = "T0SIMTEAM01"
BOT_USER = "U0SIMBOT001"
BOT_ID = "B0SIMBOT001"
APP_ID = "A0SIMAPP001"
WEBHOOK_CHANNEL = "handoff-alerts"
MAX_TEXT = 40_000
"""chat.postMessage truncates past 40,000 characters; longer is `msg_too_long`."""
POST_BURST = (5, 5.0)
"""chat.postMessage: five messages in five seconds per channel (about one a second)."""

_WEB_API_ERRORS = {
    "unauthorized": "invalid_auth",
    "token_expired": "token_expired",
    "forbidden": "not_allowed_token_type",
    "bad_request": "invalid_arguments",
    "unsupported_media_type": "invalid_form_data",
    "not_found": "unknown_method",
    "method_not_allowed": "method_not_supported_for_channel_type",
    "rate_limited": "ratelimited",
    "too_many_concurrent": "ratelimited",
    "server_error": "internal_error",
}
"""Slack's error word for each refusal the framework raises, on the Web API."""

_WEBHOOK_ERRORS = {
    "unauthorized": (403, "invalid_token"),
    "token_expired": (403, "invalid_token"),
    "bad_request": (400, "invalid_payload"),
    "unsupported_media_type": (400, "invalid_payload"),
    "rate_limited": (429, "rate_limited"),
    "too_many_concurrent": (429, "rate_limited"),
    "server_error": (500, "internal_error"),
}
"""Incoming webhooks answer in plain text: (status, word)."""


def _user(user_id: str, name: str, email: str, timezone: str, *, deleted: bool) -> dict[str, Any]:
    first, _, last = name.partition(" ")
    return {
        "id": user_id,
        "team_id": TEAM,
        "name": email.split("@", maxsplit=1)[0],
        "deleted": deleted,
        "real_name": name,
        "tz": timezone,
        "is_bot": False,
        "is_app_user": False,
        "updated": 1767000000,
        "profile": {
            "real_name": name,
            "display_name": first,
            "first_name": first,
            "last_name": last,
            "email": email,
            "team": TEAM,
        },
    }


def _channel_key(channel: SlackChannel) -> tuple[str, str]:
    return channel.id, f"#{channel.name}"


class SlackSimulator(Simulator):
    """A Slack workspace: the synthetic company's reps as users, a few channels, one bot."""

    name = "slack"
    auth = ApiKey("bot_token", header="Authorization", prefix="Bearer ")
    default_limits = Limits(concurrency=10)
    media_type = "application/json; charset=utf-8"

    def __init__(self, **kwargs: Any) -> None:
        self.url: str | None = None
        """Where it is served, once `connector_config` was asked (the webhook URL needs it)."""
        super().__init__(**kwargs)

    def seed(self) -> None:
        """The bot's token, a bot without users:read.email, the users, channels and a webhook."""
        users = {
            rep.email: _user(rep.slack_id, rep.name, rep.email, rep.timezone, deleted=False)
            for rep in COMPANY.reps
        }
        users["former.rep@example.test"] = _user(
            "U0SIMGONE01", "Former Rep", "former.rep@example.test", "UTC", deleted=True
        )
        data = {
            "users": users,
            "channels": {c.id: c for c in COMPANY.channels},
            "messages": [],
            "posts": {},
            "epoch": int(self.clock.now().timestamp()),
        }
        self.add_account(
            SimAccount(
                "bot",
                settings={"scopes": "chat:write,users:read.email"},
                secrets={
                    "bot_token": f"xoxb-sim-{secrets.token_hex(8)}",
                    "webhook": f"sim{secrets.token_hex(12)}",
                },
                data=data,
            )
        )
        self.add_account(
            SimAccount(
                "no-email-scope",
                settings={"scopes": "chat:write"},
                secrets={"bot_token": f"xoxb-sim-noscope-{secrets.token_hex(8)}"},
                data=data,
            )
        )

    # -- pointing the connector here ---------------------------------------------------

    def connector_config(self, url: str) -> dict[str, Any]:
        """`[connectors.slack]` pointing here (bot mode), posting to #sales by default."""
        self.url = url
        return {"api_base_url": f"{url}/api", "default_channel": "#sales"}

    def connector_secrets(self, account: SimAccount | None = None) -> dict[str, str]:
        """The bot token and, once served, the incoming webhook's URL."""
        chosen = account or self.account
        found = {"bot_token": chosen.secrets["bot_token"]}
        if self.url is not None and "webhook" in chosen.secrets:
            found["webhook_url"] = self.webhook_url(chosen)
        return found

    def webhook_url(self, account: SimAccount | None = None) -> str:
        """The incoming webhook of `account` (posting to #handoff-alerts), once served."""
        if self.url is None:
            raise RuntimeError("the webhook URL is known once connector_config(url) was asked")
        secret = (account or self.account).secrets["webhook"]
        return f"{self.url}/services/{TEAM}/B0SIMHOOK01/{secret}"

    def authenticate(
        self, request: Request, endpoint: Endpoint, path_params: Mapping[str, Any]
    ) -> SimAccount:
        """The bot token for the Web API; the URL's secret for an incoming webhook."""
        if endpoint.name != "incoming_webhook":
            return super().authenticate(request, endpoint, path_params)
        found = self.find_account(webhook=str(path_params.get("secret", "")))
        if found is None:
            raise Refusal("unauthorized", "no such webhook")
        return found

    # -- Slack's answers ------------------------------------------------------------------

    def refuse(self, refusal: Refusal, call: Call | None) -> Reply:
        """Web API: HTTP 200 `ok: false` (429 when rate limited); webhooks: a plain-text word."""
        headers: dict[str, str] = {}
        if refusal.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(refusal.retry_after + 0.5)))
        if refusal.endpoint == "incoming_webhook":
            status, word = _WEBHOOK_ERRORS.get(refusal.kind, (refusal.status, refusal.kind))
            return Reply(refusal.code or word, status=status, headers=headers)
        error = refusal.code or _WEB_API_ERRORS.get(refusal.kind, refusal.kind)
        body: dict[str, Any] = {"ok": False, "error": error}
        if refusal.field and refusal.kind == "bad_request":
            body["response_metadata"] = {"messages": [f"[ERROR] {refusal.message}"]}
        if error == "missing_scope":
            body |= {"needed": "users:read.email", "provided": refusal.message}
        status = 429 if refusal.kind in ("rate_limited", "too_many_concurrent") else 200
        return Reply(body, status=status, headers=headers)

    def _channel(self, data: dict[str, Any], wanted: str) -> SlackChannel:
        wanted = wanted.strip()
        for channel in data["channels"].values():
            if wanted in _channel_key(channel) or wanted == channel.name:
                return channel
        raise Refusal("not_found", f"no channel {wanted}", code="channel_not_found", status=200)

    def _pace(self, data: dict[str, Any], channel: SlackChannel) -> None:
        """About one post a second per channel, bursts of five let through."""
        count, seconds = POST_BURST
        sent = data["posts"].setdefault(channel.id, deque())
        now = self.clock.monotonic()
        while sent and sent[0] <= now - seconds:
            sent.popleft()
        if len(sent) >= count:
            raise Refusal(
                "rate_limited",
                f"more than {count} messages in {seconds:g} s to {channel.name}",
                retry_after=sent[0] + seconds - now,
            )
        sent.append(now)

    def _ts(self, data: dict[str, Any]) -> str:
        # Slack's ts is the post's time; counted from the seed so a replayed run answers the same.
        return f"{data['epoch'] + len(data['messages'])}.{len(data['messages']) + 1:06d}"

    @endpoint(
        "POST",
        "/api/chat.postMessage",
        body={
            "channel": str,
            "text?": str,
            "blocks?": list[dict[str, Any]],
            "unfurl_links?": bool,
            "unfurl_media?": bool,
            "metadata?": dict[str, Any],
        },
    )
    async def chat_post_message(self, call: Call) -> Any:
        """Post a message to a channel the bot is in."""
        data = call.data
        channel = self._channel(data, call.body["channel"])
        if channel.archived:
            raise Refusal("conflict", "archived", code="is_archived", status=200)
        if not channel.member:
            raise Refusal("forbidden", "not a member", code="not_in_channel", status=200)
        text = call.body.get("text") or ""
        if not text.strip() and not call.body.get("blocks"):
            raise Refusal("bad_request", "no text", code="no_text", status=200)
        if len(text) > MAX_TEXT:
            raise Refusal("bad_request", "too long", code="msg_too_long", status=200)
        self._pace(data, channel)
        ts = self._ts(data)
        message: dict[str, Any] = {
            "user": BOT_USER,
            "type": "message",
            "ts": ts,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": text,
            "team": TEAM,
            "bot_profile": {"id": BOT_ID, "app_id": APP_ID, "user_id": BOT_USER,
                            "name": "handoff", "deleted": False, "team_id": TEAM},
        }  # fmt: skip
        if call.body.get("metadata"):
            message["metadata"] = call.body["metadata"]
        data["messages"].append({"channel": channel.id, **message})
        answer: dict[str, Any] = {"ok": True, "channel": channel.id, "ts": ts, "message": message}
        if "charset" not in call.headers.get("content-type", "").lower():
            answer["warning"] = "missing_charset"
            answer["response_metadata"] = {"warnings": ["missing_charset"]}
        return answer

    @endpoint(
        "GET",
        "/api/users.lookupByEmail",
        query={"email": str},
        limits=(RateWindow(100, 60.0, name="tier4"),),
    )
    async def users_lookup_by_email(self, call: Call) -> Any:
        """The workspace user with this email (needs users:read.email)."""
        account = call.account
        assert account is not None
        scopes = account.settings["scopes"]
        if "users:read.email" not in scopes.split(","):
            raise Refusal("forbidden", scopes, code="missing_scope", status=200)
        user = call.data["users"].get(str(call.query["email"]).strip().lower())
        if user is None:
            raise Refusal("not_found", "no such user", code="users_not_found", status=200)
        return {"ok": True, "user": user}

    @endpoint(
        "POST",
        "/services/{team}/{bot}/{secret}",
        name="incoming_webhook",
        body={"text?": str, "blocks?": list[dict[str, Any]]},
        limits=(RateWindow(1, 1.0, name="webhook"),),
    )
    async def incoming_webhook(self, call: Call) -> Any:
        """Post to the webhook's own channel; Slack answers the text `ok`."""
        text = call.body.get("text") or ""
        if not text.strip() and not call.body.get("blocks"):
            raise Refusal("bad_request", "no text", code="no_text")
        data = call.data
        channel = self._channel(data, WEBHOOK_CHANNEL)
        data["messages"].append({"channel": channel.id, "ts": self._ts(data), "text": text})
        return Reply("ok", content_type="text/html")
