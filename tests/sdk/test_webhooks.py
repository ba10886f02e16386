"""The webhook signature helper: each vendor's scheme, constant-time check, replay window.

Expected signatures are computed here with hmac/hashlib directly, following
each vendor's documentation, not with the helper's own signing code, so a
mistake in the helper's scheme cannot make its own test pass.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from handoff_sdk import (
    DEFAULT_REPLAY_WINDOW,
    ConnectorError,
    FakeClock,
    WebhookScheme,
    WebhookSignatureError,
    sign_webhook,
    verify_webhook,
    zoom_url_validation_response,
)
from handoff_sdk.entities import WebhookRequest
from handoff_sdk.webhooks import check_shared_secret, shared_secret_headers

SECRET = "synthetic-signing-secret-0123"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BODY = b'{"type":"zen:event-type:ticket.created","id":"evt-1","detail":{"id":"35436"}}'


def _hmac(message: bytes, secret: str = SECRET) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def zendesk_headers(body: bytes, when: datetime, secret: str = SECRET) -> dict[str, str]:
    """Zendesk: base64(HMACSHA256(TIMESTAMP + BODY)), timestamp as ISO 8601 with Z."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = base64.b64encode(_hmac(stamp.encode() + body, secret)).decode()
    return {
        "x-zendesk-webhook-signature": signature,
        "x-zendesk-webhook-signature-timestamp": stamp,
    }


def zoom_headers(body: bytes, when: datetime, secret: str = SECRET) -> dict[str, str]:
    """Zoom: 'v0=' + hex HMAC-SHA256 of 'v0:{timestamp}:{body}', timestamp in epoch seconds."""
    stamp = str(int(when.timestamp()))
    digest = _hmac(b"v0:" + stamp.encode() + b":" + body, secret).hex()
    return {"x-zm-signature": f"v0={digest}", "x-zm-request-timestamp": stamp}


def outreach_body(when: datetime) -> bytes:
    payload = {
        "data": {"type": "sequenceState", "id": 77, "attributes": {"state": "finished"}},
        "meta": {"deliveredAt": when.strftime("%Y-%m-%dT%H:%M:%S.000+00:00"), "eventName": "x"},
    }
    return json.dumps(payload).encode()


def outreach_headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    """Outreach: hex HMAC-SHA256 of the raw body in Outreach-Webhook-Signature."""
    return {"Outreach-Webhook-Signature": _hmac(body, secret).hex()}


def signed(
    scheme: WebhookScheme, when: datetime, secret: str = SECRET
) -> tuple[dict[str, str], bytes]:
    if scheme is WebhookScheme.ZENDESK:
        return zendesk_headers(BODY, when, secret), BODY
    if scheme is WebhookScheme.ZOOM:
        return zoom_headers(BODY, when, secret), BODY
    body = outreach_body(when)
    return outreach_headers(body, secret), body


SCHEMES = [WebhookScheme.ZENDESK, WebhookScheme.ZOOM, WebhookScheme.OUTREACH]


def verify(
    scheme: WebhookScheme,
    headers: dict[str, str],
    body: bytes,
    *,
    clock: FakeClock | None = None,
    window: timedelta = DEFAULT_REPLAY_WINDOW,
    connector: str | None = None,
) -> datetime:
    return verify_webhook(
        scheme,
        secret=SECRET,
        headers=headers,
        body=body,
        clock=clock or FakeClock(NOW),
        window=window,
        connector=connector,
    )


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name.lower())
def test_valid_signature_is_accepted_and_returns_the_signed_time(scheme: WebhookScheme) -> None:
    when = NOW - timedelta(seconds=42)
    headers, body = signed(scheme, when)
    assert verify(scheme, headers, body) == when


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name.lower())
def test_bad_signature_is_refused_without_leaking_secret_or_expected(scheme: WebhookScheme) -> None:
    headers, body = signed(scheme, NOW, secret="some-other-secret")
    good_headers, _ = signed(scheme, NOW)
    expected = next(
        v for k, v in good_headers.items() if k.lower() == scheme.signature_header.lower()
    )
    with pytest.raises(WebhookSignatureError) as info:
        verify(scheme, headers, body)
    error = info.value
    assert isinstance(error, ConnectorError)
    assert error.reason == "mismatch"
    assert SECRET not in str(error)
    assert expected not in str(error)
    assert expected.removeprefix("v0=") not in str(error)
    assert scheme.signature_header in str(error)


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name.lower())
def test_tampered_body_is_refused(scheme: WebhookScheme) -> None:
    headers, body = signed(scheme, NOW)
    tampered = body.replace(b"}", b',"extra":1}', 1)
    with pytest.raises(WebhookSignatureError) as info:
        verify(scheme, headers, tampered)
    assert info.value.reason == "mismatch"


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name.lower())
def test_stale_timestamp_is_refused_even_with_a_good_signature(scheme: WebhookScheme) -> None:
    headers, body = signed(scheme, NOW - timedelta(minutes=5, seconds=1))
    with pytest.raises(WebhookSignatureError, match="stale") as info:
        verify(scheme, headers, body)
    assert info.value.reason == "stale"
    assert "300 s replay window" in str(info.value)


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name.lower())
def test_future_timestamp_beyond_the_window_is_refused(scheme: WebhookScheme) -> None:
    headers, body = signed(scheme, NOW + timedelta(minutes=6))
    with pytest.raises(WebhookSignatureError, match="future") as info:
        verify(scheme, headers, body)
    assert info.value.reason == "future"


def test_window_edge_is_inclusive_and_measured_on_the_injected_clock() -> None:
    clock = FakeClock(NOW)
    headers, body = signed(WebhookScheme.ZENDESK, NOW)
    clock.advance(DEFAULT_REPLAY_WINDOW.total_seconds())
    assert verify(WebhookScheme.ZENDESK, headers, body, clock=clock) == NOW
    clock.advance(1)
    with pytest.raises(WebhookSignatureError, match="stale"):
        verify(WebhookScheme.ZENDESK, headers, body, clock=clock)


def test_window_is_configurable() -> None:
    headers, body = signed(WebhookScheme.ZOOM, NOW - timedelta(minutes=9))
    assert verify(WebhookScheme.ZOOM, headers, body, window=timedelta(minutes=10))
    with pytest.raises(WebhookSignatureError, match="60 s replay window"):
        verify(WebhookScheme.ZOOM, headers, body, window=timedelta(minutes=1))


def test_headers_match_case_insensitively() -> None:
    headers, body = signed(WebhookScheme.ZENDESK, NOW)
    upper = {k.upper(): v for k, v in headers.items()}
    assert verify(WebhookScheme.ZENDESK, upper, body) == NOW
    headers, body = signed(WebhookScheme.OUTREACH, NOW)
    lower = {k.lower(): v for k, v in headers.items()}
    assert verify(WebhookScheme.OUTREACH, lower, body) == NOW


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name.lower())
def test_missing_signature_header_is_refused(scheme: WebhookScheme) -> None:
    headers, body = signed(scheme, NOW)
    del headers[next(k for k in headers if k.lower() == scheme.signature_header.lower())]
    with pytest.raises(WebhookSignatureError, match=scheme.signature_header) as info:
        verify(scheme, headers, body)
    assert info.value.reason == "missing"


@pytest.mark.parametrize(
    "scheme", [WebhookScheme.ZENDESK, WebhookScheme.ZOOM], ids=["zendesk", "zoom"]
)
def test_missing_timestamp_header_is_refused(scheme: WebhookScheme) -> None:
    headers, body = signed(scheme, NOW)
    assert scheme.timestamp_header is not None
    del headers[scheme.timestamp_header.lower()]
    with pytest.raises(WebhookSignatureError, match=scheme.timestamp_header) as info:
        verify(scheme, headers, body)
    assert info.value.reason == "missing"


def test_outreach_without_delivered_at_is_refused_after_the_signature_check() -> None:
    body = b'{"data":{"type":"prospect","id":1},"meta":{"eventName":"prospect.updated"}}'
    with pytest.raises(WebhookSignatureError, match="deliveredAt") as info:
        verify(WebhookScheme.OUTREACH, outreach_headers(body), body)
    assert info.value.reason == "missing"
    with pytest.raises(WebhookSignatureError) as info:
        verify(WebhookScheme.OUTREACH, outreach_headers(body, "wrong-secret"), body)
    assert info.value.reason == "mismatch"


@pytest.mark.parametrize("delivered_at", [1767603540, "", None, ["2026-01-05T09:00:00"]])
def test_outreach_with_a_delivered_at_that_is_not_a_text_is_refused_as_missing(
    delivered_at: object,
) -> None:
    """Found by mutation testing: a number (or an empty text) is no timestamp, a refusal, not
    an error of the hub's."""
    body = json.dumps({"data": {}, "meta": {"deliveredAt": delivered_at}}).encode()
    with pytest.raises(WebhookSignatureError, match="deliveredAt") as info:
        verify(WebhookScheme.OUTREACH, outreach_headers(body), body)
    assert info.value.reason == "missing"


def test_outreach_delivered_at_without_offset_is_read_as_utc() -> None:
    body = json.dumps({"data": {}, "meta": {"deliveredAt": "2026-01-05T08:59:00"}}).encode()
    assert verify(WebhookScheme.OUTREACH, outreach_headers(body), body) == NOW - timedelta(
        minutes=1
    )


def test_zendesk_unreadable_timestamp_is_malformed() -> None:
    stamp = "yesterday"
    signature = base64.b64encode(_hmac(stamp.encode() + BODY)).decode()
    headers = {
        "X-Zendesk-Webhook-Signature": signature,
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }
    with pytest.raises(WebhookSignatureError) as info:
        verify(WebhookScheme.ZENDESK, headers, BODY)
    assert info.value.reason == "malformed"


def test_zoom_timestamp_in_milliseconds_is_understood() -> None:
    stamp = str(int(NOW.timestamp() * 1000))
    digest = _hmac(b"v0:" + stamp.encode() + b":" + BODY).hex()
    headers = {"x-zm-signature": f"v0={digest}", "x-zm-request-timestamp": stamp}
    assert verify(WebhookScheme.ZOOM, headers, BODY) == NOW


def test_zoom_hex_signature_is_compared_case_insensitively() -> None:
    headers, body = signed(WebhookScheme.ZOOM, NOW)
    headers["x-zm-signature"] = "v0=" + headers["x-zm-signature"][3:].upper()
    assert verify(WebhookScheme.ZOOM, headers, body) == NOW


def test_a_non_ascii_signature_is_a_mismatch_not_a_crash() -> None:
    headers, body = signed(WebhookScheme.ZENDESK, NOW)
    headers["x-zendesk-webhook-signature"] = "é" * 44
    with pytest.raises(WebhookSignatureError) as info:
        verify(WebhookScheme.ZENDESK, headers, body)
    assert info.value.reason == "mismatch"


def test_empty_secret_is_refused() -> None:
    headers, body = signed(WebhookScheme.ZENDESK, NOW)
    with pytest.raises(WebhookSignatureError, match="secret is empty"):
        verify_webhook(
            WebhookScheme.ZENDESK, secret="", headers=headers, body=body, clock=FakeClock(NOW)
        )


def test_error_names_the_connector_given() -> None:
    headers, body = signed(WebhookScheme.ZENDESK, NOW, secret="other")
    with pytest.raises(WebhookSignatureError) as info:
        verify(WebhookScheme.ZENDESK, headers, body, connector="zendesk-eu")
    assert info.value.connector == "zendesk-eu"
    assert str(info.value).startswith("zendesk-eu: ")


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name.lower())
def test_sign_webhook_produces_what_the_vendor_sends(scheme: WebhookScheme) -> None:
    vendor_headers, body = signed(scheme, NOW)
    ours = sign_webhook(scheme, secret=SECRET, body=body, timestamp=NOW)
    assert {k.lower(): v for k, v in ours.items()} == {
        k.lower(): v for k, v in vendor_headers.items()
    }


def test_sign_webhook_needs_a_timestamp_when_the_scheme_signs_one() -> None:
    with pytest.raises(ValueError, match="timestamp"):
        sign_webhook(WebhookScheme.ZENDESK, secret=SECRET, body=BODY)


def test_zoom_url_validation_answers_the_challenge() -> None:
    body = json.dumps(
        {
            "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"},
            "event_ts": 1,
            "event": "endpoint.url_validation",
        }
    ).encode()
    answer = zoom_url_validation_response(body, SECRET)
    assert answer == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": _hmac(b"qgg8vlvZRS6UYooatFL8Aw").hex(),
    }


def test_zoom_url_validation_ignores_other_events_and_refuses_a_missing_token() -> None:
    assert zoom_url_validation_response(b'{"event":"meeting.started","payload":{}}', SECRET) is None
    assert zoom_url_validation_response(b"not json", SECRET) is None
    with pytest.raises(WebhookSignatureError, match="plainToken") as info:
        zoom_url_validation_response(b'{"event":"endpoint.url_validation","payload":{}}', SECRET)
    assert info.value.reason == "malformed"


def _shared_request(headers: dict[str, str]) -> WebhookRequest:
    return WebhookRequest(headers=headers, body=b"{}", received_at=FakeClock().now())


def test_shared_secret_in_a_header_or_basic_auth() -> None:
    kw = {
        "connector": "gs",
        "secret": "s3cret",
        "secret_name": "webhook_secret",
        "header": "X-Token",
        "username": "hub",
    }
    check_shared_secret(_shared_request({"x-token": "s3cret"}), mode="header", **kw)
    check_shared_secret(_shared_request({"X-Token": "Bearer s3cret"}), mode="header", **kw)
    basic = "Basic " + base64.b64encode(b"hub:s3cret").decode()
    check_shared_secret(_shared_request({"Authorization": basic}), mode="basic", **kw)
    with pytest.raises(
        WebhookSignatureError, match="does not hold the shared secret 'webhook_secret'"
    ) as info:
        check_shared_secret(_shared_request({"x-token": "guess"}), mode="header", **kw)
    assert "s3cret" not in str(info.value)
    wrong_user = "Basic " + base64.b64encode(b"other:s3cret").decode()
    with pytest.raises(WebhookSignatureError, match="basic auth does not match"):
        check_shared_secret(_shared_request({"Authorization": wrong_user}), mode="basic", **kw)
    with pytest.raises(WebhookSignatureError, match="header 'X-Token' is missing"):
        check_shared_secret(_shared_request({}), mode="header", **kw)


@pytest.mark.parametrize("mode", ["header", "basic"])
def test_the_senders_headers_are_what_the_shared_secret_check_accepts(mode: str) -> None:
    """What a simulator or the sandbox sends as the vendor passes check_shared_secret."""
    kw = {"header": "X-Token", "username": "hub"}
    headers = shared_secret_headers("s3cret", mode=mode, **kw)  # type: ignore[arg-type]
    check_shared_secret(
        _shared_request(headers),
        connector="gainsight",
        secret="s3cret",
        secret_name="webhook_secret",
        mode=mode,  # type: ignore[arg-type]
        **kw,
    )
    with pytest.raises(WebhookSignatureError):
        check_shared_secret(
            _shared_request(shared_secret_headers("guess", mode=mode, **kw)),  # type: ignore[arg-type]
            connector="gainsight",
            secret="s3cret",
            secret_name="webhook_secret",
            mode=mode,  # type: ignore[arg-type]
            **kw,
        )
