"""What the Google Calendar tests and cassettes share: config, a signing key, a rep, a meeting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from handoff_sdk.entities import Meeting, Rep

SERVICE_ACCOUNT = "handoff-bot@acme-project.iam.example.test"
TOKEN_URL = "https://oauth2.googleapis.com/token"
REP_EMAIL = "ana.rep@example.com"
VISITOR = "pat.lee@acme.example"
JOIN_URL = "https://acme.zoom.example/j/81234567890"
BOOK_KEY = "book-conv-0001"
CANCELLED_KEY = "book-conv-0002"

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
"""A throwaway key made for this test run: signs the assertions the cassettes redact."""
PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()

CONFIG: dict[str, Any] = {
    "service_account_email": SERVICE_ACCOUNT,
    "rep_emails": {"rep-ana": REP_EMAIL},
}
SECRETS = {"private_key": PEM}
OAUTH_CONFIG: dict[str, Any] = {
    "auth": "oauth",
    "client_id": "1234567890-synthetic.apps.example.test",
    "rep_emails": {"rep-ana": REP_EMAIL},
}
OAUTH_SECRETS = {"client_secret": "synthetic-client-secret", "refresh_token": "synthetic-refresh"}

REP = Rep(id="rep-ana", name="Ana Rep", email=REP_EMAIL, timezone="Europe/Lisbon")
WINDOW_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WINDOW_END = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)
MEETING = Meeting(
    rep_id="rep-ana",
    attendee_email=VISITOR,
    start=datetime(2026, 1, 6, 15, 0, tzinfo=UTC),
    end=datetime(2026, 1, 6, 15, 30, tzinfo=UTC),
    title="Acme x Pat Lee: pricing",
    join_url=JOIN_URL,
    ids={"zoom": "81234567890"},
)
