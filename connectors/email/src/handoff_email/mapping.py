"""Pure functions: a canonical Notification -> an RFC 5322 message, and SMTP replies -> verdicts.

Kept free of I/O so each rule (headers, Message-ID, subject clean-up, which
reply codes are worth retrying) is tested on its own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from handoff_sdk import Verdict
from handoff_sdk.entities import Notification

__all__ = [
    "EXTRA_HEADERS",
    "build_message",
    "check_address",
    "domain_of",
    "message_id",
    "reply_verdict",
    "subject_line",
]

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"[^@\s<>()\[\],;:\"\\]+@{_LABEL}(?:\.{_LABEL})*")
_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
_MAX_SUBJECT = 200


def check_address(value: str) -> str:
    """A bare mailbox address (`a@example.test`), or ValueError saying why not.

    Display names, line breaks and lists are refused here so that nothing a
    notification carries can add a header or a recipient of its own.
    """
    stripped = value.strip()
    if not stripped or any(c in stripped for c in "\r\n"):
        raise ValueError(f"{value!r} is not an email address")
    _, parsed = parseaddr(stripped)
    if parsed != stripped or not _ADDRESS.fullmatch(parsed):
        raise ValueError(f"'{stripped}' is not a bare email address like name@example.com")
    return parsed


def domain_of(address: str) -> str:
    """The domain part of an address, lower-cased (used for the Message-ID)."""
    return address.rsplit("@", 1)[1].lower()


def message_id(idempotency_key: str, domain: str) -> str:
    """The Message-ID for a notification: the same key always gives the same id.

    A resend of the same job (same idempotency key) therefore carries the same
    Message-ID, which mail clients and servers use to spot duplicates, and
    which a person can search for. The readable part is the key with
    characters not allowed in a Message-ID replaced; the hash keeps two keys
    that differ only in such characters apart.
    """
    readable = _NOT_ATEXT.sub("-", idempotency_key).strip("-")[:40] or "key"
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:16]
    return f"<handoff.{readable}.{digest}@{domain}>"


def subject_line(notification: Notification, default: str) -> str:
    """The Subject: the notification's, else the default; one line, bounded length.

    Line breaks inside a subject would be a header injection; they are folded
    to spaces rather than refused, since a subject often quotes a form field.
    """
    raw = notification.subject if notification.subject and notification.subject.strip() else default
    line = " ".join(raw.split())
    if len(line) > _MAX_SUBJECT:
        line = line[: _MAX_SUBJECT - 1].rstrip() + "…"
    return line


def body_text(notification: Notification) -> str:
    """The plain-text body: the text, then the link on its own line (clickable everywhere)."""
    parts = [notification.text.rstrip()]
    if notification.link:
        parts.append(notification.link.strip())
    return "\n\n".join(parts) + "\n"


EXTRA_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post", "list-id", "reply-to"})
"""Headers a notification may add (D7: RFC 8058 one-click unsubscribe); no others."""


def build_message(
    notification: Notification,
    *,
    recipients: Sequence[str],
    from_address: str,
    from_name: str | None,
    idempotency_key: str,
    idempotency_header: str,
    message_id_domain: str,
    default_subject: str,
    now: datetime,
) -> EmailMessage:
    """The message to send, with every header a notification email should carry.

    Date comes from the injected clock (a replayed decision gives the same
    message); Auto-Submitted and X-Auto-Response-Suppress ask autoresponders
    not to answer a robot; the idempotency key rides in its own header.
    """
    if any(c in idempotency_key for c in "\r\n"):
        raise ValueError("the idempotency key contains a line break")
    message = EmailMessage()
    local, domain = from_address.rsplit("@", 1)
    message["From"] = Address(display_name=from_name or "", username=local, domain=domain)
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject_line(notification, default_subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(idempotency_key, message_id_domain)
    message[idempotency_header] = idempotency_key
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    for name, value in notification.headers.items():
        if name.casefold() not in EXTRA_HEADERS:
            raise ValueError(
                f"header '{name}' cannot be set by a notification; allowed: "
                + ", ".join(sorted(EXTRA_HEADERS))
            )
        if any(c in value for c in "\r\n"):
            raise ValueError(f"header '{name}' contains a line break")
        message[name] = value
    message.set_content(body_text(notification))
    return message


def reply_verdict(code: int) -> Verdict:
    """What an SMTP reply code means for the sender (RFC 5321 section 4.2.1).

    2xx/3xx: fine. 4xx: transient (greylisting, mailbox busy, server
    overloaded), so try again later. 5xx: permanent (no such user, policy
    refusal), so retrying would only repeat the refusal.
    """
    if code < 400:
        return Verdict.OK
    if code < 500:
        return Verdict.RETRY
    return Verdict.FAIL
