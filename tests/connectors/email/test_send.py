"""Sending notification emails to a real SMTP server on 127.0.0.1 (aiosmtpd), time on a FakeClock.

Covers P5 / D2 email alerts: what arrives on the wire (envelope, headers,
body), how 4xx replies are retried with the SDK's RetryPolicy on the injected
clock, and how 5xx replies become errors that name the recipient.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from handoff_email import EmailConnector, SmtpRefusedError
from handoff_email.mapping import message_id

from handoff_sdk import AuthError, ConfigError, ConnectorError
from handoff_sdk.entities import Notification, WriteResult
from handoff_sdk.testing.harness import Harness, build_harness
from handoff_sdk.testing.smtp import SmtpTestServer

KEY = "job-7:p5-contact-us"
FROM = "handoff@example.test"
OWNER = "owner@example.test"
TEAM = "self-service@example.test"


def _refuse_http(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the email connector made an HTTP request to {request.url}")


def harness_for(server: SmtpTestServer, **config: Any) -> Harness:
    secrets = {"password": config.pop("password")} if "password" in config else {}
    base: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "security": "none",
        "from_address": FROM,
    }
    return build_harness(
        EmailConnector,
        transport=httpx.MockTransport(_refuse_http),
        config={**base, **config},
        secrets=secrets,
    )


async def send(harness: Harness, notification: Notification, key: str) -> WriteResult:
    connector = harness.connector
    assert isinstance(connector, EmailConnector)
    return await connector.handoff_send_notification(notification, key)


def note(*recipients: str, **fields: Any) -> Notification:
    values: dict[str, Any] = {
        "recipients": list(recipients),
        "subject": "Contact Us: Example Corp",
        "text": "Example Corp asked to be contacted.\nNotes: wants a demo.",
        "link": "https://crm.example.test/lead/00Q000000000007",
    }
    return Notification(**{**values, **fields})


@pytest.fixture
def server() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as running:
        yield running


def assert_backoff_within_policy(harness: Harness) -> None:
    policy = EmailConnector.retry_policy
    for attempt, slept in enumerate(harness.clock.sleeps, start=1):
        assert 0 <= slept <= min(policy.max_seconds, policy.base_seconds * 2 ** (attempt - 1))


# -- what arrives -----------------------------------------------------------------


async def test_p5_message_arrives_with_headers_and_body(server: SmtpTestServer) -> None:
    harness = harness_for(server, from_name="handoff alerts")
    result = await send(harness, note(OWNER, TEAM), KEY)

    assert len(server.messages) == 1
    received = server.messages[0]
    assert received.mail_from == FROM
    assert received.rcpt_tos == [OWNER, TEAM]
    message = received.message
    assert message["From"] == f"handoff alerts <{FROM}>"
    assert message["To"] == f"{OWNER}, {TEAM}"
    assert message["Subject"] == "Contact Us: Example Corp"
    assert message["Date"] == format_datetime(harness.clock.now())
    assert message["Message-ID"] == message_id(KEY, "example.test")
    assert message["X-Handoff-Idempotency-Key"] == KEY
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Example Corp asked to be contacted.\nNotes: wants a demo." in text
    assert text.rstrip().endswith("https://crm.example.test/lead/00Q000000000007")

    assert result.ok is True
    assert result.id == message["Message-ID"]
    assert result.errors == []
    assert harness.api_calls == 1
    assert harness.clock.sleeps == []


async def test_resend_with_the_same_key_is_recognisable(server: SmtpTestServer) -> None:
    first = await send(harness_for(server), note(OWNER), KEY)
    second = await send(harness_for(server), note(OWNER), KEY)
    other = await send(harness_for(server), note(OWNER), KEY + "b")
    ids = [m.message["Message-ID"] for m in server.messages]
    assert ids[0] == ids[1] == first.id == second.id
    assert ids[2] == other.id != ids[0]


async def test_message_id_domain_can_be_configured(server: SmtpTestServer) -> None:
    harness = harness_for(server, message_id_domain="mail.example.test")
    await send(harness, note(OWNER), KEY)
    assert server.messages[0].message["Message-ID"].endswith("@mail.example.test>")


async def test_default_recipients_and_subject_when_the_notification_has_none(
    server: SmtpTestServer,
) -> None:
    harness = harness_for(server, default_recipients=[TEAM])
    await send(harness, note(subject=None), KEY)
    received = server.messages[0]
    assert received.rcpt_tos == [TEAM]
    assert received.message["Subject"] == "Notification from handoff"


async def test_duplicate_recipients_are_sent_once(server: SmtpTestServer) -> None:
    harness = harness_for(server)
    await send(harness, note(OWNER, "Owner@example.test"), KEY)
    assert server.rcpt_commands() == [OWNER]


async def test_no_recipient_anywhere_is_a_config_error(server: SmtpTestServer) -> None:
    harness = harness_for(server)
    with pytest.raises(ConfigError) as info:
        await send(harness, note(), KEY)
    assert info.value.field == "default_recipients"
    assert "email" in str(info.value)
    assert server.transactions == 0


async def test_a_recipient_that_smuggles_a_header_is_refused_before_connecting(
    server: SmtpTestServer,
) -> None:
    harness = harness_for(server)
    with pytest.raises(ConnectorError) as info:
        await send(harness, note("owner@example.test\r\nBcc: spy@example.test"), KEY)
    assert "recipients" in str(info.value)
    assert server.transactions == 0
    assert harness.api_calls == 0


async def test_subject_line_breaks_are_folded_not_injected(server: SmtpTestServer) -> None:
    harness = harness_for(server)
    await send(harness, note(OWNER, subject="Hello\r\nBcc: spy@example.test"), KEY)
    message = server.messages[0].message
    assert message["Bcc"] is None
    assert message["Subject"] == "Hello Bcc: spy@example.test"
    assert server.messages[0].rcpt_tos == [OWNER]


# -- TLS and login ----------------------------------------------------------------


async def test_starttls_then_login_the_password_only_crosses_tls(tmp_path: Path) -> None:
    with SmtpTestServer(
        tls="starttls", credentials=("relay-user", "synthetic-pw"), cert_dir=tmp_path
    ) as server:
        harness = harness_for(
            server,
            security="starttls",
            username="relay-user",
            password="synthetic-pw",
            ca_file=str(server.ca_file),
        )
        result = await send(harness, note(OWNER), KEY)
        assert result.ok
        assert server.logins == [("relay-user", True)]
        assert server.messages[0].tls is True
        assert server.messages[0].authenticated is True


async def test_implicit_tls(tmp_path: Path) -> None:
    with SmtpTestServer(tls="tls", cert_dir=tmp_path) as server:
        harness = harness_for(server, security="tls", ca_file=str(server.ca_file))
        await send(harness, note(OWNER), KEY)
        assert server.messages[0].tls is True


async def test_wrong_password_is_an_auth_error_sent_once(tmp_path: Path) -> None:
    with SmtpTestServer(
        tls="starttls", credentials=("relay-user", "synthetic-pw"), cert_dir=tmp_path
    ) as server:
        harness = harness_for(
            server,
            security="starttls",
            username="relay-user",
            password="not-the-password",
            ca_file=str(server.ca_file),
        )
        with pytest.raises(AuthError) as info:
            await send(harness, note(OWNER), KEY)
        assert "relay-user" in str(info.value)
        assert "535" in str(info.value)
        assert "not-the-password" not in str(info.value)
        assert harness.api_calls == 1
        assert harness.clock.sleeps == []


async def test_server_without_starttls_is_a_config_error_not_a_clear_text_send(
    server: SmtpTestServer,
) -> None:
    harness = harness_for(server, security="starttls")
    with pytest.raises(ConfigError) as info:
        await send(harness, note(OWNER), KEY)
    assert info.value.field == "security"
    assert server.messages == []
    assert harness.api_calls == 1
    assert harness.clock.sleeps == []


async def test_untrusted_certificate_is_a_config_error_naming_ca_file(tmp_path: Path) -> None:
    with SmtpTestServer(tls="starttls", cert_dir=tmp_path) as server:
        harness = harness_for(server, security="starttls")  # no ca_file: system CAs only
        with pytest.raises(ConfigError) as info:
            await send(harness, note(OWNER), KEY)
        assert info.value.field == "ca_file"
        assert server.messages == []
        assert harness.clock.sleeps == []


def test_a_password_over_a_clear_text_connection_is_refused_by_the_config() -> None:
    with pytest.raises(ValueError, match="clear text"):
        EmailConnector.config_model.model_validate(
            {"host": "smtp.example.test", "security": "none", "from_address": FROM, "username": "u"}
        )


def test_ports_default_by_security_and_password_is_needed_only_with_a_username() -> None:
    model = EmailConnector.config_model
    ports = {
        sec: model.model_validate({"host": "h", "security": sec, "from_address": FROM})
        for sec in ("starttls", "tls", "none")
    }
    assert {k: v.effective_port for k, v in ports.items()} == {
        "starttls": 587,
        "tls": 465,
        "none": 25,
    }
    assert EmailConnector.required_secrets(ports["none"]) == []
    with_user = model.model_validate({"host": "h", "from_address": FROM, "username": "u"})
    assert EmailConnector.required_secrets(with_user) == ["password"]


# -- temporary replies: retried with the SDK's RetryPolicy on the injected clock ------


@pytest.mark.parametrize(
    ("stage", "reply"),
    [
        ("MAIL", "421 4.7.0 Too many connections, slow down"),
        ("RCPT", "451 4.7.1 Greylisted, please try again later"),
        ("DATA", "452 4.3.1 Insufficient system storage"),
    ],
)
async def test_4xx_is_retried_with_backoff_on_the_injected_clock(
    server: SmtpTestServer, stage: Any, reply: str
) -> None:
    server.refuse(stage, reply, times=2)
    harness = harness_for(server)
    result = await send(harness, note(OWNER), KEY)
    assert result.ok
    assert result.errors == []
    assert harness.api_calls == 3
    assert server.transactions == 3
    assert len(harness.clock.sleeps) == 2
    assert_backoff_within_policy(harness)
    assert len(server.messages) == 1


async def test_4xx_that_persists_is_a_retryable_error_after_the_last_attempt(
    server: SmtpTestServer,
) -> None:
    server.refuse("RCPT", "450 4.2.1 Mailbox busy", times=None)
    harness = harness_for(server)
    with pytest.raises(SmtpRefusedError) as info:
        await send(harness, note(OWNER), KEY)
    error = info.value
    attempts = EmailConnector.retry_policy.attempts
    assert error.retryable is True
    assert error.code == "450"
    assert error.recipients == [OWNER]
    assert OWNER in str(error)
    assert f"after {attempts} attempts" in str(error)
    assert harness.api_calls == attempts
    assert len(harness.clock.sleeps) == attempts - 1
    assert_backoff_within_policy(harness)
    assert server.messages == []


async def test_a_deferred_recipient_is_retried_alone_with_the_same_message_id(
    server: SmtpTestServer,
) -> None:
    server.refuse("RCPT", "451 4.7.1 Greylisted", times=1, address=TEAM)
    harness = harness_for(server)
    result = await send(harness, note(OWNER, TEAM), KEY)
    assert result.ok
    assert result.errors == []
    assert server.rcpt_commands() == [OWNER, TEAM, TEAM]
    assert [m.rcpt_tos for m in server.messages] == [[OWNER], [TEAM]]
    ids = {m.message["Message-ID"] for m in server.messages}
    assert ids == {result.id}
    assert len(harness.clock.sleeps) == 1


async def test_connection_refused_is_retried_then_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    harness = build_harness(
        EmailConnector,
        transport=httpx.MockTransport(_refuse_http),
        config={"host": "127.0.0.1", "port": port, "security": "none", "from_address": FROM},
    )
    with pytest.raises(SmtpRefusedError) as info:
        await send(harness, note(OWNER), KEY)
    assert info.value.retryable is True
    assert "SMTPConnectError" in str(info.value)
    assert harness.api_calls == EmailConnector.retry_policy.attempts


# -- permanent replies: a clear error naming the recipient, never retried ------------


async def test_5xx_for_the_recipient_names_it_and_is_not_retried(server: SmtpTestServer) -> None:
    server.refuse("RCPT", "550 5.1.1 <owner@example.test>: Recipient address rejected", times=None)
    harness = harness_for(server)
    with pytest.raises(SmtpRefusedError) as info:
        await send(harness, note(OWNER), KEY)
    error = info.value
    assert str(error).startswith("email: ")
    assert OWNER in str(error)
    assert "550" in str(error)
    assert error.code == "550"
    assert error.retryable is False
    assert error.recipients == [OWNER]
    assert harness.api_calls == 1
    assert harness.clock.sleeps == []
    assert server.messages == []


async def test_one_recipient_refused_the_others_get_it(server: SmtpTestServer) -> None:
    server.refuse("RCPT", "550 5.1.1 User unknown", times=None, address=TEAM)
    harness = harness_for(server)
    result = await send(harness, note(OWNER, TEAM), KEY)
    assert result.ok is True
    assert [m.rcpt_tos for m in server.messages] == [[OWNER]]
    assert len(result.errors) == 1
    assert result.errors[0].code == "550"
    assert TEAM in result.errors[0].message
    assert result.errors[0].fields == ["recipients"]
    assert harness.api_calls == 1


async def test_message_refused_at_data_names_every_recipient(server: SmtpTestServer) -> None:
    server.refuse("DATA", "554 5.7.1 Message rejected as spam", times=None)
    harness = harness_for(server)
    with pytest.raises(SmtpRefusedError) as info:
        await send(harness, note(OWNER, TEAM), KEY)
    assert OWNER in str(info.value)
    assert TEAM in str(info.value)
    assert "554" in str(info.value)
    assert info.value.retryable is False
    assert harness.api_calls == 1


async def test_sender_refused_names_the_from_address(server: SmtpTestServer) -> None:
    server.refuse("MAIL", "553 5.7.1 Sender address rejected: not owned by user", times=None)
    harness = harness_for(server)
    with pytest.raises(SmtpRefusedError) as info:
        await send(harness, note(OWNER), KEY)
    assert FROM in str(info.value)
    assert "553" in str(info.value)
    assert harness.api_calls == 1
