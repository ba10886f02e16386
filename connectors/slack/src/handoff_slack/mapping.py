"""Pure functions: a canonical Notification -> Slack message text and payloads, and back.

Slack's message text is "mrkdwn": `&`, `<` and `>` are control characters
(`<@U123>` is a mention, `<!channel>` pings everyone, `<url|label>` a link), so
text that comes from a form or a CRM field is escaped before it is posted.
Only the mentions and the link this module builds itself are left as markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from handoff_sdk.entities import Notification, WriteError, WriteResult

__all__ = [
    "METADATA_EVENT_TYPE",
    "Mention",
    "escape",
    "link_markup",
    "mention_markup",
    "message_text",
    "parse_mention",
    "post_payload",
    "post_result",
    "user_id_from_lookup",
    "webhook_payload",
]

METADATA_EVENT_TYPE = "handoff_notification"
"""`metadata.event_type` of every message the bot posts (see post_payload)."""

_USER_ID = re.compile(r"[UW][A-Z0-9]{6,}")
_EMAIL = re.compile(r"[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+")
_SPECIAL = {"here": "<!here>", "channel": "<!channel>", "everyone": "<!everyone>"}


@dataclass(frozen=True)
class Mention:
    """One entry of Notification.mentions, read: a Slack user id, an email, @here..., or a name."""

    kind: Literal["user", "email", "special", "text"]
    value: str


def parse_mention(raw: str) -> Mention:
    """What a mention names, so the connector knows whether it must look it up.

    `U024BE7LH` / `W012A3CDE` (or `<@U024BE7LH>`, `@U024BE7LH`) is a user id and
    becomes `<@U024BE7LH>` as is. An email address needs users.lookupByEmail.
    `here`, `channel`, `everyone` are Slack's broadcast mentions. Anything else
    can only be shown as text: Slack no longer resolves `@name` in posted text.
    """
    value = raw.strip()
    if value.startswith("<@") and value.endswith(">"):
        value = value[2:-1].split("|", 1)[0]
    value = value.removeprefix("@")
    if _USER_ID.fullmatch(value):
        return Mention("user", value)
    if value.lower() in _SPECIAL:
        return Mention("special", value.lower())
    if _EMAIL.fullmatch(value):
        return Mention("email", value.lower())
    return Mention("text", value)


def mention_markup(mention: Mention, user_id: str | None = None) -> str:
    """The text that pings: `<@U...>` for a (resolved) user, `<!here>`; else escaped `@text`."""
    if mention.kind == "user":
        return f"<@{mention.value}>"
    if mention.kind == "special":
        return _SPECIAL[mention.value]
    if user_id is not None:
        return f"<@{user_id}>"
    return "@" + escape(mention.value)


def escape(text: str) -> str:
    """Escape Slack's three control characters, so user text cannot ping or fake a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link_markup(url: str, label: str) -> str:
    """`<url|label>`; a `|` or `>` in the URL would end the markup early, so they are encoded."""
    safe_url = escape(url.strip()).replace("|", "%7C")
    safe_label = escape(label).replace("|", "/")
    return f"<{safe_url}|{safe_label}>"


def message_text(notification: Notification, mentions: list[str], link_label: str) -> str:
    """The posted text: mentions and the bold subject first, then the body, then the link.

    Mentions lead so the people named see why they were pinged in the
    notification preview (Z6: the second ping names the rep's manager too).
    """
    first = [*mentions]
    if notification.subject and notification.subject.strip():
        first.append(f"*{escape(' '.join(notification.subject.split()))}*")
    lines = [" ".join(first)] if first else []
    lines.append(escape(notification.text.strip()))
    if notification.link:
        lines.append(link_markup(notification.link, link_label))
    return "\n".join(lines)


def post_payload(
    channel: str,
    text: str,
    *,
    idempotency_key: str,
    unfurl_links: bool,
    metadata: bool,
) -> dict[str, Any]:
    """The chat.postMessage body.

    With `metadata`, the idempotency key is attached as message metadata, so a
    resend can be recognised later (conversations.history with
    include_all_metadata); Slack itself does not deduplicate posts.
    """
    payload: dict[str, Any] = {
        "channel": channel,
        "text": text,
        "unfurl_links": unfurl_links,
        "unfurl_media": unfurl_links,
    }
    if metadata:
        payload["metadata"] = {
            "event_type": METADATA_EVENT_TYPE,
            "event_payload": {"idempotency_key": idempotency_key},
        }
    return payload


def webhook_payload(text: str, *, unfurl_links: bool) -> dict[str, Any]:
    """The incoming-webhook body: the channel is fixed by the webhook itself."""
    return {"text": text, "unfurl_links": unfurl_links, "unfurl_media": unfurl_links}


def user_id_from_lookup(body: Any) -> str | None:
    """The user id from a users.lookupByEmail answer; None for a deactivated user.

    A deactivated user's mention renders as an unreachable name, so the caller
    shows the email as text instead.
    """
    if not isinstance(body, dict):
        return None
    user = body.get("user")
    if not isinstance(user, dict) or user.get("deleted"):
        return None
    user_id = user.get("id")
    return user_id if isinstance(user_id, str) and user_id else None


def post_result(body: Any, problems: list[WriteError]) -> WriteResult:
    """The canonical result of a chat.postMessage: id `CHANNEL_ID:ts` identifies the message.

    Slack identifies a message by channel and timestamp (needed to thread a
    reply or update it later), so both go into the id.
    """
    channel = body.get("channel") if isinstance(body, dict) else None
    ts = body.get("ts") if isinstance(body, dict) else None
    message_id = f"{channel}:{ts}" if channel and ts else None
    return WriteResult(index=0, ok=True, id=message_id, created=True, errors=problems)
