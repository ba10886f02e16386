"""Scrubbing secrets out of recorded HTTP, and the check that a cassette holds none.

Scrubbing runs on the way into a cassette (and on the live request before it is
matched against one, so replay sees the same redacted form). The check reads a
saved cassette and lists anything that still looks like a credential; the
contract class and the repository's tests fail on any finding.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml

from handoff_sdk.secrets import SECRET_VALUE_PATTERNS as _VALUE_PATTERNS
from handoff_sdk.secrets import redact_secrets

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "find_secrets",
    "find_secrets_in_file",
    "scrub_body",
    "scrub_headers",
    "scrub_url",
]

REDACTED = "REDACTED"

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "accesskey",
        "access_token",
        "x-auth-token",
        "x-zm-signature",
        "x-zendesk-webhook-signature",
        "outreach-webhook-signature",
        "x-slack-signature",
        "epsiloncookie",
    }
)
"""Headers whose values are replaced, whatever they hold."""

SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "password",
        "api_key",
        "apikey",
        "api_token",
        "token",
        "secret",
        "signing_secret",
        "private_key",
        "assertion",
        "signature",
        "sig",
    }
)
"""Keys (query, form or JSON) whose values are replaced."""


def _redact_value(value: str) -> str:
    return redact_secrets(value, REDACTED)


def scrub_headers(headers: dict[str, Any]) -> dict[str, Any]:
    """Replace secret header values (values may be strings or lists, as vcrpy keeps them)."""
    out: dict[str, Any] = {}
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            out[name] = [REDACTED] if isinstance(value, list) else REDACTED
        else:
            out[name] = value
    return out


def _scrub_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, REDACTED if k.lower() in SECRET_KEYS else _redact_value(v)) for k, v in pairs]


def scrub_url(url: str) -> str:
    """Replace secret query parameters, and credentials carried in the path (Slack webhooks)."""
    url = _redact_value(url)
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = urlencode(_scrub_pairs(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _scrub_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (REDACTED if k.lower() in SECRET_KEYS and isinstance(v, str) else _scrub_json(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_json(v) for v in value]
    if isinstance(value, str):
        return _redact_value(value)
    return value


def scrub_body(body: bytes | str | None, content_type: str = "") -> bytes | str | None:
    """Replace secrets in a JSON or form body; other bodies get pattern redaction only."""
    if body is None or body in (b"", ""):
        return body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            scrubbed = json.dumps(_scrub_json(json.loads(text)), separators=(",", ":"))
        except ValueError:
            scrubbed = _redact_value(text)
    elif "x-www-form-urlencoded" in content_type or (
        "=" in text and " " not in text and "\n" not in text
    ):
        scrubbed = urlencode(_scrub_pairs(parse_qsl(text, keep_blank_values=True)))
    else:
        scrubbed = _redact_value(text)
    return scrubbed.encode() if isinstance(body, bytes) else scrubbed


def _walk_findings(value: Any, where: str) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if (
                isinstance(k, str)
                and k.lower() in SECRET_KEYS
                and isinstance(v, str)
                and v
                and v != REDACTED
            ):
                found.append(f"{where}: key '{k}' holds a value")
            found += _walk_findings(v, where)
    elif isinstance(value, list):
        for v in value:
            found += _walk_findings(v, where)
    return found


def _body_text(body: Any) -> str:
    if isinstance(body, dict):
        body = body.get("string", "")
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return str(body or "")


def find_secrets(interactions: list[dict[str, Any]], source: str = "cassette") -> list[str]:
    """Everything in recorded interactions that still looks like a credential."""
    findings: list[str] = []
    for n, interaction in enumerate(interactions):
        for side in ("request", "response"):
            part = interaction.get(side, {})
            where = f"{source} interaction {n} {side}"
            for name, value in (part.get("headers") or {}).items():
                values = value if isinstance(value, list) else [value]
                if name.lower() in SECRET_HEADERS and any(v != REDACTED for v in values):
                    findings.append(f"{where}: header '{name}' is not redacted")
            uri = part.get("uri", "")
            for k, v in parse_qsl(urlsplit(uri).query):
                if k.lower() in SECRET_KEYS and v != REDACTED:
                    findings.append(f"{where}: query parameter '{k}' holds a value")
            text = _body_text(part.get("body"))
            try:
                findings += _walk_findings(json.loads(text), where + " body")
            except ValueError:
                for k, v in parse_qsl(text):
                    if k.lower() in SECRET_KEYS and v != REDACTED:
                        findings.append(f"{where} body: form field '{k}' holds a value")
            for label, pattern in _VALUE_PATTERNS:
                blob = text + " " + uri + " " + json.dumps(part.get("headers") or {})
                if pattern.search(blob):
                    findings.append(f"{where}: contains a {label}")
    return findings


def find_secrets_in_file(path: Path) -> list[str]:
    """Read a vcrpy YAML cassette and list what still looks like a secret."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return find_secrets(list(data.get("interactions", [])), str(path))
