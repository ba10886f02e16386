"""Pure mapping of the email connector: Notification -> message, SMTP reply code -> verdict."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from handoff_email.mapping import (
    body_text,
    build_message,
    check_address,
    message_id,
    reply_verdict,
    subject_line,
)

from handoff_sdk import Verdict
from handoff_sdk.entities import Notification

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
MESSAGE_ID = re.compile(r"<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+>")


def build(notification: Notification, key: str = "job-1") -> EmailMessage:
    return build_message(
        notification,
        recipients=["owner@example.test"],
        from_address="handoff@example.test",
        from_name=None,
        idempotency_key=key,
        idempotency_header="X-Handoff-Idempotency-Key",
        message_id_domain="example.test",
        default_subject="Notification from handoff",
        now=NOW,
    )


def test_message_id_is_stable_per_key_and_readable() -> None:
    assert message_id("job-1", "example.test") == message_id("job-1", "example.test")
    assert message_id("job-1", "example.test").startswith("<handoff.job-1.")
    assert message_id("job-1", "example.test") != message_id("job-2", "example.test")


@pytest.mark.parametrize(
    "key",
    ["job 7: notify <owner>", "ключ-идемпотентности", "a" * 500, "@@@", "x\ty"],
)
def test_message_id_is_well_formed_for_any_key(key: str) -> None:
    value = message_id(key, "example.test")
    assert MESSAGE_ID.fullmatch(value), value
    assert len(value) < 100


def test_keys_that_differ_only_in_replaced_characters_get_different_ids() -> None:
    assert message_id("job:1", "example.test") != message_id("job;1", "example.test")


def test_subject_falls_back_folds_and_is_bounded() -> None:
    assert subject_line(Notification(text="t"), "Default") == "Default"
    assert subject_line(Notification(text="t", subject="  "), "Default") == "Default"
    assert subject_line(Notification(text="t", subject="a\r\nb\tc"), "D") == "a b c"
    long = subject_line(Notification(text="t", subject="word " * 100), "D")
    assert len(long) == 200
    assert long.endswith("…")


def test_body_puts_the_link_on_its_own_line() -> None:
    text = body_text(Notification(text="Hello\n", link="https://crm.example.test/x"))
    assert text == "Hello\n\nhttps://crm.example.test/x\n"
    assert body_text(Notification(text="Hello")) == "Hello\n"


def test_build_message_headers() -> None:
    message = build(Notification(text="Hi", subject="Größe: 5 Plätze"))
    assert message["Subject"] == "Größe: 5 Plätze"
    assert message["Date"] == "Mon, 02 Mar 2026 14:30:00 +0000"
    assert message["X-Handoff-Idempotency-Key"] == "job-1"
    assert message["Message-ID"] == message_id("job-1", "example.test")
    wire = message.as_bytes()
    assert b"=?utf-8?" in wire  # the non-ASCII subject is encoded for the wire


def test_a_key_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        build(Notification(text="Hi"), key="job-1\r\nBcc: spy@example.test")


@pytest.mark.parametrize(
    ("code", "verdict"),
    [
        (250, Verdict.OK),
        (354, Verdict.OK),
        (421, Verdict.RETRY),
        (450, Verdict.RETRY),
        (451, Verdict.RETRY),
        (452, Verdict.RETRY),
        (550, Verdict.FAIL),
        (553, Verdict.FAIL),
        (554, Verdict.FAIL),
    ],
)
def test_reply_codes(code: int, verdict: Verdict) -> None:
    assert reply_verdict(code) is verdict


@pytest.mark.parametrize(
    "value",
    [
        "",
        "owner",
        "Owner <owner@example.test>",
        "owner@example.test, spy@example.test",
        "owner@example.test\nBcc: spy@example.test",
        "owner@-example.test",
    ],
)
def test_only_bare_addresses_pass(value: str) -> None:
    with pytest.raises(ValueError, match="email address"):
        check_address(value)


def test_bare_address_passes_trimmed() -> None:
    assert check_address("  first.last+tag@sub.example.test ") == "first.last+tag@sub.example.test"


def test_d7_one_click_unsubscribe_headers_ride_on_the_message() -> None:
    url = "<https://hub.example/v1/unsubscribe/abc>"
    message = build(
        Notification(
            text="hello",
            headers={
                "List-Unsubscribe": url,
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
    )
    assert message["List-Unsubscribe"] == url
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({"Bcc": "x@example.com"}, "cannot be set"),
        ({"List-Unsubscribe": "<https://x>\r\nBcc: y@example.com"}, "line break"),
    ],
)
def test_d7_other_headers_and_injections_are_refused(headers: dict[str, str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        build(Notification(text="hello", headers=headers))
