"""Verify signed webhooks, once, for every vendor that signs them with an HMAC.

A webhook endpoint is open to the internet: anyone who learns its URL can post
to it. The vendors handoff listens to sign each delivery with a secret shared
at set-up, but each in its own way (what is signed, which header, hex or
base64, where the timestamp lives). `verify_webhook` knows every scheme in
`WebhookScheme`, compares in constant time, and refuses a delivery signed
outside a replay window measured on the injected clock, so a captured request
cannot be posted again later. A refusal is a `WebhookSignatureError` whose
message never holds the secret or the signature that was expected.

    signed_at = verify_webhook(
        WebhookScheme.ZENDESK,
        secret=self.secret_store.get("webhook_signing_secret"),
        headers=request.headers,
        body=request.body,
        clock=self.clock,
        connector=self.name,
    )

See docs/webhooks.md for each scheme.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, Literal

from ._clock import Clock
from .entities import Event, WebhookRequest
from .errors import ConnectorError

__all__ = [
    "DEFAULT_REPLAY_WINDOW",
    "WEBHOOK_REPLY",
    "WebhookAuthMode",
    "WebhookScheme",
    "WebhookSignatureError",
    "check_shared_secret",
    "shared_secret_headers",
    "sign_webhook",
    "verify_webhook",
    "webhook_reply",
    "zoom_url_validation_response",
]

DEFAULT_REPLAY_WINDOW = timedelta(minutes=5)
"""How far a delivery's signed timestamp may be from now, either way."""

Reason = Literal["missing", "malformed", "mismatch", "stale", "future", "unconfigured"]


class WebhookSignatureError(ConnectorError):
    """A webhook was refused: unsigned, badly signed, or signed outside the replay window.

    `reason` says which: "missing" (a header or timestamp is absent),
    "malformed" (a value cannot be read), "mismatch" (the signature is wrong),
    "stale" (signed too long ago), "future" (dated ahead of the clock) or
    "unconfigured" (the hub's secret is empty: nothing can be verified; the hub
    answers 503 and logs it, telling the sender nothing). The message names
    the header at fault, never the secret or the expected value.
    """

    def __init__(self, connector: str, reason: Reason, message: str) -> None:
        super().__init__(connector, message)
        self.reason: Reason = reason


# -- how each vendor signs ------------------------------------------------------


def _hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _iso_timestamp(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _epoch_timestamp(value: str) -> datetime:
    number = float(value.strip())
    if number > 1e11:  # milliseconds, not seconds
        number /= 1000
    return datetime.fromtimestamp(number, UTC)


def _outreach_delivered_at(_headers: Mapping[str, str], body: bytes) -> str | None:
    """Outreach sends no timestamp header; the signed body carries meta.deliveredAt."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    meta = data.get("meta") if isinstance(data, dict) else None
    value = meta.get("deliveredAt") if isinstance(meta, dict) else None
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class _Spec:
    """What differs between vendors; `WebhookScheme` holds one per vendor."""

    vendor: str
    signature_header: str
    timestamp_header: str | None
    signed_message: Callable[[str, bytes], bytes]
    encode: Callable[[bytes], str]
    parse_timestamp: Callable[[str], datetime]
    format_timestamp: Callable[[datetime], str]
    timestamp_in_body: Callable[[Mapping[str, str], bytes], str | None] | None = None
    hex_signature: bool = False


def _zendesk_message(timestamp: str, body: bytes) -> bytes:
    return timestamp.encode("utf-8") + body


def _zoom_message(timestamp: str, body: bytes) -> bytes:
    return b"v0:" + timestamp.encode("utf-8") + b":" + body


def _outreach_message(_timestamp: str, body: bytes) -> bytes:
    return body


def _handoff_message(timestamp: str, body: bytes) -> bytes:
    return timestamp.encode("utf-8") + b"." + body


class WebhookScheme(Enum):
    """The signing schemes `verify_webhook` understands, one per vendor."""

    ZENDESK = _Spec(
        vendor="zendesk",
        signature_header="X-Zendesk-Webhook-Signature",
        timestamp_header="X-Zendesk-Webhook-Signature-Timestamp",
        signed_message=_zendesk_message,
        encode=lambda digest: base64.b64encode(digest).decode("ascii"),
        parse_timestamp=_iso_timestamp,
        format_timestamp=lambda t: t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    """base64(HMAC-SHA256(secret, timestamp + body)); timestamp is ISO 8601 in its header."""

    ZOOM = _Spec(
        vendor="zoom",
        signature_header="x-zm-signature",
        timestamp_header="x-zm-request-timestamp",
        signed_message=_zoom_message,
        encode=lambda digest: "v0=" + digest.hex(),
        parse_timestamp=_epoch_timestamp,
        format_timestamp=lambda t: str(int(t.timestamp())),
        hex_signature=True,
    )
    """'v0=' + hex(HMAC-SHA256(secret, 'v0:{timestamp}:{body}')); timestamp in epoch seconds."""

    OUTREACH = _Spec(
        vendor="outreach",
        signature_header="Outreach-Webhook-Signature",
        timestamp_header=None,
        signed_message=_outreach_message,
        encode=lambda digest: digest.hex(),
        parse_timestamp=_iso_timestamp,
        format_timestamp=lambda t: t.astimezone(UTC).isoformat(),
        timestamp_in_body=_outreach_delivered_at,
        hex_signature=True,
    )
    """hex(HMAC-SHA256(secret, body)); the time is the body's signed meta.deliveredAt."""

    HANDOFF = _Spec(
        vendor="handoff",
        signature_header="X-Handoff-Signature",
        timestamp_header="X-Handoff-Timestamp",
        signed_message=_handoff_message,
        encode=lambda digest: "sha256=" + digest.hex(),
        parse_timestamp=_epoch_timestamp,
        format_timestamp=lambda t: str(int(t.timestamp())),
        hex_signature=True,
    )
    """'sha256=' + hex(HMAC-SHA256(secret, '{timestamp}.{body}')), timestamp in epoch seconds:
    what the company's own systems sign when they post to the hub (D8 purchase and trial
    webhooks)."""

    @property
    def spec(self) -> _Spec:
        """The scheme's details."""
        value: _Spec = self.value
        return value

    @property
    def signature_header(self) -> str:
        """The header that carries the signature."""
        return self.spec.signature_header

    @property
    def timestamp_header(self) -> str | None:
        """The header that carries the signed timestamp (None: it is in the body)."""
        return self.spec.timestamp_header


# -- signing and verifying -------------------------------------------------------


def _where_timestamp(scheme: WebhookScheme) -> str:
    return scheme.timestamp_header or "meta.deliveredAt in the body"


def _raw_timestamp(
    scheme: WebhookScheme, headers: Mapping[str, str], body: bytes, connector: str
) -> str:
    spec = scheme.spec
    raw: str | None
    if spec.timestamp_header is not None:
        raw = headers.get(spec.timestamp_header.lower())
    else:
        assert spec.timestamp_in_body is not None
        raw = spec.timestamp_in_body(headers, body)
    if raw is None or not raw.strip():
        raise WebhookSignatureError(
            connector,
            "missing",
            f"{spec.vendor} webhook refused: no timestamp ({_where_timestamp(scheme)})",
        )
    return raw


def sign_webhook(
    scheme: WebhookScheme,
    *,
    secret: str,
    body: bytes,
    timestamp: datetime | None = None,
) -> dict[str, str]:
    """The headers the vendor would send with `body`: to test receivers and replay fixtures.

    `timestamp` is required by the schemes that sign a timestamp header
    (Zendesk, Zoom); Outreach signs the body alone, whose meta.deliveredAt is
    the time.
    """
    spec = scheme.spec
    if spec.timestamp_header is None:
        return {
            spec.signature_header: spec.encode(_hmac_sha256(secret, spec.signed_message("", body)))
        }
    if timestamp is None:
        raise ValueError(f"{spec.vendor} signs a timestamp; pass timestamp=")
    raw = spec.format_timestamp(timestamp)
    signature = spec.encode(_hmac_sha256(secret, spec.signed_message(raw, body)))
    return {spec.signature_header: signature, spec.timestamp_header: raw}


def verify_webhook(
    scheme: WebhookScheme,
    *,
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    clock: Clock,
    window: timedelta = DEFAULT_REPLAY_WINDOW,
    connector: str | None = None,
) -> datetime:
    """Check a delivery's signature, then its age; return the signed time.

    The signature is checked first, so the timestamp is trusted only once it
    is known to be the vendor's. A delivery signed more than `window` before
    or after `clock.now()` is refused as a replay (reason "stale" or
    "future"). Header names are matched case-insensitively. Raises
    WebhookSignatureError; the message never holds the secret or the
    signature that was expected.
    """
    spec = scheme.spec
    name = connector or spec.vendor
    if not secret:
        raise WebhookSignatureError(
            name, "unconfigured", f"{spec.vendor} webhook refused: the signing secret is empty"
        )
    lowered = _lower(headers)
    received = lowered.get(spec.signature_header.lower())
    if received is None or not received.strip():
        raise WebhookSignatureError(
            name, "missing", f"{spec.vendor} webhook refused: no {spec.signature_header} header"
        )
    raw_timestamp = (
        _raw_timestamp(scheme, lowered, body, name) if spec.timestamp_header is not None else ""
    )
    expected = spec.encode(_hmac_sha256(secret, spec.signed_message(raw_timestamp, body)))
    given = received.strip().lower() if spec.hex_signature else received.strip()
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise WebhookSignatureError(
            name,
            "mismatch",
            f"{spec.vendor} webhook refused: the {spec.signature_header} header does not match "
            "the body signed with the configured secret",
        )
    if spec.timestamp_header is None:
        raw_timestamp = _raw_timestamp(scheme, lowered, body, name)
    try:
        signed_at = spec.parse_timestamp(raw_timestamp)
    except (ValueError, OverflowError, OSError):
        raise WebhookSignatureError(
            name,
            "malformed",
            f"{spec.vendor} webhook refused: unreadable timestamp in {_where_timestamp(scheme)}",
        ) from None
    age = clock.now() - signed_at
    limit = int(window.total_seconds())
    if age > window:
        raise WebhookSignatureError(
            name,
            "stale",
            f"stale {spec.vendor} webhook refused: signed {int(age.total_seconds())} s ago, "
            f"outside the {limit} s replay window",
        )
    if -age > window:
        raise WebhookSignatureError(
            name,
            "future",
            f"{spec.vendor} webhook refused: dated {int(-age.total_seconds())} s in the future, "
            f"outside the {limit} s replay window",
        )
    return signed_at


def zoom_url_validation_response(
    body: bytes, secret: str, *, connector: str = "zoom"
) -> dict[str, str] | None:
    """The answer to Zoom's endpoint.url_validation challenge, or None for any other event.

    Zoom checks that an endpoint knows the secret token before sending events
    to it (and again every 72 hours): it posts a plainToken, and expects it
    back with encryptedToken = hex(HMAC-SHA256(secret, plainToken)). Verify
    the request's signature first, as for any Zoom webhook.
    """
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("event") != "endpoint.url_validation":
        return None
    payload = data.get("payload")
    plain = payload.get("plainToken") if isinstance(payload, dict) else None
    if not isinstance(plain, str) or not plain:
        raise WebhookSignatureError(
            connector, "malformed", "zoom endpoint.url_validation has no payload.plainToken"
        )
    return {"plainToken": plain, "encryptedToken": _hmac_sha256(secret, plain.encode()).hex()}


# -- Webhooks that carry no signature --------------------------------------------
# Gainsight's and PathFactory's outbound calls authenticate with a secret shared at
# set-up (a header holding it, or HTTP basic auth); there is no HMAC over the body,
# so the only proof is that the caller knows the secret.

WebhookAuthMode = Literal["header", "basic"]


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def check_shared_secret(
    request: WebhookRequest,
    *,
    connector: str,
    secret: str,
    secret_name: str,
    mode: WebhookAuthMode,
    header: str,
    username: str,
) -> None:
    """Refuse the webhook unless it proves knowledge of the shared secret.

    `mode="header"`: the header named `header` holds the secret (a leading
    `Bearer ` is accepted, so `Authorization: Bearer <secret>` works too).
    `mode="basic"`: `Authorization: Basic` with `username` and the secret as
    password. Raises WebhookSignatureError (reason missing, malformed or
    mismatch) naming the connector and what was wrong, never the secret.
    """
    if not secret:
        raise WebhookSignatureError(
            connector, "unconfigured", f"webhook refused: secret '{secret_name}' is empty"
        )
    headers = {k.lower(): v for k, v in request.headers.items()}
    if mode == "header":
        name = header.lower()
        value = headers.get(name)
        if value is None:
            raise WebhookSignatureError(
                connector, "missing", f"webhook refused: header '{header}' is missing"
            )
        value = value.strip()
        if value[:7].lower() == "bearer ":
            value = value[7:].strip()
        if not _same(value, secret):
            raise WebhookSignatureError(
                connector,
                "mismatch",
                f"webhook refused: header '{header}' does not hold the shared secret "
                f"'{secret_name}'",
            )
        return
    authorization = headers.get("authorization", "").strip()
    if authorization[:6].lower() != "basic ":
        raise WebhookSignatureError(
            connector, "missing", "webhook refused: basic auth (Authorization: Basic) is missing"
        )
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise WebhookSignatureError(
            connector, "malformed", "webhook refused: basic auth is not valid base64"
        ) from None
    given_user, sep, given_password = decoded.partition(":")
    user_ok = _same(given_user, username)
    password_ok = _same(given_password, secret)
    if not (sep and user_ok and password_ok):
        raise WebhookSignatureError(
            connector,
            "mismatch",
            f"webhook refused: basic auth does not match user '{username}' and the shared "
            f"secret '{secret_name}'",
        )


def shared_secret_headers(
    secret: str, *, mode: WebhookAuthMode, header: str, username: str
) -> dict[str, str]:
    """The headers a sender puts on a delivery that `check_shared_secret` accepts.

    For simulators and sandboxes that play the vendor sending a webhook: the
    secret in `header` (header mode) or basic auth as `username` (basic mode).
    """
    if mode == "basic":
        pair = base64.b64encode(f"{username}:{secret}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {header: secret}


# -- Answering the sender ---------------------------------------------------------

WEBHOOK_REPLY = "webhook.reply"
"""Event type that tells the hub what to answer the sender, instead of storing anything."""


def webhook_reply(
    body: Mapping[str, Any], *, source: str, dedupe_key: str, status: int = 200
) -> Event:
    """An event the hub turns into the HTTP answer itself (a challenge such as Zoom's).

    Some vendors check an endpoint by sending a challenge that must be answered
    in the response body. `handoff_parse_webhook` returns this event; the hub
    answers with `status` and `body` and stores nothing for it.
    """
    return Event(
        type=WEBHOOK_REPLY,
        source=source,
        dedupe_key=dedupe_key,
        payload={"status": status, "body": dict(body)},
    )
