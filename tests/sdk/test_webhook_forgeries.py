"""Forgeries a webhook receiver must refuse, found by mutation testing (`make mutation`):
each case here was accepted by a mutant of handoff_sdk/webhooks.py that no test killed.

A truncated or extended HMAC, any prefix of a shared secret (the empty one
included), an empty configured secret meeting an empty header: all refused,
with the reason, never accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta

import pytest

from handoff_sdk import (
    FakeClock,
    WebhookScheme,
    WebhookSignatureError,
    sign_webhook,
    verify_webhook,
)
from handoff_sdk.entities import WebhookRequest
from handoff_sdk.webhooks import (
    WEBHOOK_REPLY,
    check_shared_secret,
    webhook_reply,
    zoom_url_validation_response,
)

SECRET = "synthetic-signing-secret-0123"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BODY = b'{"meta":{"deliveredAt":"2026-01-05T09:00:00.000+00:00"},"id":"evt-1"}'
SCHEMES = [WebhookScheme.ZENDESK, WebhookScheme.ZOOM, WebhookScheme.OUTREACH]


def refused(scheme: WebhookScheme, headers: dict[str, str], *, secret: str = SECRET) -> str:
    with pytest.raises(WebhookSignatureError) as caught:
        verify_webhook(scheme, secret=secret, headers=headers, body=BODY, clock=FakeClock(NOW))
    return caught.value.reason


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_a_truncated_or_extended_signature_is_a_mismatch(scheme: WebhookScheme) -> None:
    headers = sign_webhook(scheme, secret=SECRET, body=BODY, timestamp=NOW)
    verify_webhook(scheme, secret=SECRET, headers=headers, body=BODY, clock=FakeClock(NOW))
    name = scheme.spec.signature_header
    good = headers[name]
    for forged in (good[:-1], good[: len(good) // 2], good[:1], good + "0", good + good):
        assert refused(scheme, {**headers, name: forged}) == "mismatch", forged


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_an_empty_or_blank_signature_is_missing(scheme: WebhookScheme) -> None:
    headers = sign_webhook(scheme, secret=SECRET, body=BODY, timestamp=NOW)
    for blank in ("", "   "):
        assert refused(scheme, {**headers, scheme.spec.signature_header: blank}) == "missing"


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_an_empty_configured_secret_accepts_nothing(scheme: WebhookScheme) -> None:
    """Signed with the empty secret, or not signed at all: both refused as 'unconfigured'."""
    headers = sign_webhook(scheme, secret="", body=BODY, timestamp=NOW)
    assert refused(scheme, headers, secret="") == "unconfigured"
    assert (
        refused(scheme, {**headers, scheme.spec.signature_header: ""}, secret="") == "unconfigured"
    )


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_a_signature_made_with_another_secret_is_a_mismatch(scheme: WebhookScheme) -> None:
    for other in (SECRET[:-1], SECRET + "x", SECRET.upper()):
        headers = sign_webhook(scheme, secret=other, body=BODY, timestamp=NOW)
        assert refused(scheme, headers) == "mismatch", other


def request(headers: dict[str, str]) -> WebhookRequest:
    return WebhookRequest(headers=headers, body=b"{}", received_at=NOW)


def check(headers: dict[str, str], mode: str, secret: str = "s3cret-value") -> None:
    check_shared_secret(
        request(headers),
        connector="gs",
        secret=secret,
        secret_name="webhook_secret",
        mode=mode,  # type: ignore[arg-type]
        header="X-Token",
        username="hub",
    )


def shared_refusal(headers: dict[str, str], mode: str, secret: str = "s3cret-value") -> str:
    with pytest.raises(WebhookSignatureError) as caught:
        check(headers, mode, secret)
    return caught.value.reason


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_no_prefix_of_a_shared_secret_in_a_header_is_accepted() -> None:
    secret = "s3cret-value"
    check({"X-Token": secret}, "header")
    for n in range(len(secret)):
        assert shared_refusal({"X-Token": secret[:n]}, "header") == "mismatch", n
        assert shared_refusal({"X-Token": f"Bearer {secret[:n]}"}, "header") == "mismatch", n
    for longer in (secret + "x", secret + secret, "x" + secret):
        assert shared_refusal({"X-Token": longer}, "header") == "mismatch", longer


def test_no_prefix_of_a_shared_secret_in_basic_auth_is_accepted() -> None:
    secret = "s3cret-value"
    check(basic("hub", secret), "basic")
    for n in range(len(secret)):
        assert shared_refusal(basic("hub", secret[:n]), "basic") == "mismatch", n
    assert shared_refusal(basic("hu", secret), "basic") == "mismatch"
    assert shared_refusal(basic("hubx", secret), "basic") == "mismatch"
    assert shared_refusal(basic("", ""), "basic") == "mismatch"
    no_colon = {"Authorization": "Basic " + base64.b64encode(b"hub" + secret.encode()).decode()}
    assert shared_refusal(no_colon, "basic") == "mismatch"
    assert shared_refusal({"Authorization": "Basic %%%"}, "basic") == "malformed"
    assert shared_refusal({"Authorization": "Bearer " + secret}, "basic") == "missing"


def test_an_empty_configured_shared_secret_refuses_an_empty_header() -> None:
    assert shared_refusal({"X-Token": ""}, "header", secret="") == "unconfigured"
    assert shared_refusal(basic("hub", ""), "basic", secret="") == "unconfigured"


def handoff_headers(body: bytes, when: datetime, secret: str = SECRET) -> dict[str, str]:
    """The company's own scheme, computed here from its definition, not with sign_webhook."""
    stamp = str(int(when.timestamp()))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Handoff-Signature": f"sha256={digest}", "X-Handoff-Timestamp": stamp}


def test_the_handoff_scheme_signs_timestamp_dot_body_with_a_sha256_prefix() -> None:
    headers = handoff_headers(BODY, NOW)
    assert sign_webhook(WebhookScheme.HANDOFF, secret=SECRET, body=BODY, timestamp=NOW) == headers
    signed_at = verify_webhook(
        WebhookScheme.HANDOFF, secret=SECRET, headers=headers, body=BODY, clock=FakeClock(NOW)
    )
    assert signed_at == NOW
    bare = headers["X-Handoff-Signature"].removeprefix("sha256=")
    assert refused(WebhookScheme.HANDOFF, {**headers, "X-Handoff-Signature": bare}) == "mismatch"


@pytest.mark.parametrize(
    "scheme",
    [WebhookScheme.ZOOM, WebhookScheme.OUTREACH, WebhookScheme.HANDOFF],
    ids=lambda s: s.name,
)
def test_hex_signatures_are_accepted_in_upper_case(scheme: WebhookScheme) -> None:
    headers = sign_webhook(scheme, secret=SECRET, body=BODY, timestamp=NOW)
    name = scheme.spec.signature_header
    shouted = {**headers, name: headers[name].upper()}
    verify_webhook(scheme, secret=SECRET, headers=shouted, body=BODY, clock=FakeClock(NOW))


def test_base64_signatures_are_compared_exactly() -> None:
    headers = sign_webhook(WebhookScheme.ZENDESK, secret=SECRET, body=BODY, timestamp=NOW)
    name = WebhookScheme.ZENDESK.spec.signature_header
    swapped = headers[name].swapcase()
    assert swapped != headers[name]
    assert refused(WebhookScheme.ZENDESK, {**headers, name: swapped}) == "mismatch"


def test_a_scheme_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(FrozenInstanceError):
        WebhookScheme.ZOOM.spec.vendor = "forged"  # type: ignore[misc]


def test_a_future_delivery_says_how_far_ahead_it_is_dated() -> None:
    ahead = NOW + timedelta(minutes=10)
    headers = sign_webhook(WebhookScheme.ZOOM, secret=SECRET, body=BODY, timestamp=ahead)
    with pytest.raises(WebhookSignatureError, match="dated 600 s in the future") as caught:
        verify_webhook(
            WebhookScheme.ZOOM, secret=SECRET, headers=headers, body=BODY, clock=FakeClock(NOW)
        )
    assert caught.value.reason == "future"


@pytest.mark.parametrize(
    "body", [b"not json at all", b"\xff\xfe not utf-8", b"[1, 2]", b'{"meta": 5}']
)
def test_an_outreach_body_without_a_readable_delivered_at_is_refused_not_a_crash(
    body: bytes,
) -> None:
    headers = sign_webhook(WebhookScheme.OUTREACH, secret=SECRET, body=body)
    with pytest.raises(WebhookSignatureError) as caught:
        verify_webhook(
            WebhookScheme.OUTREACH, secret=SECRET, headers=headers, body=body, clock=FakeClock(NOW)
        )
    assert caught.value.reason == "missing"


@pytest.mark.parametrize("token", [123, "", None, ["t"]])
def test_a_zoom_challenge_without_a_string_token_is_refused(token: object) -> None:
    body = json.dumps(
        {"event": "endpoint.url_validation", "payload": {"plainToken": token}}
    ).encode()
    with pytest.raises(WebhookSignatureError, match=r"no payload\.plainToken"):
        zoom_url_validation_response(body, SECRET)


def test_a_webhook_reply_answers_200_unless_told_otherwise() -> None:
    reply = webhook_reply({"ok": True}, source="zoom", dedupe_key="challenge-1")
    assert (reply.type, reply.payload) == (WEBHOOK_REPLY, {"status": 200, "body": {"ok": True}})
    created = webhook_reply({}, source="zoom", dedupe_key="c-2", status=201)
    assert created.payload["status"] == 201


def test_the_window_is_inclusive_ahead_as_behind() -> None:
    edge = NOW + timedelta(minutes=5)
    headers = sign_webhook(WebhookScheme.ZOOM, secret=SECRET, body=BODY, timestamp=edge)
    clock = FakeClock(NOW)
    assert (
        verify_webhook(WebhookScheme.ZOOM, secret=SECRET, headers=headers, body=BODY, clock=clock)
        == edge
    )
    later = sign_webhook(
        WebhookScheme.ZOOM, secret=SECRET, body=BODY, timestamp=edge + timedelta(seconds=1)
    )
    assert refused(WebhookScheme.ZOOM, later) == "future"
