"""Naming of secrets, shared by the hub's store, the test kit and error messages."""

from __future__ import annotations

import re

from .errors import MissingSecretError

__all__ = [
    "SECRET_VALUE_PATTERNS",
    "DictSecrets",
    "looks_like_secret",
    "redact_secrets",
    "secret_env_var",
]

SECRET_VALUE_PATTERNS = [
    ("JWT", re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("PEM private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("Slack token", re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,}")),
    ("bearer token", re.compile(r"[Bb]earer\s+(?!REDACTED)[A-Za-z0-9._~+/=-]{16,}")),
    ("Salesforce session id", re.compile(r"00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{20,}")),
    (
        "Slack webhook URL",
        # group 1 is kept when redacting: the team and hook ids are not secret, the token is
        re.compile(r"(hooks\.slack\.com/services/[A-Z0-9]+/[A-Z0-9]+/)(?!REDACTED)[A-Za-z0-9]{8,}"),
    ),
]
"""Shapes of credentials, recognised wherever they turn up (config, cassettes)."""


def looks_like_secret(value: str) -> str | None:
    """What kind of credential a value looks like (JWT, PEM key, ...), or None."""
    for label, pattern in SECRET_VALUE_PATTERNS:
        if pattern.search(value):
            return label
    return None


def redact_secrets(text: str, replacement: str = "[redacted]") -> str:
    """The text with every credential-shaped part replaced: for messages that quote an API.

    An error body or exception text may echo a token; anything a user or a log
    sees goes through this first. A Slack webhook URL keeps its non-secret
    team and hook ids.
    """
    for _label, pattern in SECRET_VALUE_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.re.groups else "") + replacement, text)
    return text


def secret_env_var(connector: str, secret: str) -> str:
    """The environment variable that overrides a secret: HANDOFF_<CONNECTOR>_<SECRET>."""
    raw = f"HANDOFF_{connector}_{secret}".upper()
    return re.sub(r"[^A-Z0-9]+", "_", raw)


class DictSecrets:
    """Secrets held in a dict: for tests, and for connectors built outside the hub."""

    def __init__(self, connector: str, values: dict[str, str] | None = None) -> None:
        self.connector = connector
        self.values = dict(values or {})
        self.writes: list[tuple[str, str]] = []

    def get(self, name: str) -> str:
        """The value, or MissingSecretError naming the connector and secret."""
        try:
            return self.values[name]
        except KeyError:
            raise MissingSecretError(
                self.connector, name, secret_env_var(self.connector, name)
            ) from None

    def set(self, name: str, value: str) -> None:
        """Store a value and remember the write (tests assert rotations)."""
        self.values[name] = value
        self.writes.append((name, value))
