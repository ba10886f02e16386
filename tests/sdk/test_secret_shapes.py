"""Credential shapes: recognised (`looks_like_secret`) and redacted (`redact_secrets`) the same way."""

from __future__ import annotations

import pytest

from handoff_sdk.secrets import looks_like_secret, redact_secrets

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzeW50aGV0aWMifQ.c3ludGhldGljLXNpZ25hdHVyZQ"
SLACK_HOOK = "https://hooks.slack.com/services/T0SYNTH/B0SYNTH/abcdefghijklmnop"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (f"token {JWT} expired", "JWT"),
        ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345", "bearer token"),
        ("xoxb-1234567890-synthetic-token", "Slack token"),
        (f"posting to {SLACK_HOOK} failed", "Slack webhook URL"),
        ("-----BEGIN RSA PRIVATE KEY-----", "PEM private key"),
    ],
)
def test_a_credential_in_a_message_is_named_and_redacted(text: str, label: str) -> None:
    assert looks_like_secret(text) == label
    cleaned = redact_secrets(text)
    assert "[redacted]" in cleaned
    assert looks_like_secret(cleaned) is None


def test_redaction_keeps_the_rest_of_the_message() -> None:
    assert redact_secrets(f"zoom said: {JWT} is invalid") == "zoom said: [redacted] is invalid"
    assert redact_secrets(SLACK_HOOK, "REDACTED") == (
        "https://hooks.slack.com/services/T0SYNTH/B0SYNTH/REDACTED"
    )
    assert redact_secrets("rep sdr-amy not found") == "rep sdr-amy not found"
