"""handoff-sdk: what a connector author imports.

Entities, hook markers, the Connector base with auth, rate budget, retries and
response classification, pagination and batching helpers. The pytest kit is in
`handoff_sdk.testing`.
"""

from __future__ import annotations

from ._clock import Clock, FakeClock, SystemClock
from ._connector import Connector, ConnectorConfig, HttpsUrl, SecretSpec
from ._rate import RateBudget, RateLimit
from ._retry import RetryPolicy
from .auth import (
    ApiKeyAuth,
    BasicAuth,
    JwtBearer,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
    SecretAccess,
    TokenAuth,
)
from .batching import chunk_key, chunked, write_in_batches
from .classify import Outcome, Verdict, default_classify, parse_retry_after, response_json
from .errors import (
    ApiError,
    AuthError,
    ConfigError,
    ConnectorError,
    MissingSecretError,
    PaginationError,
    RateLimitedError,
)
from .hookspecs import hookimpl, hookspec
from .pagination import follow_cursor, follow_next_url, follow_page_token
from .webhooks import (
    DEFAULT_REPLAY_WINDOW,
    WebhookScheme,
    WebhookSignatureError,
    sign_webhook,
    verify_webhook,
    zoom_url_validation_response,
)

__all__ = [
    "DEFAULT_REPLAY_WINDOW",
    "ApiError",
    "ApiKeyAuth",
    "AuthError",
    "BasicAuth",
    "Clock",
    "ConfigError",
    "Connector",
    "ConnectorConfig",
    "ConnectorError",
    "FakeClock",
    "HttpsUrl",
    "JwtBearer",
    "MissingSecretError",
    "OAuth2ClientCredentials",
    "OAuth2RefreshToken",
    "Outcome",
    "PaginationError",
    "RateBudget",
    "RateLimit",
    "RateLimitedError",
    "RetryPolicy",
    "SecretAccess",
    "SecretSpec",
    "SystemClock",
    "TokenAuth",
    "Verdict",
    "WebhookScheme",
    "WebhookSignatureError",
    "chunk_key",
    "chunked",
    "default_classify",
    "follow_cursor",
    "follow_next_url",
    "follow_page_token",
    "hookimpl",
    "hookspec",
    "parse_retry_after",
    "response_json",
    "sign_webhook",
    "verify_webhook",
    "write_in_batches",
    "zoom_url_validation_response",
]
