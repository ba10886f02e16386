"""handoff-sdk: what a connector author imports.

Hook markers, the Connector base with auth, rate budget, retries and response
classification, pagination, batching, secrets and webhook helpers, all from
this one module. Two more public paths: `handoff_sdk.entities` (the canonical
entities) and `handoff_sdk.testing` (the pytest kit and the vendor simulators).
"""

from __future__ import annotations

from ._clock import Clock, FakeClock, RealSleepClock, SystemClock
from ._connector import Connector, ConnectorConfig, HttpsUrl, SecretSpec
from ._http import USER_AGENT, connector_http_client
from ._rate import RateBudget, RateLimit
from ._retry import RetryPolicy
from .auth import (
    ApiKeyAuth,
    BasicAuth,
    JwtBearer,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
    SecretAccess,
    Token,
    TokenAuth,
)
from .batching import chunk_key, chunked, write_in_batches, write_in_jobs
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
from .hookspecs import (
    CAPABILITY_HOOKS,
    PROJECT,
    WRITE_HOOKS,
    hookimpl,
    hookspec,
    implemented_capabilities,
)
from .observe import REQUEST_OUTCOMES, RequestOutcome, RequestRecord, RequestSink
from .pagination import follow_cursor, follow_next_url, follow_page_token
from .secrets import (
    SECRET_VALUE_PATTERNS,
    DictSecrets,
    looks_like_secret,
    redact_secrets,
    secret_env_var,
)
from .webhooks import (
    DEFAULT_REPLAY_WINDOW,
    WEBHOOK_REPLY,
    WebhookAuthMode,
    WebhookScheme,
    WebhookSignatureError,
    check_shared_secret,
    shared_secret_headers,
    sign_webhook,
    verify_webhook,
    webhook_reply,
    zoom_url_validation_response,
)

__all__ = [
    "CAPABILITY_HOOKS",
    "DEFAULT_REPLAY_WINDOW",
    "PROJECT",
    "REQUEST_OUTCOMES",
    "SECRET_VALUE_PATTERNS",
    "USER_AGENT",
    "WEBHOOK_REPLY",
    "WRITE_HOOKS",
    "ApiError",
    "ApiKeyAuth",
    "AuthError",
    "BasicAuth",
    "Clock",
    "ConfigError",
    "Connector",
    "ConnectorConfig",
    "ConnectorError",
    "DictSecrets",
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
    "RealSleepClock",
    "RequestOutcome",
    "RequestRecord",
    "RequestSink",
    "RetryPolicy",
    "SecretAccess",
    "SecretSpec",
    "SystemClock",
    "Token",
    "TokenAuth",
    "Verdict",
    "WebhookAuthMode",
    "WebhookScheme",
    "WebhookSignatureError",
    "check_shared_secret",
    "chunk_key",
    "chunked",
    "connector_http_client",
    "default_classify",
    "follow_cursor",
    "follow_next_url",
    "follow_page_token",
    "hookimpl",
    "hookspec",
    "implemented_capabilities",
    "looks_like_secret",
    "parse_retry_after",
    "redact_secrets",
    "response_json",
    "secret_env_var",
    "shared_secret_headers",
    "sign_webhook",
    "verify_webhook",
    "webhook_reply",
    "write_in_batches",
    "write_in_jobs",
    "zoom_url_validation_response",
]
